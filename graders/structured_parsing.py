"""Safe reading of the documents a learner hands in to a structured task: YAML, BPMN 2.0 XML and CSV.

Everything here runs on the trusted side, in the worker, on hostile text. YAML: PyYAML's pure-Python safe loader,
refusing anchors and aliases (billion laughs), explicit tags (`!!python/object`, `!!binary`...) and duplicate keys,
with caps on depth and on the number of nodes. XML: defusedxml, refusing any DOCTYPE (so no entity, no external
reference, no network), with caps on depth and elements. Every text is capped in size before it is parsed. A
problem is a `DocumentError`: a message key of graders.structured_task and its values (the line, when known).
"""
from __future__ import annotations

import csv
import datetime
import io

import yaml
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeElementTree

MAX_BYTES = 64 * 1024
MAX_DEPTH = 20
MAX_NODES = 5000
MAX_CSV_ROWS = 2000
MAX_CSV_COLUMNS = 50


class DocumentError(ValueError):
    """The document cannot be used: `key` names the message, `values` fill it."""

    def __init__(self, message_key: str, **values):
        super().__init__(message_key)
        self.key = message_key
        self.values = values


def check_size(text: str, max_bytes: int = MAX_BYTES) -> None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise DocumentError("too_large", size=-(-size // 1024), limit=max_bytes // 1024)
    if not text.strip():
        raise DocumentError("empty")


class _StrictLoader(yaml.SafeLoader):
    """The safe loader with aliases, anchors, explicit tags and duplicate keys refused, depth and nodes capped."""

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise DocumentError("yaml_alias", line=line)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise DocumentError("yaml_tag", line=line, tag=str(tag)[:40])
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise DocumentError("too_many_nodes", limit=MAX_NODES)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise DocumentError("too_deep", line=line, limit=MAX_DEPTH)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise DocumentError("duplicate_key", line=key_node.start_mark.line + 1, key=key_node.value[:60])
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def _plain(value):
    """YAML's dates as ISO text: the rest of the grader sees JSON-like values only."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_yaml(text: str, max_bytes: int = MAX_BYTES):
    check_size(text, max_bytes)
    loader = _StrictLoader(text)
    try:
        return _plain(loader.get_single_data())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise DocumentError("yaml_syntax", line=mark.line + 1 if mark else 1,
                            problem=str(exc.problem or exc.context or "")[:200]) from None
    except yaml.YAMLError as exc:
        raise DocumentError("yaml_syntax", line=1, problem=str(exc)[:200]) from None
    finally:
        loader.dispose()


def local_name(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def load_xml(text: str, max_bytes: int = MAX_BYTES):
    """The root element; elements and depth capped (walked without recursion)."""
    check_size(text, max_bytes)
    try:
        root = SafeElementTree.fromstring(text.encode("utf-8", "replace"), forbid_dtd=True,
                                          forbid_entities=True, forbid_external=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise DocumentError("xml_dtd") from None
    except SafeElementTree.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 1
        raise DocumentError("xml_syntax", line=line, problem=str(exc).split(":")[0][:120]) from None
    stack, count = [(root, 1)], 0
    while stack:
        element, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH * 2:  # BPMN nests a little deeper than YAML (definitions/process/flow/condition)
            raise DocumentError("xml_too_deep", limit=MAX_DEPTH * 2)
        if count > MAX_NODES:
            raise DocumentError("too_many_nodes", limit=MAX_NODES)
        stack.extend((child, depth + 1) for child in element)
    return root


def load_csv(text: str, max_bytes: int = MAX_BYTES) -> list[dict]:
    """Rows as {column: text}, each with its line in "_line"; the first row names the columns."""
    check_size(text, max_bytes)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = []
    try:
        header = [name.strip() for name in next(reader)]
        if len(header) > MAX_CSV_COLUMNS:
            raise DocumentError("csv_syntax", line=1, problem=f"more than {MAX_CSV_COLUMNS} columns")
        if len(set(header)) != len(header) or not all(header):
            raise DocumentError("csv_syntax", line=1, problem="column names must be distinct and not empty")
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_CSV_ROWS:
                raise DocumentError("too_many_nodes", limit=MAX_CSV_ROWS)
            if len(cells) != len(header):
                raise DocumentError("csv_syntax", line=reader.line_num,
                                    problem=f"{len(cells)} cells, {len(header)} columns")
            rows.append({**{name: cell.strip() for name, cell in zip(header, cells)}, "_line": reader.line_num})
    except csv.Error as exc:
        raise DocumentError("csv_syntax", line=reader.line_num, problem=str(exc)[:120]) from None
    return rows
