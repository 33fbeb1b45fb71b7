"""The message catalogs: messages.pot is current with the code, and French and Arabic translate every message,
with the same placeholders as the English source and every plural form filled in (Arabic has six).

After changing a user-visible string: `make translations` (extract, update, compile), then translate the new or
changed entries of lms/translations/fr and ar (no fuzzy flag left), and run these tests.
"""
from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from io import BytesIO

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from .conftest import ROOT, TRANSLATIONS

TRANSLATED = ("fr", "ar")
PLURAL_FORMS = {"fr": 3, "ar": 6, "en": 2}  # CLDR: fr one/many/other; ar zero/one/two/few/many/other

# printf-style conversions (%(name)s, %d, %%) and brace fields ({n}); JSON braces like {"files": ...} are not fields.
PERCENT = re.compile(r"%(?:\((?P<name>\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?(?P<conv>[diouxXeEfFgGcrsa%])")
BRACE = re.compile(r"\{[A-Za-z_]\w*\}")


def placeholders(text: str) -> tuple[frozenset, Counter]:
    """(named fields, which may repeat or move; positional conversions, counted: their order is fixed anyway)."""
    named, positional = set(), Counter()
    for match in PERCENT.finditer(text):
        if match["conv"] == "%":
            named.add("%%")
        elif match["name"]:
            named.add(f"%({match['name']}){match['conv']}")
        else:
            positional[f"%{match['conv']}"] += 1
    named.update(BRACE.findall(text))
    return frozenset(named), positional


def load(path):
    with open(path, "rb") as f:
        return read_po(f, locale=None if path.suffix == ".pot" else path.parts[-3])


def key(message):
    return message.id if isinstance(message.id, str) else tuple(message.id)


@pytest.fixture(scope="module")
def template():
    return load(TRANSLATIONS / "messages.pot")


@pytest.fixture(scope="module")
def catalogs():
    return {lang: load(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po") for lang in ("fr", "ar", "en")}


def test_template_is_current_with_the_code(tmp_path):
    """Every string marked in lms/ (Python, with _l and lazy_gettext too, and templates) is in messages.pot."""
    fresh = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(fresh), "."], cwd=ROOT, check=True)
    current = {key(m) for m in load(fresh) if m.id}
    stored = {key(m) for m in load(TRANSLATIONS / "messages.pot") if m.id}
    assert current - stored == set(), "strings missing from messages.pot: run `make translations` and translate them"
    assert stored - current == set(), "messages.pot has strings the code no longer uses: run `make translations`"


def test_lazy_strings_are_extracted(template):
    """_l()/lazy_gettext, including the calls that pass keyword arguments (presenters.py, services.py, forms.py)."""
    ids = {key(m) for m in template}
    for msgid in ("Passed", "Wrong answer", "Queued", "skipped", "Password",
                  "Missing file(s): %(names)s.", "Your code is %(size)d bytes; the limit is %(limit)d bytes.",
                  "Please wait %(seconds)d s before submitting again."):
        assert msgid in ids


@pytest.mark.parametrize("lang", ("fr", "ar", "en"))
def test_catalog_has_exactly_the_template_messages(template, catalogs, lang):
    expected = {key(m) for m in template if m.id}
    actual = {key(m) for m in catalogs[lang] if m.id}
    assert expected - actual == set(), f"{lang}: not updated from messages.pot (pybabel update)"
    assert actual - expected == set(), f"{lang}: entries that messages.pot no longer has"


@pytest.mark.parametrize("lang", PLURAL_FORMS)
def test_plural_forms_header(catalogs, lang):
    assert catalogs[lang].num_plurals == PLURAL_FORMS[lang]
    assert not catalogs[lang].fuzzy, f"{lang}: the catalog header is fuzzy, so pybabel compile would skip it"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(template, catalogs, lang):
    catalog = catalogs[lang]
    problems = []
    for source in template:
        if not source.id:
            continue
        message = catalog.get(source.id)
        if message is None:
            problems.append(f"missing: {source.id!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {source.id!r}")
        elif source.pluralizable:
            forms = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
            if len(forms) != catalog.num_plurals or not all(form.strip() for form in forms):
                problems.append(f"plural forms not all filled ({len(forms)}/{catalog.num_plurals}): {source.id!r}")
        elif not (message.string or "").strip():
            problems.append(f"untranslated: {source.id!r}")
    assert problems == [], f"{lang}: {len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_placeholders_match(catalogs, lang):
    problems = []
    for message in catalogs[lang]:
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id
            assert placeholders(singular) == placeholders(plural), f"source singular/plural differ: {message.id!r}"
            expected = placeholders(plural)
            forms = list(enumerate(message.string))
        else:
            expected = placeholders(message.id)
            forms = [(None, message.string)]
        for index, text in forms:
            if text and placeholders(text) != expected:
                where = "" if index is None else f"[{index}]"
                problems.append(f"{message.id!r}{where}: {text!r}")
    assert problems == [], f"{lang}: placeholders differ from the source:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", ("fr", "ar", "en"))
def test_catalog_passes_babel_checks_and_compiles(catalogs, lang):
    catalog = catalogs[lang]
    errors = [(m.id, [str(e) for e in errs]) for m, errs in catalog.check()]
    assert errors == []
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = Translations(fp=buffer)
    # English keeps msgstr empty: gettext falls back to the source text, plurals included.
    if lang == "en":
        assert translations.gettext("Submit") == "Submit"
        assert translations.ngettext("%(num)d exercise", "%(num)d exercises", 3) == "%(num)d exercises"
        assert translations.ngettext("%(num)d exercise", "%(num)d exercises", 1) == "%(num)d exercise"


def test_english_catalog_leaves_msgstr_empty(catalogs):
    """en is the source language: its entries stay empty so the English source text is shown."""
    filled = [m.id for m in catalogs["en"] if m.id and any(m.string if isinstance(m.string, tuple) else (m.string,))]
    assert filled == []


def test_key_learner_terms():
    """The words a learner sees on the exercise page, as used in Moroccan training centres."""
    fr = Translations.load(str(TRANSLATIONS), ["fr"])
    ar = Translations.load(str(TRANSLATIONS), ["ar"])
    assert fr.gettext("Submit") == "Soumettre"
    assert fr.gettext("Passed") == "Réussi"
    assert fr.gettext("Wrong answer") == "Mauvaise réponse"
    assert fr.gettext("Time limit exceeded") == "Temps limite dépassé"
    assert "file d'attente" in fr.gettext("Queued")
    assert ar.gettext("Submit") == "إرسال"
    assert ar.gettext("Passed") == "ناجح"


@pytest.mark.parametrize("n, form", [(0, 0), (1, 1), (2, 2), (3, 3), (10, 3), (11, 4), (99, 4), (100, 5), (103, 3),
                                     (111, 4), (1000, 5)])
def test_arabic_plural_forms_are_picked_by_cldr_rules(n, form):
    ar = Translations.load(str(TRANSLATIONS), ["ar"])
    with open(TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.po", "rb") as f:
        message = read_po(f, locale="ar").get(("%(num)d exercise", "%(num)d exercises"))
    assert ar.ngettext("%(num)d exercise", "%(num)d exercises", n) == message.string[form]
    assert (ar.ngettext("%(num)d exercise", "%(num)d exercises", n) % {"num": n}).startswith(str(n))
