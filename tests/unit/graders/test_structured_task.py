"""The structured-task kind on plain data: each sub-kind's named messages, the path each case takes through a flow,
loops and dead ends, and hostile documents refused quickly with a clear message."""
import time

import pytest

from graders import get_grader
from graders.base import ExerciseSpec
from graders.structured_flow import process_from_bpmn, structure_problems, walk
from graders.structured_parsing import DocumentError, load_xml, load_yaml
from lms.grading.trusted import learner_for

GRADER = get_grader("structured-task")


def grade(options, files_name, content, checks, hidden=()):
    spec = ExerciseSpec(kind="structured-task", files=[files_name], options=options, uuid="u",
                        checks=[{**c, "hidden": c["id"] in hidden} for c in checks])
    assert GRADER.validate(spec) == []
    return GRADER.grade_trusted(spec, {files_name: content}, learner_for(1, "u", "secret"))


def messages(result, language="en"):
    return {c.id: (c.message or {}).get(language, "") if isinstance(c.message, dict) else c.message
            for c in result.checks}


# --- data models --------------------------------------------------------------------------------------------------

MODEL = """
objects:
  Account:
    fields:
      Name: {type: text, required: true}
  Opportunity:
    fields:
      StageName: {type: picklist, values: [Prospection, Gagné]}
      AccountId: {type: lookup, to: Account}
"""
MODEL_CHECKS = [
    {"id": "amount", "name": {"fr": "Montant", "en": "Amount"}, "object": "Opportunity", "field": "Amount",
     "type": "currency"},
    {"id": "contact", "name": "Contact", "object": "Contact"},
    {"id": "stage", "name": "Stage", "object": "Opportunity", "field": "StageName", "values": ["Perdu"]},
    {"id": "name-required", "name": "Name", "object": "account", "field": "name", "required": True},
    {"id": "account-link", "name": "Link", "object": "Opportunity", "relationship": "master-detail", "to": "Account"},
]


def test_data_model_names_what_is_missing():
    result = grade({"task": "data-model"}, "modele.yaml", MODEL, MODEL_CHECKS)
    shown = messages(result)
    assert shown["amount"] == "Object Opportunity has no field Amount."
    assert shown["contact"] == "The model has no object Contact."
    assert shown["stage"] == "Picklist Opportunity.StageName lacks the value 'Perdu'."
    assert shown["account-link"] == "Object Opportunity has no master-detail field to Account."
    assert [c.id for c in result.checks if c.passed] == ["document", "name-required"]  # names: case aside
    assert messages(result, "fr")["amount"] == "L'objet Opportunity n'a pas de champ Amount."
    assert "Opportunity" in messages(result, "ar")["amount"]
    assert result.verdict == "failed" and 0 < result.score < 10


@pytest.mark.parametrize("model, expected", [
    ("objects:\n  A:\n    fields:\n      X: {type: strng}\n", "Field A.X has an unknown type 'strng'"),
    ("objects:\n  A:\n    fields:\n      X: {type: lookup}\n", "Field A.X (lookup) must name the related object"),
    ("objects:\n  A:\n    fields:\n      X: {type: lookup, to: B}\n", "Field A.X points to B, which is not an object"),
    ("objects:\n  A:\n    fields:\n      X: {type: picklist}\n", "Picklist A.X must give its values"),
    ("objects:\n  A:\n    fields:\n      X: {type: text, requird: true}\n", "unknown property 'requird'"),
    ("objects:\n  A:\n    fields:\n      X: text\n      X: number\n", "Line 5: the key 'X' appears twice."),
    ("objects:\n  A:\n    fields: [\n", "YAML syntax error on line 4"),
    ("objets: {}\n", "The document must start with 'objects:'."),
])
def test_data_model_document_problems(model, expected):
    result = grade({"task": "data-model"}, "modele.yaml", model, MODEL_CHECKS[1:2])
    assert not result.checks[0].passed and expected in messages(result)["document"]


# --- process flows ------------------------------------------------------------------------------------------------

def bpmn(body: str) -> str:
    return f'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">{body}</process></definitions>'


