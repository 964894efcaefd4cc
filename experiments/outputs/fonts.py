"""Chinese labels need a CJK font: the machine's own, else the one Catfish ships.

Catfish ships "Catfish Sans SC" (``experiments/outputs/fonts_data/``, a subset of Noto Sans CJK
SC under the SIL Open Font License, made by ``tools/make_cjk_font.py``), so a machine with only
Python draws Chinese charts too. A CJK font installed on the machine is preferred: it covers
every character, where the shipped one covers GB2312 and Catfish's own text. Only if neither can
be used (the shipped file missing from a broken install) do charts fall back to English, with a
warning.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from matplotlib import font_manager, rcParams

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans SC",
                "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei",
                "Microsoft YaHei", "PingFang SC")
# file names of those fonts (lower case), to find them when matplotlib's cache predates them
CJK_FILE_KEYS = ("notosanscjk", "notoserifcjk", "notosanssc", "sourcehansans", "wqy",
                 "simhei", "msyh", "pingfang")
BUNDLED_FONT = Path(__file__).parent / "fonts_data" / "CatfishSansSC-Regular.otf"


def cjk_family() -> str | None:
    """Name of a font family that covers Chinese, the machine's or the shipped one, or None.

    None means no usable CJK font at all: none installed and the shipped file missing.
    """
    return system_cjk_family() or bundled_cjk_family()


def system_cjk_family() -> str | None:
    """Name of an installed font family that covers Chinese, or None.

    matplotlib caches the fonts it found when it first ran; a CJK font installed later (as CI
    does) is not in that cache, so look for CJK font files on the system once and add them.
    """
    family = _known_cjk_family()
    if family is None:
        for path in font_manager.findSystemFonts():
            if any(key in Path(path).name.lower() for key in CJK_FILE_KEYS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue  # an unreadable font file is simply not used
        family = _known_cjk_family()
    return family


def bundled_cjk_family() -> str | None:
    """Register the font Catfish ships with matplotlib and return its family name.

    Returns:
        The family name ("Catfish Sans SC"), or None if the file is missing or unreadable.
    """
    if not BUNDLED_FONT.is_file():
        return None
    family = _registered_family(BUNDLED_FONT)
    if family is None:  # not yet: addfont would add it a second time
        try:
            font_manager.fontManager.addfont(BUNDLED_FONT)
        except (OSError, RuntimeError, ValueError):
            return None  # a damaged file: as if it were missing
        family = _registered_family(BUNDLED_FONT)
    return family


def _registered_family(path: Path) -> str | None:
    return next((entry.name for entry in font_manager.fontManager.ttflist
                 if Path(entry.fname) == path), None)


def _known_cjk_family() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def use_language(lang: str) -> str:
    """Prepare matplotlib for ``lang`` and return the language charts will actually use.

    For ``"zh"`` the charts use an installed CJK font or else the shipped one. Only when
    neither is usable (a broken install) does it warn and return ``"en"``, so that charts never
    show boxes in place of characters.
    """
    if lang != "zh":
        return "en"
    family = cjk_family()
    if family is None:
        warnings.warn(f"no CJK font found (none installed, and {BUNDLED_FONT.name} is missing "
                      "from this installation of Catfish: reinstall it, or install "
                      "fonts-noto-cjk): charts use English labels", stacklevel=2)
        return "en"
    rcParams["font.family"] = "sans-serif"
    # first, and only once however often charts are drawn in this process
    rcParams["font.sans-serif"] = [family, *(f for f in rcParams["font.sans-serif"]
                                             if f != family)]
    rcParams["axes.unicode_minus"] = False
    return "zh"
