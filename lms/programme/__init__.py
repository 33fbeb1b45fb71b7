"""The programme's organisation: regions, training centres, cohorts (bootcamps), who runs what, who learns where."""
