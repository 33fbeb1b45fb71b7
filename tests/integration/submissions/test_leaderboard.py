"""A ranked (ml-model) exercise over HTTP, graded by a real worker in the real data sandbox: the leaderboard shows
each learner's best public score, rounded, never a private one until an instructor reveals them; the daily quota
refuses a submission once used, and a run that gave no valid predictions costs nothing."""
from __future__ import annotations

import re
import uuid

import pytest
import yaml

from tests.hostile.ml_support import ALL_NO, ANSWER_KEY, PRIVATE_IDS, REFERENCE, TEST, TRAIN

pytestmark = pytest.mark.slow
TITLE = {"fr": "Oui ou non", "ar": "نعم أو لا", "en": "Yes or no"}


@pytest.fixture
def ranked(app, tmp_path):
    """A library of one ml-model exercise (quota: 2 a day), imported."""
    from lms.catalog.importer import import_library
    from lms.catalog.models import Exercise
    from lms.extensions import db

    root = tmp_path / "library"
    module = root / "ia" / "modeles"
    folder = module / "oui-non"
    for sub in ("data", "answers", "solution", "starter"):
        (folder / sub).mkdir(parents=True)
    (root / "source.yaml").write_text("name: leaderboard-tests\n")
    (root / "ia" / "track.yaml").write_text(yaml.safe_dump({"slug": "ia", "order": 9, "title": TITLE}))
    (module / "module.yaml").write_text(yaml.safe_dump({"slug": "modeles", "order": 1, "title": TITLE,
                                                        "exercises": ["oui-non"]}))
    (folder / "exercise.yaml").write_text(yaml.safe_dump({
        "uuid": str(uuid.uuid4()), "kind": "ml-model", "title": TITLE, "files": ["modele.py"],
        "options": {"metric": "f1", "positive": "oui", "threshold": 0.8, "seconds": 20, "daily_quota": 2},
        "limits": {"wall_seconds": 30, "cpu_seconds": 20, "memory_mb": 512}}))
    (folder / "statement.fr.md").write_text("# Oui ou non\n")
    (folder / "data" / "train.csv").write_text(TRAIN)
    (folder / "data" / "test.csv").write_text(TEST)
    (folder / "answers" / "labels.csv").write_text("id,label,split\n" + "".join(
        f"{i},{label},{'private' if i in PRIVATE_IDS else 'public'}\n" for i, label in ANSWER_KEY.items()))
    (folder / "solution" / "modele.py").write_text(REFERENCE)
    (folder / "starter" / "modele.py").write_text(ALL_NO)
    import_library(root)
    return db.session.query(Exercise).filter_by(slug="oui-non").one()


def submit(client, auth, user, exercise, code):
    auth.login(user)
    response = client.post(f"/api/v1/exercises/{exercise.uuid}/submissions", json={"files": {"modele.py": code}},
                           headers={"X-CSRFToken": auth.csrf_token(f"/exercises/{exercise.uuid}")})
    auth.logout()
    return response


def board_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_the_board_ranks_public_scores_seals_private_ones_and_counts_the_quota(
        app, client, auth, make_user, ranked, run_worker_burst):
    from lms.extensions import db
    from lms.leaderboards.models import ModelScore

    amina, youssef, teacher = make_user(name="Amina"), make_user(name="Youssef"), make_user("instructor")
    weaker = REFERENCE.replace('train[["x1", "x2"]], train["label"]', 'train[["x1"]], train["label"]').replace(
        'model.predict(test[["x1", "x2"]])', 'model.predict(test[["x1"]])')
    assert submit(client, auth, amina, ranked, REFERENCE).status_code == 202
    assert submit(client, auth, amina, ranked, "raise SystemExit(3)\n").status_code == 202
    assert submit(client, auth, youssef, ranked, weaker).status_code == 202
    run_worker_burst()
    scores = {s.user_id: s for s in db.session.query(ModelScore).all()}
    assert set(scores) == {amina.id, youssef.id}  # the failed run has no score

    auth.login(amina)
    page = client.get(f"/exercises/{ranked.uuid}/leaderboard").get_data(as_text=True)
    rows = board_rows(page)
    assert [row[:3] for row in rows] == [["1", "Amina", f"{scores[amina.id].public_score:.3f}"],
                                         ["2", "Youssef", f"{scores[youssef.id].public_score:.3f}"]]
    assert f"{scores[amina.id].private_score:.3f}" not in page or (
        round(scores[amina.id].private_score, 3) == round(scores[amina.id].public_score, 3))
    assert "Score privé" not in page
    assert "1 soumission restante aujourd'hui." in page  # the run that failed cost nothing
    exercise_page = client.get(f"/exercises/{ranked.uuid}").get_data(as_text=True)
    assert "data/train.csv" in exercise_page and "labels" not in exercise_page
    data = client.get(f"/exercises/{ranked.uuid}/data/test.csv")
    assert data.status_code == 200 and data.get_data(as_text=True) == TEST
    assert "attachment" in data.headers["Content-Disposition"]
    assert client.get(f"/exercises/{ranked.uuid}/data/labels.csv").status_code == 404
    # A learner cannot reveal; the quota: one more valid run, then a clear refusal.
    token = auth.csrf_token(f"/exercises/{ranked.uuid}/leaderboard")
    assert client.post(f"/exercises/{ranked.uuid}/leaderboard/reveal", data={"csrf_token": token}).status_code == 403
    auth.logout()
    assert submit(client, auth, amina, ranked, ALL_NO).status_code == 202
    refused = submit(client, auth, amina, ranked, REFERENCE)
    assert refused.status_code == 429 and refused.json["error"] == "quota_reached", refused.json
    assert "2 soumissions" in refused.json["message"]
    run_worker_burst()

    # The instructor's signal: the private scores decide and are shown.
    auth.login(teacher)
    token = auth.csrf_token(f"/exercises/{ranked.uuid}/leaderboard")
    assert client.post(f"/exercises/{ranked.uuid}/leaderboard/reveal", data={"csrf_token": token}).status_code == 302
    page = client.get(f"/exercises/{ranked.uuid}/leaderboard").get_data(as_text=True)
    rows = board_rows(page)
    assert rows[0][:2] == ["1", "Amina"] and rows[0][3] == f"{scores[amina.id].private_score:.3f}"
    assert rows[0][4] == "réussi" and rows[0][5] == "2"  # her best public score's private one decides
    auth.logout()

    # Each learner's own pages now give the private part's verdict and points, not the public part's best score.
    from graders.ml_metrics import points_for

    def text(html: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" :", ":").strip()

    for learner in (amina, youssef):
        score = scores[learner.id]
        verdict = "réussi" if score.private_score >= score.threshold else "non réussi"
        points = points_for(ranked.points, score.private_score, score.threshold, True)
        auth.login(learner)
        page = client.get(f"/exercises/{ranked.uuid}").get_data(as_text=True)
        final = text(page.split('class="final-result">', 1)[1].split("</p>", 1)[0])
        assert final == (f"Résultat final, sur la partie privée: {verdict} · {round(score.private_score, 3)} · "
                         f"{points} / {ranked.points}"), final
        module = text(client.get("/tracks/ia/modeles").get_data(as_text=True))
        assert f"score final (partie privée): {points} / {ranked.points}" in module, module
        arabic = client.get(f"/exercises/{ranked.uuid}?lang=ar").get_data(as_text=True)
        assert 'dir="rtl"' in arabic
        final = text(arabic.split('class="final-result">', 1)[1].split("</p>", 1)[0])
        verdict = "ناجح" if score.private_score >= score.threshold else "غير ناجح"
        assert final == (f"النتيجة النهائية، على الجزء الخاص: {verdict} · {round(score.private_score, 3)} · "
                         f"{points} / {ranked.points}"), final
        auth.logout()


