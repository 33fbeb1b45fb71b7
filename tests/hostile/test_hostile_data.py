"""Hostile scripts in the data sandbox (real container, libraries preloaded, warm pool): writing to the shipped
dataset or outside the work dir, reading what is not its dataset, printing gigabytes, forking without end, eating
memory, and showing what only the hidden phase holds. Each case: verdict, score, no container left, and the
reference graded right after still passes."""
import json

import pytest

from graders.base import Verdict
from tests.hostile.data_support import HIDDEN, HIDDEN_TOTALS, POINTS, REFERENCE, DataRun, describe, make_spec


@pytest.fixture(scope="module")
def data(docker_client):
    from sandboxes.runner import SandboxRunner

    runner = SandboxRunner(docker_client, pool_size=1, scope="hostile-tests")
    yield DataRun(runner, docker_client, make_spec())
    runner.close()


def check(data, code, verdicts, score=0.0):
    grade, _, result = data.grade(code)
    assert grade.verdict in verdicts, describe(grade)
    if score is not None:
        assert grade.score == score, describe(grade)
    data.assert_gone(result)
    benign, _, _ = data.grade(REFERENCE)
    assert (benign.verdict, benign.score) == (Verdict.PASSED, POINTS), describe(benign)
    return grade


def test_writing_the_dataset_or_the_image_changes_nothing_graded(data):
    attempt = """
import os
results = []
for path in ("data/ventes.csv", "/opt/lms/observe.py", "/usr/lib/python3/dist-packages/pandas/__init__.py",
             "/etc/passwd"):
    try:
        with open(path, "a") as handle:
            handle.write("x")
        results.append("wrote " + path)
    except OSError as exc:
        results.append(type(exc).__name__)
"""
    grade = check(data, attempt + REFERENCE, {Verdict.PASSED}, POINTS)
    assert grade.verdict == Verdict.PASSED  # its own copy of the dataset is read-only; the rest is the image's


def test_reading_outside_its_dataset_finds_no_hidden_data(data):
    probe = """
import glob, os
seen = []
for pattern in ("/work/**", "/tmp/**", "/opt/**", "/home/**", "/root/**", "/srv/**", "/mnt/**"):
    seen += glob.glob(pattern, recursive=True)[:200]
needle = "Ouj" + "da"  # a city only the hidden dataset has (not written whole: this file would hold it)
leak = any(needle in open(p, errors="replace").read() for p in seen if os.path.isfile(p) and os.path.getsize(p) < 10**6)
total = 1 if leak else 0
"""
    grade, _, _ = data.grade(probe)
    assert grade.checks[0].message["en"] == "total: expected 282.75, got 0.", describe(grade)


def test_printing_gigabytes_is_an_output_limit(data):
    check(data, "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", {Verdict.OUTPUT_LIMIT})


def test_forking_without_end_is_a_process_limit(data):
    check(data, "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
          {Verdict.PROCESS_LIMIT, Verdict.TIME_LIMIT, Verdict.MEMORY_LIMIT})


def test_eating_memory_is_a_memory_limit(data):
    check(data, "import numpy as np\nblocks = []\nwhile True:\n    blocks.append(np.ones(10**7))\n",
          {Verdict.MEMORY_LIMIT, Verdict.RUNTIME_ERROR})


def test_what_a_hidden_run_prints_or_draws_never_reaches_the_learner(data):
    leak = REFERENCE + """
print(open("data/ventes.csv").read())
import matplotlib.pyplot as plt
plt.figure(); plt.title(open("data/ventes.csv").read()[:100])
raise RuntimeError(open("data/ventes.csv").read())
"""
    grade, _, _ = data.grade(leak)
    assert grade.verdict == Verdict.RUNTIME_ERROR
    shown = json.dumps(grade.feedback(), ensure_ascii=False) + "".join(
        a.data.decode("latin-1") for a in grade.artifacts)
    assert "Oujda" not in shown and "Laâyoune" not in shown and HIDDEN.splitlines()[1] not in shown
    assert not any(total in shown for total in HIDDEN_TOTALS)
    assert all(a.name.startswith("figure-exemple-") for a in grade.artifacts)
