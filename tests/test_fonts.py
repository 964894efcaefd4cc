"""Chinese charts: drawn with a CJK font where one is installed (in CI, always), and English
with a clear warning where none is, never boxes in place of characters."""

from __future__ import annotations

import io
import os
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib import rcParams  # noqa: E402

from experiments import fonts  # noqa: E402
from sim import codebook  # noqa: E402


@pytest.fixture
def restore_rc():
    saved = rcParams.copy()
    yield
    rcParams.update(saved)


def test_chinese_labels_render_without_missing_glyphs(restore_rc):
    family = fonts.cjk_family()
    if family is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI installs fonts-noto-cjk: a CJK font must be found")
        pytest.skip("no CJK font on this machine (install fonts-noto-cjk)")
    assert fonts.use_language("zh") == "zh", f"Chinese charts with {family}"
    figure, ax = plt.subplots()
    ax.set_title(codebook.label("n_transformed", "zh"))
    ax.set_xlabel(codebook.parameter_label("horizon_years", "zh"))
    ax.plot([0, 1], [0, 1], label=codebook.instrument_label("risk_sharing_fund", "zh"))
    ax.legend()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(io.BytesIO(), format="png")
    plt.close(figure)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, f"every Chinese character has a glyph in {family}: {missing[:3]}"


def test_without_a_cjk_font_charts_fall_back_to_english_with_a_warning(monkeypatch,
                                                                       restore_rc):
    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    with pytest.warns(UserWarning, match="no CJK font found .*fonts-noto-cjk.*English"):
        chosen = fonts.use_language("zh")
    assert chosen == "en", f"English labels without a CJK font, got {chosen!r}"
    assert fonts.use_language("en") == "en", "English needs no font"
