"""The ml-model grader on plain data: what an exercise must declare, what goes into the container (never a label),
and the grade of a run's predictions record, public score shown, private score sealed."""
import json

from graders.base import Verdict
from graders.ml_model import MlModelGrader
from sandboxes.runner import SandboxResult, StepOutcome
from tests.hostile.ml_support import ANSWER_KEY, PRIVATE_IDS, make_spec


def run_result(plan, predictions=None, run=None, stdout="") -> SandboxResult:
    records = "".join(json.dumps(r) + "\n" for r in (
        {"id": "predictions", "obs": predictions if predictions is not None else {"error": "missing"}},
        {"id": "run", "obs": run or {}}))
    step = StepOutcome(name=plan.steps[0]["name"], exit_code=0, signal=None, timed_out=False, output_exceeded=False,
                       oom_killed=False, pids_exhausted=False, duration_ms=5.0, stdout=stdout, stderr="",
                       records=records)
    return SandboxResult(status="completed", steps=[step], container_id="c", warm=True, timings_ms={})


def test_an_exercise_declares_its_metric_threshold_and_labels():
    grader = MlModelGrader()
    assert grader.validate(make_spec()) == []
    assert "options.metric must be one of" in grader.validate(make_spec(metric="precision"))[-1]
    assert grader.validate(make_spec(positive="peut-être")) == [
        "options.positive must be one of the labels (non, oui)"]
    assert grader.validate(make_spec(private_ids=[])) == ["the answer key needs public and private ids"]
    assert grader.validate(make_spec(metric="rmse")) == ["rmse: every label must be a number"]


def test_no_label_goes_into_the_container():
    spec = make_spec()
    plan = MlModelGrader().plan(spec, {"modele.py": "pass"})
    sent = json.dumps([plan.job(), plan.steps])
    assert "answer_key" not in sent and "private_ids" not in sent and [s["hidden"] for s in plan.steps] == [False]
    assert set(plan.steps[0]["args"]["datasets"]) == {"train.csv", "test.csv"}


def test_perfect_predictions_pass_and_the_private_score_is_only_in_the_diagnostics():
    spec = make_spec()
    grader = MlModelGrader()
    plan = grader.plan(spec, {"modele.py": "pass"})
    text = "id,prediction\n" + "".join(f"{i},{label}\n" for i, label in ANSWER_KEY.items())
    grade = grader.judge(spec, plan, run_result(plan, {"text": text}))
    assert (grade.verdict, grade.score) == (Verdict.PASSED, 10.0)
    assert grade.ranking == {"metric": "f1", "higher_is_better": True, "threshold": 0.8, "public": 1.0, "private": 1.0}
    assert grade.diagnostics["private"] == {"score": 1.0, "passes": True}
    assert "private" not in json.dumps(grade.feedback())
    # Wrong on every private id only: the public score still passes; the sealed one does not.
    flipped = {i: ("non" if label == "oui" else "oui") if i in PRIVATE_IDS else label for i, label in ANSWER_KEY.items()}
    text = "id,prediction\n" + "".join(f"{i},{label}\n" for i, label in flipped.items())
    grade = grader.judge(spec, plan, run_result(plan, {"text": text}))
    assert grade.verdict == Verdict.PASSED and grade.ranking["private"] == 0.0
    assert grade.diagnostics["private"]["passes"] is False


def test_a_run_without_valid_predictions_has_no_ranking():
    spec = make_spec()
    grader = MlModelGrader()
    plan = grader.plan(spec, {"modele.py": "pass"})
    grade = grader.judge(spec, plan, run_result(plan, run={"error": "Traceback...\nValueError: non"}))
    assert grade.verdict == Verdict.RUNTIME_ERROR and grade.ranking == {} and grade.score == 0.0
    assert grade.message["en"] == "The program stopped on an error: ValueError: non"
    grade = grader.judge(spec, plan, run_result(plan, {"text": "id,prediction\nt000,oui\n"}))
    assert grade.verdict == Verdict.FAILED and grade.ranking == {}
    assert grade.checks[0].message["en"].startswith("119 id(s) without a prediction")
