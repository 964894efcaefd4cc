"""Text people read, in English and Chinese: every table of text has both languages with the
same keys and, per key, the same placeholders; a gap is named by table, key and language."""

from __future__ import annotations

from string import Formatter

import pytest
from catfish.experiments.outputs import words
from catfish.experiments.outputs.words import (
    TABLES,
    TextError,
    load_table,
    placeholders,
    problems,
    say,
)


def fields(template: str) -> set[str]:
    """The placeholders of a template as ``string.Formatter().parse`` finds them."""
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_both_languages_have_the_same_keys(name):
    table = load_table(name)
    assert set(table) == {"en", "zh"}, f"table {name}: languages {sorted(table)}, not en and zh"
    for lang, other in (("en", "zh"), ("zh", "en")):
        missing = sorted(set(table[lang]) - set(table[other]))
        assert not missing, (f"table {name}: keys in {lang} but missing in {other}: "
                             + ", ".join(missing))


@pytest.mark.parametrize("name", sorted(TABLES))
def test_each_key_has_the_same_placeholders_in_both_languages(name):
    table = load_table(name)
    gaps = []
    for key in sorted(set(table["en"]) & set(table["zh"])):
        en, zh = fields(table["en"][key]), fields(table["zh"][key])
        for lang, have, other, lack in (("en", en, "zh", zh), ("zh", zh, "en", en)):
            gaps += [f"table {name}, key {key!r}: {{{p}}} in {lang} but missing in {other}"
                     for p in sorted(have - lack)]
    assert not gaps, "\n".join(gaps)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_text_is_a_template_with_named_placeholders(name):
    found = problems(name, load_table(name))
    assert not found, "\n".join(found)


def test_a_missing_key_or_placeholder_is_named_by_table_key_and_language():
    broken = {"en": {"title": "{n:,} of {total:,} firms", "only_en": "x", "odd": "{}"},
              "zh": {"title": "{total:,}家企业中{n}家完成", "hello": "{name}", "odd": "{}"}}
    broken["zh"]["title"] = "{total:,}"
    found = problems("demo", broken)
    assert "demo: key 'only_en' is in en but missing in zh" in found, found
    assert "demo: key 'hello' is in zh but missing in en" in found, found
    assert "demo: key 'title' has {n} in en but not in zh" in found, found
    assert any(line.startswith("demo: key 'odd' in en has placeholders without a name")
               for line in found), found
    assert problems("demo", {"en": {"a": "{x"}, "zh": {"a": "x"}}) == [
        "demo: key 'a' in en does not parse: expected '}' before end of string"], \
        "an unmatched brace is named too"
    assert problems("demo", {"en": {}}) == ["demo: languages en; expected en and zh"]


def test_placeholders_are_found_by_name_whatever_their_format():
    assert placeholders("{n:,} of {total:,.0f} ({share:.0%}) {row.label} {a[0]}") == \
        {"n", "total", "share", "row", "a"}
    assert placeholders("{value:{width}}") == {"value", "width"}, "nested in a format spec"
    assert placeholders("no placeholder, {{braces}} kept") == set()


def test_say_fills_a_template_and_names_what_is_missing():
    table = {"en": {"done": "{n:,} firms by {date}"}, "zh": {"done": "截至{date}：{n:,}家"}}
    assert say(table, "en", "done", n=1200, date="2025-12") == "1,200 firms by 2025-12"
    assert say(table, "zh", "done", n=1200, date="2025-12") == "截至2025-12：1,200家"
    with pytest.raises(TextError, match=r"text 'done' \(zh\) needs a value for \{date\}"):
        say(table, "zh", "done", n=1)
    with pytest.raises(TextError, match="no text 'gone' in language 'en'"):
        say(table, "en", "gone")
    assert words.has(table, "zh", "done") and not words.has(table, "zh", "gone")


def test_the_report_template_reads_words_loudly():
    from jinja2 import Environment

    t = words.Words({"en": {"a": "A", "b": "B {x}"}, "zh": {}}, "en")
    render = Environment(autoescape=True).from_string
    assert render("{{ t.a }} {{ t['a'] }} {{ t('b', x='<1>') }}").render(t=t) == "A A B &lt;1&gt;"
    with pytest.raises(TextError, match="no text 'missing'"):
        render("{{ t.missing }}").render(t=t)
