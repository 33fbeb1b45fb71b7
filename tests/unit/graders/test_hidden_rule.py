"""The grader interface's own enforcement of "hidden means hidden", whatever a kind's evaluate() does."""
import pytest

from graders.base import CheckFeedback, Grader, GradeResult, Verdict
from sandboxes.runner import SandboxResult

SECRET = "918273645"


class CarelessGrader(Grader):
    """A kind that puts learner-made text everywhere, hidden checks included."""

    kind = "careless"
    image = "python"

    def validate(self, spec):
        return []

    def plan(self, spec, files, practice=False):
        raise NotImplementedError

    def evaluate(self, spec, plan, result):
        return GradeResult(verdict=Verdict.RUNTIME_ERROR, score=1.0, max_score=2.0, message=f"raised {SECRET}",
                           checks=[CheckFeedback(id="shown", name="shown", passed=False, hidden=False,
                                                 message="visible detail"),
                                   CheckFeedback(id="secret", name="secret", passed=False, hidden=True,
                                                 message=f"got {SECRET}")],
                           diagnostics={"outputs": {"secret": SECRET}})


def sandbox(status, oom_killed=False):
    return SandboxResult(status=status, steps=[], container_id="c", warm=False, oom_killed=oom_killed)


def test_hidden_checks_messages_are_blanked_by_judge():
    grade = CarelessGrader().judge(None, None, sandbox("completed"))
    assert [c.message for c in grade.checks] == ["visible detail", ""]
    assert grade.diagnostics == {"outputs": {"secret": SECRET}}  # staff only: kept


@pytest.mark.parametrize("status, oom, message", [
    ("bad_frame", False, "the sandbox's answer was tampered with"),
    ("crashed", False, "sandbox supervisor stopped by the submitted code"),
    ("crashed", True, ""),
    ("wall_timeout", False, ""),
    ("output_overflow", False, ""),
])
def test_a_run_that_did_not_complete_shows_only_the_platform_text(status, oom, message):
    grade = CarelessGrader().judge(None, None, sandbox(status, oom))
    assert grade.message == message
    assert all(c.message == "" for c in grade.checks)
    assert SECRET not in str(grade.feedback())


def test_a_hidden_checks_message_is_never_stored():
    check = CheckFeedback(id="secret", name="secret", passed=False, hidden=True, message=f"got {SECRET}")
    assert check.to_dict()["message"] == ""
    assert CheckFeedback(id="shown", name="x", passed=False, hidden=False, message="m").to_dict()["message"] == "m"


def test_a_kind_cannot_override_judge():
    with pytest.raises(TypeError, match="evaluate"):
        class Sneaky(CarelessGrader):  # noqa: F841 - defining it is the test
            def judge(self, spec, plan, result):
                return self.evaluate(spec, plan, result)
