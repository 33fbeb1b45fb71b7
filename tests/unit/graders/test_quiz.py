"""The quiz judge on plain data: each question type, partial credit and its floor, wildcards and normalisation,
numbers and units, per-learner shuffling and variants, penalties over earlier tries, malformed answers."""
import json

import pytest

from graders.base import ExerciseSpec
from graders.quiz import QuizGrader
from lms.grading.trusted import learner_for

GRADER = QuizGrader()


def spec_of(*questions, **options) -> ExerciseSpec:
    return ExerciseSpec(kind="quiz", files=["answers.json"], checks=[{"hidden": False, **q} for q in questions],
                        options=options, uuid="3f0c8a51-0000-4000-8000-000000000001")


def learner(user_id=1, previous=()):
    return learner_for(user_id, "3f0c8a51-0000-4000-8000-000000000001", "unit-secret", previous)


def shown(spec, who=None):
    return {q["id"]: q for q in GRADER.learner_questions(spec, who or learner())}


def grade(spec, answers, who=None):
    text = answers if isinstance(answers, str) else json.dumps(answers)
    return GRADER.grade_trusted(spec, {"answers.json": text}, who or learner())


def choice(cid, correct=False):
    return {"id": cid, "text": {"fr": f"choix {cid}"}, "correct": correct}


SINGLE = {"id": "s", "type": "single", "name": "S", "prompt": "?", "choices": [choice("a"), choice("b", True),
                                                                              choice("c")]}
MULTIPLE = {"id": "m", "type": "multiple", "name": "M", "prompt": "?",
            "choices": [choice("a", True), choice("b", True), choice("c"), choice("d")]}


def token_of(spec, qid, text, who=None):
    return next(c["token"] for c in shown(spec, who)[qid]["choices"] if c["text"]["fr"] == text)


def test_single_choice_right_and_wrong():
    spec = spec_of(SINGLE)
    assert grade(spec, {"s": token_of(spec, "s", "choix b")}).score == 10.0
    wrong = grade(spec, {"s": token_of(spec, "s", "choix a")})
    assert wrong.score == 0.0 and wrong.checks[0].message["fr"] == "Réponse incorrecte."


@pytest.mark.parametrize("ticked, credit", [(["a", "b"], 1.0), (["a"], 0.5), (["a", "c"], 0.0),
                                            (["a", "b", "c"], 0.5), (["c", "d"], 0.0), (["a", "b", "c", "d"], 0.0)])
def test_multiple_choice_partial_credit_floored_at_zero(ticked, credit):
    spec = spec_of(MULTIPLE)
    result = grade(spec, {"m": [token_of(spec, "m", f"choix {t}") for t in ticked]})
    assert result.score == 10.0 * credit and result.checks[0].passed is (credit == 1.0)


SHORT = {"id": "t", "type": "short", "name": "T", "prompt": "?", "accept": ["ME21N", "ME2?N", "commande*"]}


@pytest.mark.parametrize("answer, ignore, right", [
    ("me21n", ["case"], True), ("  ME21N ", ["case"], True), ("ME23N", ["case"], True), ("ME211N", ["case"], False),
    ("commande d'achat", ["case"], True), ("me21n", [], False), ("ME 21N", ["case"], False),
    ("ME 21N", ["case", "spaces"], True), ("Commandé", ["case"], False), ("Commandé", ["case", "accents"], True), ("cömmande", ["case"], False),
    ("cömmande", ["case", "accents"], True)])
def test_short_answer_variants_wildcards_and_normalisation(answer, ignore, right):
    spec = spec_of({**SHORT, "ignore": ignore})
    assert grade(spec, {"t": answer}).checks[0].passed is right


def test_arabic_diacritics_are_accents():
    spec = spec_of({**SHORT, "accept": ["معلق"], "ignore": ["accents"]})
    assert grade(spec, {"t": "مُعَلَّق"}).checks[0].passed


NUMERICAL = {"id": "n", "type": "numerical", "name": "N", "prompt": "?", "answer": 12.5, "tolerance": 0.05,
             "units": {"kg": 1, "g": 0.001}}


@pytest.mark.parametrize("answer, outcome", [
    ("12,5", "Bonne réponse."), ("12.5", "Bonne réponse."), (12.5, "Bonne réponse."), ("12.54 kg", "Bonne réponse."),
    ("12500 g", "Bonne réponse."), ("12 500 g", "Bonne réponse."), ("١٢٫٥", "Bonne réponse."),
    ("12.6", "Réponse incorrecte."), ("12,5 lb", "Unité non acceptée ici : « lb »."),
    ("douze", "« douze » n'est pas un nombre (exemples : 12,5 ou 12.5)."), (True, "Réponse illisible pour une question de ce type."), ([12.5], "Réponse illisible pour une question de ce type.")])
