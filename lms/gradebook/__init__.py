"""Stored grades per learner and exercise, and the cohort gradebook."""
