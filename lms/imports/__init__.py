"""Bulk import of learners into cohorts (OPERATIONS.md, Bulk import): parsing.py reads the file, services.py checks
each line (the dry run) and writes them in one transaction (the commit), views.py shows the report."""
