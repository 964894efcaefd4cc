"""Words people read, in English and Chinese: one convention for every table of text.

Each module that shows text to people keeps it in one table, ``TEXT``::

    TEXT = {"en": {key: template, ...}, "zh": {key: template, ...}}

of ``str.format`` templates with named placeholders (``"{mix} is the most likely to ..."``):
the same keys in both languages and, per key, the same placeholders, so the code that fills a
template in never depends on the language. Words that differ by number in English ("does",
"do") get a key per form (``idle_one``, ``idle_many``) rather than a placeholder the Chinese
would ignore; punctuation that differs between the languages (``（）`` and ``()``, ``、`` and
``, ``) is part of a template too.

Code reads a table only through :func:`say` (and :func:`has`, for keys made from data); the
report's Jinja2 template through :class:`Words`, the same bound to a table and a language.
:data:`TABLES` lists every table of text; ``tests/test_bilingual.py`` checks each with
:func:`problems`. Column, instrument and parameter labels are the codebook's own table
(``sim/codebook.py``); text from files (scenario and mix labels, sources) comes in both
languages from the files.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from string import Formatter
from typing import Any

LANGS = ("en", "zh")
Table = Mapping[str, Mapping[str, str]]

# every table of text, by name: "module" (its TEXT) or "module:attribute"
TABLES: dict[str, str] = {
    "report": "catfish.experiments.outputs.report_text",
    "report_robust": "catfish.experiments.outputs.report_robust_text",
    "charts": "catfish.experiments.outputs.charts",
    "report_charts": "catfish.experiments.outputs.report_charts",
    "robust_charts": "catfish.experiments.outputs.robust_charts",
    "robust_charts.units": "catfish.experiments.outputs.robust_charts:UNITS",
    "sensitivity": "catfish.experiments.outputs.sa_report",
    "app": "catfish.experiments.explore.app_model",
    "firm": "catfish.experiments.explore.firm",
    # the analysis may not import an output, so it formats its table itself; checked here
    "flip_rules": "catfish.experiments.analysis.flips:WORDS",
}


class TextError(Exception):
    """A text that is not in its table, or a template missing a value: one line.

    Not a ``LookupError``, so that Jinja2 does not turn it into an empty string.
    """


def say(table: Table, lang: str, key: str, /, **values: Any) -> str:
    """The text ``key`` of ``table`` in ``lang``, its placeholders filled in from ``values``.

    Args:
        table: A table of text (``{"en": {key: template}, "zh": {key: template}}``).
        lang: ``"en"`` or ``"zh"``.
        key: The text's key.
        **values: A value for each placeholder of the template (more are ignored).

    Raises:
        TextError: ``lang`` or ``key`` is not in the table, or a placeholder has no value.
    """
    try:
        template = table[lang][key]
    except KeyError:
        raise TextError(f"no text {key!r} in language {lang!r} (languages: "
                        f"{', '.join(table)})") from None
    try:
        return template.format(**values)
    except (KeyError, IndexError) as exc:
        raise TextError(f"text {key!r} ({lang}) needs a value for {{{exc.args[0]}}}; given: "
                        f"{', '.join(values) or 'none'}") from None


def has(table: Table, lang: str, key: str) -> bool:
    """Whether ``table`` has the text ``key`` in ``lang`` (for keys made from data)."""
    return key in table.get(lang, {})


class Words:
    """A table in one language, for a Jinja2 template.

    ``t.key`` and ``t["key"]`` give a text without placeholders, ``t("key", name=value)`` one
    with; each reads through :func:`say`, so a key the table lacks fails loudly.
    """

    def __init__(self, table: Table, lang: str) -> None:
        self._table, self._lang = table, lang

    def __call__(self, key: str, /, **values: Any) -> str:
        """``say(table, lang, key, **values)``."""
        return say(self._table, self._lang, key, **values)

    def __getitem__(self, key: str) -> str:
        """``say(table, lang, key)``: Jinja2 reads ``t.key`` this way."""
        return say(self._table, self._lang, key)


def load_table(name: str) -> Table:
    """The registered table ``name`` (see :data:`TABLES`)."""
    module, _, attribute = TABLES[name].partition(":")
    return getattr(importlib.import_module(module), attribute or "TEXT")


def placeholders(template: str) -> set[str]:
    """The placeholders of a ``str.format`` template, by name (``{n:,}`` is ``n``).

    Raises:
        ValueError: The template does not parse (an unmatched brace).
    """
    names: set[str] = set()
    for _, field, spec, _ in Formatter().parse(template):
        if field is not None:
            names.add(re.split(r"[.\[]", field, maxsplit=1)[0])
            if spec:
                names |= placeholders(spec)  # a placeholder inside the format spec
    return names


def problems(name: str, text: Table) -> list[str]:
    """What is wrong with the table ``name``, one line each (empty if nothing).

    Both languages present and nothing else; the same keys in both; every text a template
    whose placeholders are named and parse; per key, the same placeholders in both languages.
    """
    found = []
    if set(text) != set(LANGS):
        found.append(f"{name}: languages {', '.join(sorted(text))}; expected "
                     f"{' and '.join(LANGS)}")
    langs = [lang for lang in LANGS if lang in text]
    for lang in langs:
        others = [other for other in langs if other != lang]
        for key in text[lang]:
            for other in others:
                if key not in text[other]:
                    found.append(f"{name}: key {key!r} is in {lang} but missing in {other}")
    fields: dict[str, dict[str, set[str]]] = {lang: {} for lang in langs}
    for lang in langs:
        for key, template in text[lang].items():
            if not isinstance(template, str):
                found.append(f"{name}: key {key!r} in {lang} is a {type(template).__name__}, "
                             f"not a template (str)")
                continue
            try:
                names = placeholders(template)
            except ValueError as exc:
                found.append(f"{name}: key {key!r} in {lang} does not parse: {exc}")
                continue
            unnamed = sorted(n for n in names if not n.isidentifier())
            if unnamed:
                found.append(f"{name}: key {key!r} in {lang} has placeholders without a name: "
                             + ", ".join("{" + n + "}" for n in unnamed))
            fields[lang][key] = names
    if len(langs) == 2:
        first, second = langs
        for key in fields[first].keys() & fields[second].keys():
            for lang, other in ((first, second), (second, first)):
                for missing in sorted(fields[lang][key] - fields[other][key]):
                    found.append(f"{name}: key {key!r} has {{{missing}}} in {lang} but not in "
                                 f"{other}")
    return found
