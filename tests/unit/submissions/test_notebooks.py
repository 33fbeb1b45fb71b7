"""The notebook check and strip on plain data: what is kept (cells' types and sources), what is refused and how."""
import json

import pytest

from lms.submissions.notebooks import NotebookRefused, clean_notebook, code_cells
from tests.conftest import solution_of


def test_the_bundled_notebooks_are_already_in_the_stored_form():
    """The starter a learner downloads and the reference are what an upload of them would store."""
    for kind in ("starter", "solution"):
        text = solution_of("classeur-regions", kind)["analyse.ipynb"]
        assert clean_notebook(text) == text


def test_cleaning_keeps_types_and_sources_only_and_is_stable():
    uploaded = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {"secret": 1}, "cells": [
        {"id": "a1", "cell_type": "markdown", "source": "# Titre\n", "attachments": {"x.png": {"image/png": "AAAA"}},
         "metadata": {"tags": ["x"]}},
        {"id": "b2", "cell_type": "code", "source": ["a = 1\n", "b = 2"], "execution_count": 7,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "3"}], "metadata": {}}]})
    cleaned = clean_notebook(uploaded)
    assert json.loads(cleaned)["cells"] == [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Titre\n"]},
        {"cell_type": "code", "metadata": {}, "source": ["a = 1\n", "b = 2"], "execution_count": None, "outputs": []}]
    assert json.loads(cleaned)["nbformat_minor"] == 4 and "secret" not in cleaned  # no cell ids: 4.4 needs none
    assert clean_notebook(cleaned) == cleaned
    assert code_cells(cleaned) == ["a = 1\nb = 2"]


def test_json_nested_past_the_parser_is_refused_as_no_notebook():
    with pytest.raises(NotebookRefused) as refused:
        clean_notebook("[" * 100_000 + "]" * 100_000)
    assert refused.value.http_status == 400


def test_too_many_cells_are_refused():
    cells = [{"cell_type": "code", "source": "x = 1"}] * 501
    with pytest.raises(NotebookRefused) as refused:
        clean_notebook(json.dumps({"nbformat": 4, "cells": cells}))
    assert refused.value.http_status == 422


def test_what_is_no_notebook_has_no_cells_to_show():
    assert code_cells("print('a script')") is None
    assert code_cells('{"cells": 3}') is None
