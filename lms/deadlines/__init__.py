"""Publication of modules to cohorts, dates per learner (group overrides, extensions), late policies."""
