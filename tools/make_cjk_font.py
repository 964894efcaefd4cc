"""Make the Chinese font Catfish ships, so that Chinese charts need no font on the machine.

The font is a subset of Noto Sans CJK SC Regular (SIL Open Font License 1.1) taken from Debian's
``fonts-noto-cjk``, renamed "Catfish Sans SC" and written, with its licence, to
``experiments/outputs/fonts_data/``. It covers ASCII and Latin-1, general punctuation, CJK
symbols and punctuation, full-width forms, all of GB2312 (its 6763 Chinese characters and its
symbols) and every non-ASCII character of Catfish's own ``.py``, ``.yaml`` and ``.j2`` files.

Run it from the repository, on a machine with ``fonts-noto-cjk`` (Debian: ``apt-get install
fonts-noto-cjk``), after adding Chinese text that uses a character outside GB2312
(``tests/test_fonts.py`` says which)::

    .venv/bin/python tools/make_cjk_font.py

The same source font and fontTools version give the same bytes: the output carries no time stamp.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import fontTools
from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FACE = "Noto Sans CJK SC"  # one face of the collection: the Simplified Chinese one
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")
OUT_DIR = ROOT / "experiments" / "outputs" / "fonts_data"
FONT_FILE = "CatfishSansSC-Regular.otf"

# OFL 1.1 condition 3: a Modified Version may not use a Reserved Font Name. Upstream's LICENSE
# (github.com/notofonts/noto-cjk, Sans/LICENSE) reserves "Source" (Debian's copyright file
# leaves that line out), and "Noto" is Google's trademark (name ID 7), so the subset takes a name
# of its own; it also keeps a system Noto Sans CJK SC from being mistaken for this subset.
FAMILY = "Catfish Sans SC"
POSTSCRIPT = "CatfishSansSC-Regular"
UPSTREAM_COPYRIGHT = ("Copyright 2014-2021 Adobe (http://www.adobe.com/), "
                      "with Reserved Font Name 'Source'.")

RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 supplement
    (0x2000, 0x206F),  # general punctuation: “ ” — … ‰
    (0x3000, 0x303F),  # CJK symbols and punctuation: 、 。 《 》 【 】
    (0xFF00, 0xFFEF),  # half-width and full-width forms: （ ） ， ： ％
)
EXTRA = "\u2212"  # the minus sign matplotlib draws when axes.unicode_minus is on
UNUSED_FEATURES = {"locl", "vert", "vrt2", "vkrn", "vpal", "vhal", "valt", "vchw", "vjmo",
                   "vatu", "halt", "palt", "chws"}
TEXT_SUFFIXES = {".py", ".yaml", ".yml", ".j2"}
SKIP_DIRS = {".git", "build", "dist", "node_modules", "catfish-output", "__pycache__"}


def gb2312_characters() -> set[str]:
    """Every character of GB2312, enumerated through Python's ``gb2312`` codec.

    Returns:
        The 7445 characters of the standard: 6763 Chinese characters and 682 symbols.
    """
    found = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                found.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # an unassigned code point of the 94 x 94 table
    return found


def repository_characters(root: Path = ROOT) -> dict[str, str]:
    """Non-ASCII characters of Catfish's own text files, each with one file that has it.

    Args:
        root: The repository.

    Returns:
        Character -> relative path of the first file found with it.
    """
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(p in SKIP_DIRS or p.startswith(".venv") or p.endswith(".egg-info")
               for p in parts):
            continue
        if path.suffix not in TEXT_SUFFIXES or not path.is_file():
            continue
        for char in path.read_text(encoding="utf-8"):
            if ord(char) > 0x7F:
                found.setdefault(char, "/".join(parts))
    return found


def wanted_code_points(root: Path = ROOT) -> set[int]:
    """Code points the subset should cover (those the source lacks are dropped later).

    Args:
        root: The repository, scanned for its own characters.

    Returns:
        The code points.
    """
    wanted = {c for low, high in RANGES for c in range(low, high + 1)}
    wanted |= {ord(c) for c in gb2312_characters() | set(EXTRA)}
    wanted |= {ord(c) for c in repository_characters(root)}
    return wanted


def ofl_text(copyright_file: Path = DEBIAN_COPYRIGHT) -> str:
    """The licence file to ship beside the font: its copyright line and OFL 1.1 verbatim.

    Args:
        copyright_file: Debian's machine-readable copyright file of ``fonts-noto-cjk``.

    Returns:
        The text of ``OFL.txt``.

    Raises:
        SystemExit: The file does not hold the OFL 1.1 text.
    """
    lines = copyright_file.read_text(encoding="utf-8").splitlines()
    # "License: SIL-1.1" also closes the "Files: *" paragraph; the text follows the one
    # that stands alone, its lines indented
    starts = [i + 1 for i, line in enumerate(lines[:-1])
              if line == "License: SIL-1.1" and lines[i + 1].startswith(" ")]
    if not starts:
        raise SystemExit(f"{copyright_file}: no 'License: SIL-1.1' paragraph")
    body = []
    for line in lines[starts[0]:]:
        if not line.startswith(" "):
            break  # the next paragraph of the copyright file
        # Debian indents each line by one space and writes blank lines as " ."
        body.append("" if line == " ." else line[1:])
    text = "\n".join(body).strip("\n")
    if "SIL OPEN FONT LICENSE Version 1.1" not in text:
        raise SystemExit(f"{copyright_file}: the SIL-1.1 paragraph is not OFL 1.1")
    note = (f"{FAMILY} ({FONT_FILE}) is a Modified Version of Noto Sans CJK SC Regular:\n"
            "a subset of its characters, renamed. It is licensed, like the original, under\n"
            "the SIL Open Font License, Version 1.1, below.\n")
    return f"{UPSTREAM_COPYRIGHT}\n\n{note}\n{text}\n"


def _source_face(path: Path) -> TTFont:
    for number in range(32):
        try:
            face = TTFont(path, fontNumber=number, recalcTimestamp=False)
        except (IndexError, AssertionError):
            break  # past the last face of the collection
        if face["name"].getDebugName(1) == SOURCE_FACE:
            return face
    raise SystemExit(f"{path}: no {SOURCE_FACE!r} face")


def _rename(font: TTFont) -> None:
    version = font["name"].getDebugName(5) or ""
    names = {
        1: FAMILY, 2: "Regular", 3: f"{POSTSCRIPT};subset of NotoSansCJKsc-Regular",
        4: FAMILY, 6: POSTSCRIPT, 5: version.split(";")[0],
        10: ("Subset of Noto Sans CJK SC Regular for the charts of Catfish: ASCII, Latin-1, "
             "punctuation, full-width forms, GB2312 and the characters of Catfish's own text "
             "(tools/make_cjk_font.py)."),
    }
    table = font["name"]
    # typographic and WWS family names (16, 17, 21, 22) would bring the old name back
    for name_id in (16, 17, 21, 22):
        table.removeNames(nameID=name_id)
    for name_id, text in names.items():
        table.removeNames(nameID=name_id)  # in every language: the Chinese records too
        table.setName(text, name_id, 3, 1, 0x409)  # Windows, Unicode BMP, English (US)
    cff = font["CFF "].cff
    old = cff.fontNames[0]
    cff.fontNames = [POSTSCRIPT]
    top = cff.topDictIndex[0]
    top.FullName = FAMILY
    top.FamilyName = FAMILY
    # the CID font's sub-fonts carry the old PostScript name as a prefix
    for sub in getattr(top, "FDArray", []) or []:
        if getattr(sub, "FontName", "").startswith(old):
            sub.FontName = POSTSCRIPT + sub.FontName[len(old):]


def make_font(source: Path = SOURCE, out_dir: Path = OUT_DIR) -> Path:
    """Write the subset, its licence and its README to ``out_dir``.

    Args:
        source: Debian's Noto Sans CJK collection (Regular).
        out_dir: Where the font goes.

    Returns:
        Path of the font file.
    """
    font = _source_face(source)
    have = set(font.getBestCmap())
    wanted = wanted_code_points()
    lacking = sorted(chr(c) for c in wanted - have if c > 0x7F)
    used = repository_characters()
    for char in lacking:
        if char in used:
            print(f"not in {SOURCE_FACE}, left out: {char!r} (U+{ord(char):04X}, "
                  f"{used[char]})", file=sys.stderr)

    options = subset.Options()
    # fontTools' default features (kerning, ligatures, marks) but not the localised forms
    # (HarfBuzz, which matplotlib shapes text with, could pick Japanese or Korean glyphs by
    # locale) nor vertical writing or punctuation spacing that charts never use
    options.layout_features = [f for f in options.layout_features if f not in UNUSED_FEATURES]
    options.name_IDs = ["*"]         # keep copyright, licence, designers
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = True           # matplotlib's text.hinting "default" uses the font's hints
    options.drop_tables += ["vhea", "vmtx", "VORG"]  # vertical metrics, as above
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(wanted & have))
    subsetter.subset(font)
    _rename(font)
    font["head"].modified = font["head"].created  # no time stamp: same input, same bytes

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FONT_FILE
    font.save(path)
    (out_dir / "OFL.txt").write_text(ofl_text(), encoding="utf-8")
    size = path.stat().st_size
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    glyphs = font["maxp"].numGlyphs
    chars = len(font.getBestCmap())
    (out_dir / "README.md").write_text(
        f"# {FAMILY}\n\n"
        f"`{FONT_FILE}` ({size / 1e6:.1f} MB, {glyphs} glyphs, {chars} characters) is a subset "
        f"of Noto Sans CJK SC\nRegular {font['name'].getDebugName(5)} (Debian's "
        "`fonts-noto-cjk`), renamed so as not to use the\nReserved Font Name or the Noto "
        "trademark, and licensed under the SIL Open Font License 1.1\n(`OFL.txt`). "
        "`experiments/outputs/fonts.py` uses it for Chinese charts where the machine has no\n"
        "CJK font of its own. It covers ASCII, Latin-1, general punctuation, CJK symbols and\n"
        "punctuation, full-width forms, GB2312 and every character of Catfish's own text.\n\n"
        "Made on a machine with Debian's `fonts-noto-cjk` by\n"
        "`.venv/bin/python tools/make_cjk_font.py` (fontTools "
        f"{fontTools.version}); sha256 `{digest}`.\n",
        encoding="utf-8")
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
          f"{size:,} bytes, {glyphs} glyphs, {chars} characters, sha256 {digest}")
    return path


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python tools/make_cjk_font.py [--source TTC] [--out DIR]``.

    Args:
        argv: Arguments (default: the command line's).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE,
                        help=f"Noto Sans CJK Regular collection (default {SOURCE})")
    parser.add_argument("--out", type=Path, default=OUT_DIR,
                        help="output folder (default experiments/outputs/fonts_data)")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        parser.error(f"{args.source}: not found (Debian: apt-get install fonts-noto-cjk)")
    make_font(args.source, args.out)


if __name__ == "__main__":
    main()