def test_each_learners_deadline_settles_their_result_on_the_work_accepted_by_then(
        app, client, auth, make_user, ranked, run_worker_burst):
    """No reveal: the private part decides at each learner's own deadline (an extension moves it), on their best
    work accepted by then; work handed in later still gets a public score but changes nothing."""
    from graders.ml_metrics import points_for
    from lms.clock import utcnow
    from lms.deadlines import services as deadlines
    from lms.extensions import db
    from lms.leaderboards.models import ModelScore
    from lms.programme.models import Cohort, Enrolment

    amina, youssef, teacher = make_user(name="Amina"), make_user(name="Youssef"), make_user("admin")
    weaker = REFERENCE.replace('train[["x1", "x2"]], train["label"]', 'train[["x1"]], train["label"]').replace(
        'model.predict(test[["x1", "x2"]])', 'model.predict(test[["x1"]])')
    assert submit(client, auth, amina, ranked, weaker).status_code == 202
    assert submit(client, auth, youssef, ranked, weaker).status_code == 202
    run_worker_burst()
    cohort = db.session.scalar(db.select(Cohort).join(Enrolment).where(Enrolment.user_id == amina.id,
                                                                       Cohort.track_id == ranked.module.track_id))
    deadlines.set_exercise_dates(teacher, cohort, ranked, None, utcnow(), None)  # due now, no cut-off
    deadlines.grant_extension(teacher, cohort, youssef, ranked, utcnow().replace(year=utcnow().year + 1), None,
                              "malade")
    assert submit(client, auth, amina, ranked, REFERENCE).status_code == 202  # late: accepted, scored
    run_worker_burst()
    scores = {s.submission_id: s for s in db.session.query(ModelScore).all()}
    late = max((s for s in scores.values() if s.user_id == amina.id), key=lambda s: s.submission_id)
    first = min((s for s in scores.values() if s.user_id == amina.id), key=lambda s: s.submission_id)
    assert late.public_score > first.public_score  # the late work would rank her higher

    auth.login(amina)
    page = client.get(f"/exercises/{ranked.uuid}").get_data(as_text=True)
    final = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('class="final-result">', 1)[1]
                                       .split("</p>", 1)[0])).strip()
    points = points_for(ranked.points, first.private_score, first.threshold, True)
    assert f"{round(first.private_score, 3)} · {points} / {ranked.points}" in final, final
    rows = {row[1]: row for row in board_rows(client.get(f"/exercises/{ranked.uuid}/leaderboard").get_data(
        as_text=True))}
    assert rows["Amina"][2:5] == [f"{first.public_score:.3f}", f"{first.private_score:.3f}",
                                  "réussi" if first.private_score >= first.threshold else "non réussi"]
    assert rows["Youssef"][3:5] == ["—", "avant l'échéance"]  # his deadline is a year away: sealed
    auth.logout()
    auth.login(youssef)
    assert 'class="final-result"' not in client.get(f"/exercises/{ranked.uuid}").get_data(as_text=True)
    auth.logout()