APPROVAL = bpmn("""
  <startEvent id="s" name="Demande"/>
  <exclusiveGateway id="g" name="Montant ?" default="f_petit"/>
  <userTask id="dir" name="Validation du directeur"/>
  <userTask id="chef" name="Validation du chef"/>
  <endEvent id="ok" name="Approuvé par le directeur"/>
  <endEvent id="ok2" name="Approuvé"/>
  <sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
  <sequenceFlow id="f_gros" sourceRef="g" targetRef="dir"><conditionExpression>${montant &gt;= 10000}</conditionExpression></sequenceFlow>
  <sequenceFlow id="f_petit" sourceRef="g" targetRef="chef"/>
  <sequenceFlow id="f2" sourceRef="dir" targetRef="ok"/>
  <sequenceFlow id="f3" sourceRef="chef" targetRef="ok2"/>
""")


@pytest.mark.parametrize("amount, path", [
    (12000, ["Demande", "Montant ?", "Validation du directeur", "Approuvé par le directeur"]),
    (10000, ["Demande", "Montant ?", "Validation du directeur", "Approuvé par le directeur"]),
    (9999, ["Demande", "Montant ?", "Validation du chef", "Approuvé"]),
])
def test_each_case_takes_its_path(amount, path):
    process = process_from_bpmn(load_xml(APPROVAL))
    assert structure_problems(process) == []
    result = walk(process, {"montant": amount})
    assert result.problem is None and [n.label for n in result.path] == path


def test_flow_checks_name_the_end_and_hide_hidden_cases():
    checks = [{"id": "achat", "name": {"fr": "achat 12 000 MAD", "en": "purchase 12,000 MAD"},
               "facts": {"montant": 12000}, "end": "Approuvé"},
              {"id": "secret", "name": "secret", "facts": {"montant": 12000}, "end": "Approuvé"}]
    result = grade({"task": "process-flow"}, "processus.bpmn", APPROVAL, checks, hidden={"secret"})
    shown = messages(result)
    assert shown["achat"].startswith("Case 'purchase 12,000 MAD' ended at 'Approuvé par le directeur', expected "
                                     "'Approuvé'. Path: Demande → Montant ?")
    assert messages(result, "fr")["achat"].startswith("Cas « achat 12 000 MAD » : terminé à « Approuvé par le "
                                                      "directeur », attendu « Approuvé »")
    secret = result.checks[-1]
    assert not secret.passed and secret.message == "" and secret.to_dict()["message"] == ""


@pytest.mark.parametrize("body, facts, expected", [
    # No default flow: a case under the threshold has nowhere to go.
    ("""<startEvent id="s"/><exclusiveGateway id="g" name="Montant ?"/><endEvent id="e"/>
        <sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
        <sequenceFlow id="f2" sourceRef="g" targetRef="e"><conditionExpression>montant &gt;= 10000</conditionExpression></sequenceFlow>
        <sequenceFlow id="f3" sourceRef="g" targetRef="e"><conditionExpression>montant &gt;= 20000 and departement == 'IT'</conditionExpression></sequenceFlow>""",
     {"montant": 500, "departement": "IT"}, "gateway 'Montant ?' has no outgoing flow for montant = 500, departement = 'IT'"),
    ("""<startEvent id="s"/><exclusiveGateway id="g" name="Montant ?"/><endEvent id="a"/><endEvent id="b"/>
        <sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
        <sequenceFlow id="f2" sourceRef="g" targetRef="a"><conditionExpression>montant &gt;= 5000</conditionExpression></sequenceFlow>
        <sequenceFlow id="f3" sourceRef="g" targetRef="b"><conditionExpression>montant &gt;= 10000</conditionExpression></sequenceFlow>""",
     {"montant": 12000}, "several flows apply for montant = 12000 (to a, b)"),
    ("""<startEvent id="s"/><task id="t" name="Vérifier"/><task id="u" name="Corriger"/><endEvent id="e"/>
        <sequenceFlow id="f1" sourceRef="s" targetRef="t"/><sequenceFlow id="f2" sourceRef="t" targetRef="u"/>
        <sequenceFlow id="f3" sourceRef="u" targetRef="t"/>""",
     {}, "the path goes round a loop (Vérifier → Corriger → Vérifier)"),
    ("""<startEvent id="s"/><task id="t" name="Vérifier"/><endEvent id="e"/>
        <sequenceFlow id="f1" sourceRef="s" targetRef="t"/>""",
     {}, "the path stops at 'Vérifier', which is not an end event"),
    ("""<startEvent id="s"/><exclusiveGateway id="g" name="G" default="f3"/><endEvent id="e"/>
        <sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
        <sequenceFlow id="f2" sourceRef="g" targetRef="e"><conditionExpression>montnt &gt; 1</conditionExpression></sequenceFlow>
        <sequenceFlow id="f3" sourceRef="g" targetRef="e"/>""",
     {"montant": 3}, "uses 'montnt', which is not a fact of the case (montant = 3)"),
])
def test_walk_errors_are_named(body, facts, expected):
    result = grade({"task": "process-flow"}, "p.bpmn", bpmn(body), [{"id": "c", "name": "c", "facts": facts, "end": "e"}])
    assert expected in messages(result)["c"]


