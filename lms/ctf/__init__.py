"""Find-the-flag challenges (the ctf-flag kind, graders/ctf_flag.py) on the web side: each learner's artifact made
with their own flag, hints that cost points, wrong flags rate-limited, and a flag handed in by a learner it was not
made for reported to the instructors of both."""
