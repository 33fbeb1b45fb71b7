"""The quiz kind's exercise page: this learner's questions as a form (workspace.py), and the no-JavaScript post that
turns the form's fields into answers.json before the one submission path (views.py)."""