@pytest.mark.parametrize("body, expected", [
    ("<task id='t'/><endEvent id='e'/><sequenceFlow id='f' sourceRef='t' targetRef='e'/>", "has no start event"),
    ("<startEvent id='s'/><task id='t' name='T'/><sequenceFlow id='f' sourceRef='s' targetRef='t'/>",
     "The process has no end event."),
    ("<startEvent id='s'/><parallelGateway id='p' name='Split'/><endEvent id='e'/>"
     "<sequenceFlow id='f' sourceRef='s' targetRef='e'/>", "The parallelGateway element 'Split' is not supported"),
    ("<startEvent id='s'/><exclusiveGateway id='g' name='G'/><endEvent id='e'/><endEvent id='e2' name='X'/>"
     "<sequenceFlow id='f' sourceRef='s' targetRef='g'/><sequenceFlow id='f2' sourceRef='g' targetRef='e'/>"
     "<sequenceFlow id='f3' sourceRef='g' targetRef='e2'><conditionExpression>montant &gt;=</conditionExpression>"
     "</sequenceFlow>", "The flow from gateway 'G' to 'e' has no condition"),
    ("<startEvent id='s'/><exclusiveGateway id='g' name='G' default='f2'/><endEvent id='e'/><endEvent id='e2' name='X'/>"
     "<sequenceFlow id='f' sourceRef='s' targetRef='g'/><sequenceFlow id='f2' sourceRef='g' targetRef='e'/>"
     "<sequenceFlow id='f3' sourceRef='g' targetRef='e2'><conditionExpression>montant &gt;=</conditionExpression>"
     "</sequenceFlow>", "The condition 'montant >=' (to 'X') cannot be read: the condition ends too early."),
    ("<startEvent id='s'/><endEvent id='e'/><task id='t' name='Orpheline'/>"
     "<sequenceFlow id='f' sourceRef='s' targetRef='e'/><sequenceFlow id='f2' sourceRef='t' targetRef='e'/>",
     "'Orpheline' cannot be reached from the start."),
    ("<startEvent id='s'/><endEvent id='e'/><sequenceFlow id='f' sourceRef='s' targetRef='nulle'/>",
     "Flow f connects 'nulle', which does not exist."),
])
def test_flow_structure_problems(body, expected):
    result = grade({"task": "process-flow"}, "p.bpmn", bpmn(body), [{"id": "c", "name": "c", "facts": {}, "end": "e"}])
    assert expected in messages(result)["document"]


def test_yaml_steps_flow_and_from_reference():
    flow = """
steps:
  - {id: debut, type: start, next: montant}
  - id: montant
    type: gateway
    name: Montant ?
    branches:
      - {when: "montant >= 10000 && departement == 'IT'", next: dsi}
      - {otherwise: true, next: fin}
  - {id: dsi, type: task, name: Avis DSI, next: fin}
  - {id: fin, type: end, name: Approuvé}
"""
    spec = ExerciseSpec(kind="structured-task", files=["processus.yaml"], options={"task": "process-flow"},
                        checks=[{"id": "it", "name": "IT", "facts": {"montant": 12000, "departement": "IT"},
                                 "from_reference": True, "hidden": False}])
    assert GRADER.complete(spec, None, {"processus.yaml": flow}) == [] and GRADER.validate(spec) == []
    assert spec.checks[0]["end"] == "Approuvé" and spec.checks[0]["through"] == ["Avis DSI"]
    learner = learner_for(1, "u", "secret")
    assert GRADER.grade_trusted(spec, {"processus.yaml": flow}, learner).verdict == "passed"
    skipping = flow.replace("next: dsi", "next: fin")
    assert messages(GRADER.grade_trusted(spec, {"processus.yaml": skipping}, learner))["it"].startswith(
        "Case 'IT' does not pass through 'Avis DSI'")


# --- configuration tables -----------------------------------------------------------------------------------------

TABLES = {"assignation": {"key": ["ordre"], "rules": {"order": "ordre", "match": ["categorie"]},
                          "columns": {"ordre": {"type": "number", "required": True},
                                      "categorie": {"type": "choice", "values": ["reseau", "logiciel"]},
                                      "groupe": {"type": "text", "required": True},
                                      "minutes": {"type": "number"}}}}
