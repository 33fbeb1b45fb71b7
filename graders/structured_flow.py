"""Process flows of the structured-task kind: a BPMN 2.0 process or YAML steps read into one graph, its conditions
parsed by a tiny expression language (never eval), and a case (a set of facts) walked through it on the trusted
side, with a step cap. Problems are (message key, values) pairs of graders.structured_task's messages.

Supported: start and end events, tasks of every BPMN flavour (and intermediate events, passed through), exclusive
gateways with conditions on their outgoing flows and a default flow. An exclusive gateway must send each case down
exactly one flow: none (no default) and several at once are both named errors, as are a dead end, a loop and a
walk longer than the cap.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from graders.structured_parsing import local_name

MAX_STEPS = 200
MAX_CONDITION_CHARS = 300
MAX_CONDITION_DEPTH = 10
TASK_ELEMENTS = {"task", "userTask", "serviceTask", "manualTask", "scriptTask", "businessRuleTask", "sendTask",
                 "receiveTask"}
PASS_THROUGH_ELEMENTS = {"intermediateThrowEvent", "intermediateCatchEvent"}
UNSUPPORTED_ELEMENTS = {"parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway", "subProcess",
                        "callActivity", "boundaryEvent", "transaction", "adHocSubProcess"}
YAML_STEP_TYPES = ("start", "task", "gateway", "end")


class FlowProblem(ValueError):
    def __init__(self, message_key: str, **values):
        super().__init__(message_key)
        self.key = message_key
        self.values = values


# --- conditions ---------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>'[^']*'|\"[^\"]*\")"
                    r"|(?P<op>==|!=|<=|>=|&&|\|\||[<>=!()\[\],])|(?P<name>[^\W\d]\w*))")
_KEYWORDS = {"and": "&&", "or": "||", "not": "!", "et": "&&", "ou": "||", "non": "!"}
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">=", "=", "in"}


def _tokens(text: str) -> list[tuple[str, object]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise FlowProblem("cond_unexpected", token=text[position:].strip()[:20])
        position = match.end()
        if match.group("number"):
            number = float(match.group("number"))
            tokens.append(("value", int(number) if number.is_integer() else number))
        elif match.group("string"):
            tokens.append(("value", match.group("string")[1:-1]))
        elif match.group("op"):
            tokens.append(("op", match.group("op")))
        else:
            name = match.group("name")
            lowered = name.lower()
            if lowered in _KEYWORDS:
                tokens.append(("op", _KEYWORDS[lowered]))
            elif lowered == "in":
                tokens.append(("op", "in"))
            elif lowered in ("true", "vrai", "false", "faux"):
                tokens.append(("value", lowered in ("true", "vrai")))
            else:
                tokens.append(("name", name))
    return tokens


class _ConditionParser:
    """or := and (|| and)* ; and := not (&& not)* ; not := ! not | comparison ;
    comparison := operand (op operand)? ; operand := value | name | ( or ) | [ value, ... ]"""

    def __init__(self, tokens):
        self.tokens, self.index, self.depth = tokens, 0, 0

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        if token[0] is None:
            raise FlowProblem("cond_end")
        self.index += 1
        return token

    def nested(self):
        self.depth += 1
        if self.depth > MAX_CONDITION_DEPTH:
            raise FlowProblem("cond_too_deep", limit=MAX_CONDITION_DEPTH)

    def parse(self):
        tree = self.parse_or()
        if self.peek()[0] is not None:
            raise FlowProblem("cond_unexpected", token=str(self.peek()[1])[:20])
        return tree

    def parse_or(self):
        tree = self.parse_and()
        while self.peek() == ("op", "||"):
            self.take()
            tree = ("or", tree, self.parse_and())
        return tree

    def parse_and(self):
        tree = self.parse_not()
        while self.peek() == ("op", "&&"):
            self.take()
            tree = ("and", tree, self.parse_not())
        return tree

    def parse_not(self):
        if self.peek() == ("op", "!"):
            self.take()
            self.nested()
            return ("not", self.parse_not())
        left = self.parse_operand()
        kind, value = self.peek()
        if kind == "op" and value in _COMPARISONS:
            self.take()
            return ("cmp", "==" if value == "=" else value, left, self.parse_operand())
        return left

    def parse_operand(self):
        kind, value = self.take()
        if kind == "value":
            return ("value", value)
        if kind == "name":
            return ("name", value)
        if (kind, value) == ("op", "("):
            self.nested()
            tree = self.parse_or()
            if self.take() != ("op", ")"):
                raise FlowProblem("cond_unexpected", token=str(self.tokens[self.index - 1][1]))
            self.depth -= 1
            return tree
        if (kind, value) == ("op", "["):
            items = []
            while self.peek() != ("op", "]"):
                item_kind, item = self.take()
                if item_kind != "value":
                    raise FlowProblem("cond_unexpected", token=str(item)[:20])
                items.append(item)
                if self.peek() == ("op", ","):
                    self.take()
            self.take()
            return ("value", items)
        raise FlowProblem("cond_unexpected", token=str(value)[:20])


def strip_expression(text: str) -> str:
    """A BPMN engine's `${...}` / `#{...}` wrapper off a condition."""
    text = " ".join(text.split())
    if len(text) > 3 and text[0] in "$#" and text[1] == "{" and text.endswith("}"):
        return text[2:-1].strip()
    return text


