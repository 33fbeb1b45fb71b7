"""Attendance (OPERATIONS.md "Attendance"): a cohort's sessions, the instructor's roster marks, the learners' own
check-in by a rotating QR code, the rates counted from them, and their export."""
