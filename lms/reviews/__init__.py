"""Reviews of reviewed-task deliverables: an instructor grades them with the exercise's rubric (a draft, then
released to the learner, which writes the score), and one regrade request per submission."""