def parse_condition(text: str):
    if len(text) > MAX_CONDITION_CHARS:
        raise FlowProblem("cond_too_long", limit=MAX_CONDITION_CHARS)
    tokens = _tokens(text)
    if not tokens:
        raise FlowProblem("cond_end")
    return _ConditionParser(tokens).parse()


def condition_names(tree) -> list[str]:
    if tree[0] == "name":
        return [tree[1]]
    if tree[0] == "value":
        return []
    return [name for part in tree[1:] if isinstance(part, tuple) for name in condition_names(part)]


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def evaluate(tree, facts: dict):
    """The condition's value for these facts; FlowProblem for a name that is no fact, or mismatched types."""
    kind = tree[0]
    if kind == "value":
        return tree[1]
    if kind == "name":
        if tree[1] not in facts:
            raise FlowProblem("case_unknown_fact", name=tree[1])
        return facts[tree[1]]
    if kind == "not":
        return not _boolean(evaluate(tree[1], facts))
    if kind == "and":
        return _boolean(evaluate(tree[1], facts)) and _boolean(evaluate(tree[2], facts))
    if kind == "or":
        return _boolean(evaluate(tree[1], facts)) or _boolean(evaluate(tree[2], facts))
    operator, left, right = tree[1], evaluate(tree[2], facts), evaluate(tree[3], facts)
    if operator == "in":
        if not isinstance(right, list):
            raise FlowProblem("case_types", left=_shown(left), right=_shown(right))
        return left in right
    if operator in ("==", "!="):
        if _number(left) != _number(right) or (not _number(left) and type(left) is not type(right)):
            raise FlowProblem("case_types", left=_shown(left), right=_shown(right))
        return (left == right) == (operator == "==")
    if not (_number(left) and _number(right)):
        raise FlowProblem("case_types", left=_shown(left), right=_shown(right))
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[operator]


def _boolean(value) -> bool:
    if not isinstance(value, bool):
        raise FlowProblem("case_not_boolean")
    return value


def _shown(value) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def facts_text(facts: dict, names) -> str:
    names = [n for n in dict.fromkeys(names) if n in facts] or list(facts)
    return ", ".join(f"{name} = {_shown(facts[name])}" for name in names)


# --- the graph ----------------------------------------------------------------------------------------------------

@dataclass
class Node:
    id: str
    kind: str  # start, end, task, gateway, event
    name: str

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass
class Flow:
    id: str
    source: str
    target: str
    condition_text: str = ""
    condition: tuple | None = None
    default: bool = False


@dataclass
class Process:
    nodes: dict[str, Node] = field(default_factory=dict)
    flows: list[Flow] = field(default_factory=list)
    problems: list[tuple[str, dict]] = field(default_factory=list)

    def outgoing(self, node_id: str) -> list[Flow]:
        return [f for f in self.flows if f.source == node_id]

    def label(self, node_id: str) -> str:
        return self.nodes[node_id].label if node_id in self.nodes else node_id

    def add_node(self, node: Node) -> None:
        if not node.id:
            self.problems.append(("flow_missing_id", {"node": node.name or node.kind}))
        elif node.id in self.nodes:
            self.problems.append(("flow_duplicate_id", {"id": node.id}))
        else:
            self.nodes[node.id] = node

    def add_condition(self, flow: Flow, text: str) -> None:
        flow.condition_text = strip_expression(text)
        if not flow.condition_text:
            return
        try:
            flow.condition = parse_condition(flow.condition_text)
        except FlowProblem as problem:
            self.problems.append(("flow_condition_syntax", {"condition": flow.condition_text,
                                                            "target": self.label(flow.target),
                                                            "problem": (problem.key, problem.values)}))


