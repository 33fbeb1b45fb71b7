"""Jupyter notebooks handed in as files: checked (nbformat 4), then stripped to their cells' types and sources.

What a notebook stores besides its sources (outputs, execution counts, attachments, widget state, metadata) was made
on the learner's machine: it is not needed to grade (the sandbox runs the cells again) and must never be shown as if
the platform had run it, so it is dropped before anything is stored. Pure functions; the submission service turns
a NotebookRefused into its own rejection.
"""
from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l

SUFFIX = ".ipynb"
MEDIA_TYPE = "application/x-ipynb+json"
CELL_TYPES = ("code", "markdown", "raw")
MAX_CELLS = 500
# What the stored notebook says about itself: written here, never copied from the upload.
METADATA = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"}}
NBFORMAT_MINOR = 4  # the last minor version whose cells need no "id": the stripped cells have none


class NotebookRefused(Exception):
    def __init__(self, message, http_status: int = 422):
        super().__init__(str(message))
        self.message = message
        self.http_status = http_status


def is_notebook(name: str) -> bool:
    return name.lower().endswith(SUFFIX)


def _source(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return None


def clean_notebook(text: str) -> str:
    """The notebook `text` (JSON) reduced to its cells' types and sources, as nbformat 4 JSON; NotebookRefused
    with a message a learner can act on when it is not a notebook."""
    try:
        document = json.loads(text)
    except RecursionError:  # nested past what the parser follows: no notebook is
        raise NotebookRefused(_l("This file is not a notebook: it is not valid JSON."), 400) from None
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        message = (_l("This file is not a notebook: it is not valid JSON (line %(line)d).", line=line) if line
                   else _l("This file is not a notebook: it is not valid JSON."))
        raise NotebookRefused(message, 400) from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise NotebookRefused(_l("This file is not a Jupyter notebook: it has no list of cells."))
    if document.get("nbformat") != 4:
        raise NotebookRefused(_l("This notebook is not in the nbformat 4 format: save it with a recent Jupyter."))
    if len(document["cells"]) > MAX_CELLS:
        raise NotebookRefused(_l("This notebook has more than %(count)d cells.", count=MAX_CELLS))
    cells = []
    for number, cell in enumerate(document["cells"], start=1):
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        if kind not in CELL_TYPES:
            raise NotebookRefused(_l("Cell %(number)d of the notebook is not a code, markdown or raw cell.",
                                     number=number))
        source = _source(cell.get("source", ""))
        if source is None:
            raise NotebookRefused(_l("Cell %(number)d of the notebook has no valid source (a text or a list of "
                                     "texts).", number=number))
        kept = {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
        if kind == "code":
            kept.update({"execution_count": None, "outputs": []})
        cells.append(kept)
    if not any(c["cell_type"] == "code" and "".join(c["source"]).strip() for c in cells):
        raise NotebookRefused(_l("This notebook has no code: write your analysis in its code cells."))
    stripped = {"cells": cells, "metadata": METADATA, "nbformat": 4, "nbformat_minor": NBFORMAT_MINOR}
    return json.dumps(stripped, ensure_ascii=False, indent=1) + "\n"


def code_cells(text: str) -> list[str] | None:
    """The sources of a stored notebook's code cells, in order (numbered as the grader's messages number them);
    None when `text` is no notebook (then it is shown as it is)."""
    try:
        document = json.loads(text)
        return [_source(c.get("source", "")) or "" for c in document["cells"] if c.get("cell_type") == "code"]
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