CONFIG_CHECKS = [
    {"id": "row", "name": "row", "table": "assignation", "row": {"categorie": "reseau"},
     "values": {"minutes": {"max": 30}}},
    {"id": "rule", "name": "panne réseau", "table": "assignation", "case": {"categorie": "reseau"},
     "expect": {"groupe": "Réseau N2"}},
    {"id": "absent", "name": "absent", "table": "assignation", "absent": {"groupe": "Personne"}},
]


def test_config_table_rules_first_match_by_order():
    config = ("assignation:\n  - {ordre: 10, groupe: Service Desk, minutes: 60}\n"
              "  - {ordre: 20, categorie: reseau, groupe: Réseau N2, minutes: 45}\n")
    shown = messages(grade({"task": "config-table", "tables": TABLES}, "c.yaml", config, CONFIG_CHECKS))
    assert shown["row"] == "Table assignation, row where categorie = reseau: minutes is 45, expected ≤ 30."
    assert shown["rule"] == ("Case 'panne réseau' (categorie = 'reseau'): the rule applied (row 1) gives groupe = "
                             "Service Desk, expected Réseau N2.")
    assert shown["absent"] == "" and shown["document"] == ""
    fixed = config.replace("ordre: 10", "ordre: 99").replace("minutes: 45", "minutes: 15")
    assert grade({"task": "config-table", "tables": TABLES}, "c.yaml", fixed, CONFIG_CHECKS).verdict == "passed"


def test_config_table_from_csv_and_its_problems():
    csv_text = "ordre,categorie,groupe,minutes\n10,reseau,Réseau N2,quinze\n10,wifi,,\n"
    shown = messages(grade({"task": "config-table", "tables": TABLES}, "c.csv", csv_text, CONFIG_CHECKS))["document"]
    assert "Table assignation, row 2: minutes is 'quinze', which is not a number." in shown
    assert "Table assignation, row 3: categorie is 'wifi'; possible values: reseau, logiciel." in shown
    assert "Table assignation, row 3: 'groupe' is required." in shown
    assert "Table assignation: rows 2 and 3 have the same key (ordre = 10)." in shown
    bad = messages(grade({"task": "config-table", "tables": TABLES}, "c.csv", "ordre,groupe\n1\n", CONFIG_CHECKS))
    assert bad["document"] == "CSV error on line 2: 1 cells, 2 columns" and bad["row"].startswith("Fix the file first")


# --- hostile documents --------------------------------------------------------------------------------------------

BILLION_LAUGHS_YAML = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
BILLION_LAUGHS_XML = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                      + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
                                for i in range(1, 10)) + ']><definitions>&lol9;</definitions>')
EXTERNAL_ENTITY = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><definitions>&x;</definitions>'


@pytest.mark.parametrize("loader, document, expected", [
    (load_yaml, BILLION_LAUGHS_YAML, "yaml_alias"),
    (load_yaml, "a: !!python/object/apply:os.system [id]\n", "yaml_tag"),
    (load_yaml, "[" * 5000 + "]" * 5000, "too_deep"),
    (load_yaml, "a: " + "x" * 70_000, "too_large"),
    (load_yaml, "[" + "1, " * 6000 + "]", "too_many_nodes"),
    (load_xml, BILLION_LAUGHS_XML, "xml_dtd"),
    (load_xml, EXTERNAL_ENTITY, "xml_dtd"),
    (load_xml, "<a>" * 5000 + "</a>" * 5000, "xml_too_deep"),
])
def test_hostile_documents_are_refused_quickly(loader, document, expected):
    started = time.perf_counter()
    with pytest.raises(DocumentError) as refused:
        loader(document)
    assert refused.value.key == expected and time.perf_counter() - started < 2


def test_hostile_document_gets_a_clear_message_and_no_points():
    result = grade({"task": "data-model"}, "modele.yaml", BILLION_LAUGHS_YAML, MODEL_CHECKS)
    assert messages(result)["document"] == "Line 1: YAML anchors and aliases (& and *) are not accepted."
    assert result.score == 0 and all(c.status == "skipped" for c in result.checks[1:])
    xml = grade({"task": "process-flow"}, "p.bpmn", EXTERNAL_ENTITY, [{"id": "c", "name": "c", "facts": {}, "end": "e"}])
    assert messages(xml)["document"] == "DOCTYPE declarations, entities and external references are not accepted."