def _name(text) -> str:
    return " ".join(str(text or "").split())


def process_from_bpmn(root) -> Process:
    process = Process()
    if local_name(root.tag) == "process":
        processes = [root]
    elif local_name(root.tag) == "definitions":
        processes = [child for child in root if local_name(child.tag) == "process"]
    else:
        processes = []
    if len(processes) != 1:
        process.problems.append(("flow_root", {}) if not processes else
                                ("flow_several_processes", {"count": len(processes)}))
        return process
    defaults, flow_elements = set(), []
    for element in processes[0]:
        tag, node_id, name = local_name(element.tag), element.get("id", ""), _name(element.get("name"))
        if tag == "sequenceFlow":
            flow_elements.append(element)
        elif tag in UNSUPPORTED_ELEMENTS:
            process.problems.append(("flow_unsupported", {"element": tag, "node": name or node_id}))
        elif tag in ("startEvent", "endEvent", "exclusiveGateway") or tag in TASK_ELEMENTS | PASS_THROUGH_ELEMENTS:
            kind = {"startEvent": "start", "endEvent": "end", "exclusiveGateway": "gateway"}.get(
                tag, "task" if tag in TASK_ELEMENTS else "event")
            process.add_node(Node(node_id, kind, name))
            if tag == "exclusiveGateway" and element.get("default"):
                defaults.add((node_id, element.get("default")))
    for element in flow_elements:
        flow = Flow(element.get("id", ""), element.get("sourceRef", ""), element.get("targetRef", ""))
        flow.default = (flow.source, flow.id) in defaults
        condition = next((child for child in element if local_name(child.tag) == "conditionExpression"), None)
        process.flows.append(flow)
        process.add_condition(flow, "".join(condition.itertext()) if condition is not None else "")
    flow_ids = {(f.source, f.id) for f in process.flows}
    for gateway, flow_id in sorted(defaults - flow_ids):
        process.problems.append(("flow_bad_default", {"gateway": process.label(gateway), "flow": flow_id}))
    return process


def process_from_yaml(data) -> Process:
    """{steps: [{id, type, name, next} | {id, type: gateway, name, branches: [{when, next} | {otherwise, next}]}]}"""
    process = Process()
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list) or not steps or not all(isinstance(s, dict) for s in steps):
        process.problems.append(("flow_steps_shape", {}))
        return process
    for step in steps:
        node_id, kind, name = _name(step.get("id")), step.get("type"), _name(step.get("name"))
        if kind not in YAML_STEP_TYPES:
            process.problems.append(("flow_step_type", {"node": name or node_id, "type": _name(kind)[:30],
                                                        "types": ", ".join(YAML_STEP_TYPES)}))
            continue
        process.add_node(Node(node_id, kind, name))
        if kind == "gateway":
            branches = step.get("branches")
            if not isinstance(branches, list) or not branches:
                process.problems.append(("flow_branch_shape", {"node": name or node_id}))
                continue
            for number, branch in enumerate(branches, start=1):
                if not isinstance(branch, dict) or not branch.get("next") or \
                        not (isinstance(branch.get("when"), (str, bool, int, float)) or branch.get("otherwise")):
                    process.problems.append(("flow_branch_shape", {"node": name or node_id}))
                    continue
                flow = Flow(f"{node_id}#{number}", node_id, _name(branch["next"]), default=bool(branch.get("otherwise")))
                process.flows.append(flow)
                if not flow.default:
                    process.add_condition(flow, str(branch["when"]))
        elif kind != "end":
            following = step.get("next")
            targets = following if isinstance(following, list) else [following] if following else []
            for number, target in enumerate(targets, start=1):
                process.flows.append(Flow(f"{node_id}#{number}", node_id, _name(target)))
    return process


