"""Leaderboards of ranked exercises (the ml-model kind): each learner's best public score, a daily submission
quota, and the private scores sealed until an instructor reveals them."""
