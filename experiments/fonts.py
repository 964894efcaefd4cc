"""Chinese labels need a CJK font; find one, or fall back to English with a clear warning."""

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


def cjk_family() -> str | None:
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


def _known_cjk_family() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def use_language(lang: str) -> str:
    """Prepare matplotlib for ``lang`` and return the language charts will actually use.

    For ``"zh"`` without a CJK font, warn once and return ``"en"`` so that charts never show
    boxes in place of characters. Install Debian's ``fonts-noto-cjk`` to get Chinese charts.
    """
    if lang != "zh":
        return "en"
    family = cjk_family()
    if family is None:
        warnings.warn("no CJK font found (install fonts-noto-cjk): charts use English labels",
                      stacklevel=2)
        return "en"
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = [family, *rcParams["font.sans-serif"]]
    rcParams["axes.unicode_minus"] = False
    return "zh"