def structure_problems(process: Process) -> list[tuple[str, dict]]:
    """What is wrong with the graph as a whole, before any case is walked."""
    problems = list(process.problems)
    starts = [n for n in process.nodes.values() if n.kind == "start"]
    if not starts:
        problems.append(("flow_no_start", {}))
    elif len(starts) > 1:
        problems.append(("flow_several_starts", {"nodes": ", ".join(n.label for n in starts)}))
    if not any(n.kind == "end" for n in process.nodes.values()):
        problems.append(("flow_no_end", {}))
    for flow in process.flows:
        for end in (flow.source, flow.target):
            if end not in process.nodes:
                problems.append(("flow_unknown_node", {"flow": flow.id, "node": end or "?"}))
    for node in process.nodes.values():
        out = process.outgoing(node.id)
        if node.kind == "end" and out:
            problems.append(("flow_end_outgoing", {"node": node.label}))
        elif node.kind != "end" and not out:
            problems.append(("flow_dead_end", {"node": node.label}))
        elif node.kind == "gateway" and len(out) > 1:
            for flow in out:
                if not flow.default and not flow.condition_text:
                    problems.append(("flow_unconditional", {"gateway": node.label,
                                                            "target": process.label(flow.target)}))
            if sum(f.default for f in out) > 1:
                problems.append(("flow_several_defaults", {"gateway": node.label}))
        elif node.kind != "gateway" and len(out) > 1:
            problems.append(("flow_task_branches", {"node": node.label, "count": len(out)}))
    if len(starts) == 1:
        reached, frontier = {starts[0].id}, [starts[0].id]
        while frontier:
            for flow in process.outgoing(frontier.pop()):
                if flow.target in process.nodes and flow.target not in reached:
                    reached.add(flow.target)
                    frontier.append(flow.target)
        problems.extend(("flow_unreachable", {"node": n.label}) for n in process.nodes.values() if n.id not in reached)
    return problems


# --- walking a case -----------------------------------------------------------------------------------------------

@dataclass
class Walk:
    path: list[Node]
    end: Node | None = None
    problem: tuple[str, dict] | None = None

    def path_text(self) -> str:
        return " → ".join(node.label for node in self.path)


def walk(process: Process, facts: dict, max_steps: int = MAX_STEPS) -> Walk:
    """The path this case takes from the single start event; the end reached, or the named reason it reached none."""
    starts = [n for n in process.nodes.values() if n.kind == "start"]
    if len(starts) != 1:
        return Walk([], problem=("case_no_start", {}))
    node, result = starts[0], Walk([starts[0]])
    while node.kind != "end":
        out = process.outgoing(node.id)
        if not out:
            result.problem = ("case_dead_end", {"node": node.label})
            return result
        if node.kind == "gateway" and len(out) > 1:
            chosen, problem = _choose(process, node, out, facts)
            if problem:
                result.problem = problem
                return result
        elif len(out) > 1:
            result.problem = ("case_dead_end", {"node": node.label})  # structure_problems names it better
            return result
        else:
            chosen = out[0]
        if chosen.target not in process.nodes:
            result.problem = ("case_dead_end", {"node": node.label})
            return result
        following = process.nodes[chosen.target]
        if following in result.path:
            cycle = result.path[result.path.index(following):] + [following]
            result.problem = ("case_loop", {"cycle": " → ".join(n.label for n in cycle)})
            return result
        result.path.append(following)
        if len(result.path) > max_steps:
            result.problem = ("case_too_long", {"limit": max_steps})
            return result
        node = following
    result.end = node
    return result


def _choose(process: Process, gateway: Node, out: list[Flow], facts: dict):
    matching, default, names = [], None, []
    for flow in out:
        if flow.default:
            default = flow
            continue
        if flow.condition is None:
            return None, ("case_bad_condition", {"gateway": gateway.label, "target": process.label(flow.target)})
        names.extend(condition_names(flow.condition))
        try:
            if _boolean(evaluate(flow.condition, facts)):
                matching.append(flow)
        except FlowProblem as problem:
            return None, (problem.key, {**problem.values, "condition": flow.condition_text,
                                        "facts": facts_text(facts, [])})
    if len(matching) > 1:
        return None, ("case_ambiguous", {"gateway": gateway.label, "facts": facts_text(facts, names),
                                         "targets": ", ".join(process.label(f.target) for f in matching)})
    if not matching and default is None:
        return None, ("case_no_flow", {"gateway": gateway.label, "facts": facts_text(facts, names)})
    return (matching[0] if matching else default), None


def same_step(node: Node, wanted: str) -> bool:
    """A step named in a check is a node's name or id, spaces, case and apostrophes aside."""
    return normal_name(wanted) in (normal_name(node.name), normal_name(node.id))


def normal_name(text) -> str:
    return " ".join(str(text or "").replace("’", "'").casefold().split())
