"""Chinese charts: drawn with the machine's CJK font where one is installed (in CI, always), with
the font Catfish ships where none is, and in English with a clear warning only where the shipped
font is missing too; never boxes in place of characters."""

from __future__ import annotations

import io
import os
import unicodedata
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from catfish.experiments.outputs import fonts  # noqa: E402
from catfish.sim import codebook  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402
from matplotlib import font_manager, rcParams  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FONT_DIR = fonts.BUNDLED_FONT.parent
# characters of the repository that are no chart's label, and that the font may lack
NOT_LABELS = {
    "❚": "tests/test_app.py clicks Mesa's pause button, drawn by the browser",
    "💥": "tests/test_scenarios.py feeds it to the scenario checks as a hostile value",
}


@pytest.fixture
def restore_rc():
    saved = rcParams.copy()
    yield
    rcParams.update(saved)


@pytest.fixture
def bundled_only(monkeypatch, restore_rc):
    """A machine with no CJK font of its own: only the shipped one can draw Chinese."""
    monkeypatch.setattr(fonts, "system_cjk_family", lambda: None)
    # matplotlib's own font list: an earlier Chinese chart in this process may have put the
    # machine's CJK font in it, which would draw what the shipped font lacks
    rcParams["font.sans-serif"] = matplotlib.rcParamsDefault["font.sans-serif"]
    assert not set(fonts.CJK_FAMILIES) & set(rcParams["font.sans-serif"]), \
        f"no CJK family of the machine to fall back on: {rcParams['font.sans-serif']}"


def codebook_chinese_labels() -> list[str]:
    return ([column.zh for column in codebook.ALL]
            + [zh for _, zh in codebook.INSTRUMENT_LABELS.values()]
            + [codebook.spent_column(name).zh for name in codebook.INSTRUMENT_LABELS]
            + [zh for _, zh in codebook.PARAMETER_LABELS.values()])


def repository_characters() -> dict[str, str]:
    """Non-ASCII characters of Catfish's .py, .yaml and .j2 files, each with a file using it."""
    found: dict[str, str] = {}
    for path in sorted(ROOT.rglob("*")):
        parts = path.relative_to(ROOT).parts
        if any(p.startswith((".venv", ".git")) or p.endswith(".egg-info")
               or p in {"build", "dist", "catfish-output"} for p in parts):
            continue
        if path.suffix in {".py", ".yaml", ".yml", ".j2"} and path.is_file():
            for char in path.read_text(encoding="utf-8"):
                if ord(char) > 0x7F:
                    found.setdefault(char, "/".join(parts))
    return found


def draw(labels: list[str]) -> None:
    """Draw ``labels`` as title, axis labels, tick labels and legend, to PNG and to SVG."""
    figure, ax = plt.subplots(figsize=(8, 6))
    try:
        ax.set_title(labels[0])
        ax.set_xlabel(labels[1 % len(labels)])
        ax.set_ylabel(labels[2 % len(labels)])
        for i, text in enumerate(labels):
            ax.plot([0, 1], [i, i + 1], label=text)
        ax.set_yticks(range(len(labels)), labels, fontsize=4)
        ax.legend(fontsize=3, ncols=3)
        for fmt in ("png", "svg"):
            figure.savefig(io.BytesIO(), format=fmt)
    finally:
        plt.close(figure)


def test_chinese_labels_render_with_the_machines_cjk_font(restore_rc):
    family = fonts.system_cjk_family()
    if family is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI installs fonts-noto-cjk: a CJK font must be found")
        pytest.skip("no CJK font on this machine (install fonts-noto-cjk)")
    assert fonts.use_language("zh") == "zh", f"Chinese charts with {family}"
    assert rcParams["font.sans-serif"][0] == family, \
        f"the machine's {family} is preferred to the shipped font: {rcParams['font.sans-serif']}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw(codebook_chinese_labels())
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, f"every Chinese character has a glyph in {family}: {missing[:3]}"