def test_numerical_tolerance_decimal_comma_and_units(answer, outcome):
    assert grade(spec_of(NUMERICAL), {"n": answer}).checks[0].message["fr"] == outcome


def test_a_required_unit_must_be_given_and_a_relative_tolerance():
    spec = spec_of({**NUMERICAL, "unit_required": True, "tolerance": "1%"})
    assert not grade(spec, {"n": "12.5"}).checks[0].passed
    assert grade(spec, {"n": "12.6 kg"}).checks[0].passed and not grade(spec, {"n": "12.7 kg"}).checks[0].passed


MATCHING = {"id": "p", "type": "matching", "name": "P", "prompt": "?",
            "pairs": [{"id": x, "left": f"L{x}", "right": f"R{x}"} for x in ("1", "2", "3", "4")]}
ORDERING = {"id": "o", "type": "ordering", "name": "O", "prompt": "?",
            "items": [{"id": f"i{n}", "text": f"step {n}"} for n in range(1, 5)]}
CLOZE = {"id": "c", "type": "cloze", "name": "C", "text": "[[tcode]] puis [[qte]] et [[etat]]",
         "gaps": [{"id": "tcode", "type": "short", "accept": ["MIGO"]}, {"id": "qte", "type": "numerical", "answer": 3},
                  {"id": "etat", "type": "choice", "choices": [choice("x", True), choice("y")]}]}


def test_matching_ordering_and_cloze_give_credit_per_part():
    spec = spec_of(MATCHING, ORDERING, CLOZE)
    questions = shown(spec)
    rights = {r["text"]["fr"]: r["token"] for r in questions["p"]["right"]}
    matching = {left["token"]: rights["R" + left["text"]["fr"][1:]] for left in questions["p"]["left"]}
    first, second = list(matching)[:2]
    matching[first], matching[second] = matching[second], matching[first]  # two of four pairs swapped
    items = {i["text"]["fr"]: i["token"] for i in questions["o"]["items"]}
    order = [items["step 1"], items["step 2"], items["step 4"], items["step 3"]]  # two of four places right
    etat = next(c["token"] for c in questions["c"]["gaps"][2]["choices"] if c["text"]["fr"] == "choix x")
    result = grade(spec, {"p": matching, "o": order, "c": {"tcode": "migo", "qte": "3,0", "etat": etat}})
    assert [(c.id, c.passed) for c in result.checks] == [("p", False), ("o", False), ("c", True)]
    assert result.score == round(10 * (0.5 + 0.5 + 1) / 3, 2)
    assert "50 %" in result.checks[0].message["fr"]
    # The page's position fields ({token: place}) are an ordering too; places repeated are no ordering.
    places = {token: str(n) for n, token in enumerate(order[:2] + order[3:1:-1], start=1)}
    assert grade(spec_of(ORDERING), {"o": places}).score == 10.0
    assert grade(spec_of(ORDERING), {"o": dict.fromkeys(places, "1")}).checks[0].message["fr"].startswith(
        "Réponse illisible")
    all_or_nothing = spec_of({**ORDERING, "partial": False})
    assert grade(all_or_nothing, {"o": order}).score == 0.0


def test_shuffling_is_stable_per_learner_and_differs_between_learners():
    spec = spec_of(*[{**SINGLE, "id": f"s{n}", "choices": [choice(c) for c in "abcdef"][:5] + [choice("f", True)]}
                     for n in range(6)], shuffle_questions=True)
    def orders(who):
        questions = GRADER.learner_questions(spec, who)
        return [q["id"] for q in questions], [[c["text"]["fr"] for c in q["choices"]] for q in questions]
    assert orders(learner(1)) == orders(learner(1))
    assert orders(learner(1)) != orders(learner(2))
    assert orders(learner(1))[0] != [f"s{n}" for n in range(6)] or orders(learner(2))[0] != [f"s{n}" for n in range(6)]
    assert token_of(spec, "s0", "choix a", learner(1)) != token_of(spec, "s0", "choix a", learner(2))
    # An ordering question never starts in its right order.
    assert [i["text"]["fr"] for i in shown(spec_of(ORDERING), learner(3))["o"]["items"]] != [
        f"step {n}" for n in range(1, 5)]


VARIANTS = {"id": "v", "type": "numerical", "name": "V", "prompt": {"fr": "{q} à {p} MAD ?", "en": "{q} at {p}?"},
            "variants": [{"params": {"q": q, "p": 2.5}, "answer": q * 2.5} for q in (10, 20, 30, 40, 50, 60)]}


def test_variants_are_picked_per_learner_and_graded_against_their_own_answer():
    spec = spec_of(VARIANTS)
    prompts = {n: shown(spec, learner(n))["v"]["prompt"]["fr"] for n in range(1, 9)}
    assert len(set(prompts.values())) > 1 and prompts[1] == shown(spec, learner(1))["v"]["prompt"]["fr"]
    assert "2,5 MAD" in prompts[1] and "{" not in prompts[1]  # filled in, French decimal comma
    quantity = int(prompts[1].split()[0])
    assert grade(spec, {"v": quantity * 2.5}, learner(1)).score == 10.0
    other = next(n for n, p in prompts.items() if p != prompts[1])
    assert grade(spec, {"v": quantity * 2.5}, learner(other)).score == 0.0


