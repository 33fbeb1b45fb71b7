"""Regrading graded submissions after an exercise's checks were fixed: a preview first, then applied, with history."""