def test_without_a_cjk_font_on_the_machine_charts_use_the_shipped_one(bundled_only):
    assert fonts.use_language("zh") == "zh", "Chinese charts with the shipped font"
    assert fonts.use_language("zh") == "zh", "and again, in the same process"
    assert rcParams["font.sans-serif"].count("Catfish Sans SC") == 1, \
        f"the shipped family first, once: {rcParams['font.sans-serif']}"
    chosen = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]),
                                   fallback_to_default=False)
    assert Path(chosen) == fonts.BUNDLED_FONT, \
        f"charts draw with {fonts.BUNDLED_FONT}, not {chosen}"
    labels = codebook_chinese_labels()
    assert len(labels) > 100 and all(any(ord(c) > 0x2E80 for c in t) for t in labels), \
        f"every label of the codebook, each with Chinese characters: {len(labels)}"
    with warnings.catch_warnings():
        # "Glyph ... missing from font(s)", or any other warning, fails the test
        warnings.simplefilter("error")
        draw(labels)


def test_the_shipped_font_covers_every_character_of_catfishs_own_text():
    covered = set(TTFont(fonts.BUNDLED_FONT, lazy=True).getBestCmap())
    used = repository_characters()
    assert sum(unicodedata.category(c) == "Lo" for c in used) > 500, \
        f"the scan finds Catfish's Chinese text: {len(used)} characters"
    missing = {c: f for c, f in used.items() if ord(c) not in covered and c not in NOT_LABELS}
    assert not missing, (
        "characters of Catfish's text the shipped font lacks (regenerate it: "
        ".venv/bin/python tools/make_cjk_font.py): "
        + ", ".join(f"{c!r} U+{ord(c):04X} in {f}" for c, f in sorted(missing.items())[:20]))


def test_the_shipped_font_covers_gb2312_and_is_renamed_under_the_ofl():
    font = TTFont(fonts.BUNDLED_FONT, lazy=True)
    covered = set(font.getBestCmap())
    gb2312 = {bytes((row, cell)).decode("gb2312", errors="ignore")
              for row in range(0xB0, 0xF8) for cell in range(0xA1, 0xFF)} - {""}
    assert len(gb2312) == 6763, f"GB2312's Chinese characters, rows 16-87: {len(gb2312)}"
    lacking = [c for c in gb2312 if ord(c) not in covered]
    assert not lacking, f"every GB2312 Chinese character: {lacking[:10]}"
    assert all(c in covered for c in range(0x20, 0x7F)), "all of printable ASCII"
    names = {r.nameID: r.toUnicode() for r in font["name"].names if r.langID == 0x409}
    assert names[1] == "Catfish Sans SC" and "Source" not in names[1] + names[4] \
        and "Noto" not in names[1] + names[4], \
        f"a family of its own, not the Reserved Font Name 'Source' nor Noto: {names[1]!r}"
    ofl = (FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "Copyright 2014-2021 Adobe" in ofl and "SIL OPEN FONT LICENSE Version 1.1" in ofl, \
        "the copyright notice and the licence travel with the font"
    assert fonts.BUNDLED_FONT.stat().st_size < 4_000_000, "small enough to ship"


def test_without_any_usable_cjk_font_charts_fall_back_to_english_with_a_warning(
        bundled_only, monkeypatch, tmp_path):
    # a broken install: the shipped file is gone
    monkeypatch.setattr(fonts, "BUNDLED_FONT", tmp_path / "CatfishSansSC-Regular.otf")
    assert fonts.cjk_family() is None, "no usable CJK font at all"
    with pytest.warns(UserWarning, match="no CJK font found .*fonts-noto-cjk.*English"):
        chosen = fonts.use_language("zh")
    assert chosen == "en", f"English labels without a CJK font, got {chosen!r}"
    assert fonts.use_language("en") == "en", "English needs no font"


def test_a_damaged_shipped_font_counts_as_missing(bundled_only, monkeypatch, tmp_path):
    damaged = tmp_path / "CatfishSansSC-Regular.otf"
    damaged.write_bytes(b"not a font")
    monkeypatch.setattr(fonts, "BUNDLED_FONT", damaged)
    assert fonts.bundled_cjk_family() is None, "an unreadable file is not used"