def earlier(*statuses):
    """Earlier attempts as stored: each with the question's check status (passed, failed, missing)."""
    return [{"checks": [{"id": "s", "passed": s == "passed", "status": s}], "score": 0} for s in statuses]


@pytest.mark.parametrize("statuses, score", [
    ((), 10.0), (("failed",), 7.5), (("failed", "failed"), 5.0), (("missing", "failed"), 7.5),
    (("failed",) * 5, 0.0), (("failed", "passed", "failed", "failed"), 7.5)])
def test_penalty_per_wrong_earlier_try_floored_and_frozen_once_right(statuses, score):
    spec = spec_of(SINGLE, penalty=0.25)
    result = grade(spec, {"s": token_of(spec, "s", "choix b")}, learner(previous=earlier(*statuses)))
    assert result.score == score and result.checks[0].passed
    assert ("Pénalité" in result.checks[0].message["fr"]) is (score < 10.0)


def test_a_question_penalty_overrides_the_quiz_one():
    spec = spec_of({**SINGLE, "penalty": 0.5}, penalty=0.25)
    assert grade(spec, {"s": token_of(spec, "s", "choix b")}, learner(previous=earlier("failed"))).score == 5.0


@pytest.mark.parametrize("text, reason", [
    ("{not json", "not valid JSON"), ("[1, 2]", "must be a JSON object"), ("[" * 100_000, "larger than 64 KiB"),
    ('{"s": "a", "s": "b"}', "given twice"), ("[" * 5000 + "]" * 5000, "not valid JSON")])
def test_a_malformed_file_is_a_clear_message_not_a_crash(text, reason):
    result = grade(spec_of(SINGLE), text)
    assert result.score == 0.0 and result.verdict == "failed" and reason in result.message
    assert result.checks[0].message["en"].startswith("The file answers.json cannot be read")


def test_tampered_answers_earn_nothing():
    """A choice ticked twice, another learner's token of the right choice, an answer to a question not asked."""
    spec = spec_of(MULTIPLE, SINGLE)
    right = token_of(spec, "m", "choix a")
    result = grade(spec, {"m": [right, right], "s": token_of(spec, "s", "choix b", learner(2)), "autre": [right]})
    assert [c.passed for c in result.checks] == [False, False] and result.score == 0.0
    assert result.checks[0].message["fr"].startswith("Réponse illisible")
    assert "unknown questions: autre" in result.message


def test_hidden_questions_report_only_right_or_wrong_and_the_page_holds_no_key():
    spec = spec_of({**NUMERICAL, "hidden": True, "explanation": "secret-explanation"}, SINGLE)
    result = grade(spec, {"n": "3"})
    assert result.checks[0].message == "" and not result.checks[0].passed
    page = json.dumps(GRADER.learner_questions(spec, learner()))
    assert "12.5" not in page and "correct" not in page and "secret-explanation" not in page
    assert "kg" not in page


@pytest.mark.parametrize("question, problem", [
    ({**SINGLE, "choices": [choice("a", True), choice("b", True)]}, "exactly one choice with correct: true (has 2)"),
    ({**SHORT, "accept": []}, "accept must list 1 to 50"),
    ({**NUMERICAL, "answer": "12"}, "answer must be a number"),
    ({**NUMERICAL, "tolerance": "x%"}, "tolerance must be a number"),
    ({**CLOZE, "text": "[[tcode]] seul"}, "text.fr must mark each gap once"),
    ({**VARIANTS, "prompt": "{q} et {r}"}, "variant 1: the texts use {r} but params does not give it"),
    ({**VARIANTS, "variants": [{"params": {"q": 1, "p": 2}, "answer": 2, "choices": []}]}, "may not set choices"),
    ({**SINGLE, "type": "essay"}, "type must be one of"), ({**SINGLE, "colour": "red"}, "unknown key(s) colour")])
def test_validate_explains_each_mistake(question, problem):
    problems = GRADER.validate(spec_of(question))
    assert any(problem in p for p in problems), problems


def test_the_reference_answers_score_full_marks_for_every_learner():
    spec = spec_of(SINGLE, MULTIPLE, SHORT, NUMERICAL, MATCHING, ORDERING, CLOZE, VARIANTS, shuffle_questions=True)
    assert GRADER.validate(spec) == []
    for user_id in (1, 2, 3):
        files = GRADER.reference_files(spec, {}, learner(user_id))
        assert GRADER.grade_trusted(spec, files, learner(user_id)).score == 10.0
