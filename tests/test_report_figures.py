"""Every figure family renders from a synthetic plot object (PNG of real size, SVG that
parses as XML), copes with missing optional fields and empty arrays, and leaves
matplotlib's global state and its input alone."""
from __future__ import annotations

import copy
import dataclasses
import io
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib import image as mimage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_fixtures import OPTIONAL_KEYS, emptied, make_plots, without  # noqa: E402

from multiphoton.errors import InputError  # noqa: E402
from multiphoton.plotdata import PlotData  # noqa: E402
from multiphoton.report.figures._common import NoFigureData  # noqa: E402
from multiphoton.report.figures import PLOTTERS, SUMMARY_STEM, draw, render_figures  # noqa: E402
from multiphoton.report.style import PNG_DPI, figure_style, save_figure  # noqa: E402

PLOTS = {p.family: p for p in make_plots("QS-4.5")}
FAST_DPI = 40  # low resolution: missing-key tests only need the drawing to go through


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _render_fast(plot) -> bytes:
    with figure_style():
        fig = draw(plot)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=FAST_DPI)
    return buf.getvalue()


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class _UnknownPlot(PlotData):
    family = "unknown_family"


def _missing(family, key):
    """The family's plot without ``key``; a TA map without A₀ + ΔA carries ΔA instead."""
    plot = without(PLOTS[family], key)
    if family == "ta_map" and key == "net_absorbance":
        plot = dataclasses.replace(plot, dA=PLOTS[family].net_absorbance)
    return plot


def test_fixture_covers_every_family():
    assert set(PLOTS) == set(PLOTTERS) == set(OPTIONAL_KEYS)


@pytest.mark.parametrize("family", sorted(PLOTTERS))
def test_family_renders_png_and_svg(family, tmp_path):
    with figure_style():
        fig = draw(PLOTS[family])
        width_in = fig.get_size_inches()[0]
        png, svg = save_figure(fig, tmp_path, f"{family}_QS-4.5_0")
    data = png.read_bytes()
    width, height = _png_size(data)
    assert width == pytest.approx(width_in * PNG_DPI, abs=2)   # saved at ≥ 150 dpi
    assert PNG_DPI >= 150 and height > 200
    pixels = mimage.imread(io.BytesIO(data))
    assert pixels[..., :3].std() > 0.05                       # not a blank canvas
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert len(list(root.iter())) > 50                         # real content, not an empty frame


@pytest.mark.parametrize("family", sorted(PLOTTERS))
def test_family_copes_with_each_optional_key_missing(family):
    # Building the figure runs all of the family's code paths; rasterising each variant
    # would take ~0.3 s apiece, so that is done for the all-null case below and, for
    # every single key, in the slow test.
    for key in OPTIONAL_KEYS[family]:
        plot = _missing(family, key)
        try:
            fig = draw(plot)
        except InputError as exc:  # every optional key alone leaves something to draw
            pytest.fail(f"{family} without {key!r} raised {exc}")
        assert fig.axes


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(PLOTTERS))
def test_family_rasterises_with_each_optional_key_missing(family):
    for key in OPTIONAL_KEYS[family]:
        assert _png_size(_render_fast(_missing(family, key)))[0] > 50


@pytest.mark.parametrize("family", sorted(PLOTTERS))
def test_family_with_only_required_keys(family):
    plot = without(PLOTS[family], *OPTIONAL_KEYS[family])
    try:
        data = _render_fast(plot)
    except NoFigureData as exc:
        # every optional panel gone: a clear "no figure" message naming the plot
        assert "QS-4.5" in str(exc) and family in str(exc)
    else:
        assert _png_size(data)[0] > 50


@pytest.mark.parametrize(
    ("family", "key"),
    [("pl_fluence_series", "fluence_mJ_cm2"), ("pl_spectrum", "energy_eV, counts"),
     ("trpl", "no traces and no residual"), ("ase_series", "no fluence_mJ_cm2"),
     ("ta_map", "needs delay_ps and energy_eV"), ("laser_series", "no fluence_mJ_cm2"),
     ("time_series", "no time_s"), ("tpef", "neither sample nor reference")],
)
def test_no_data_says_what_is_missing(family, key):
    with pytest.raises(NoFigureData, match=f"{family}.*{key}"):
        draw(emptied(PLOTS[family]))


def test_ta_map_without_net_absorbance_or_dA_says_so():
    with pytest.raises(NoFigureData, match="no net_absorbance and no dA"):
        draw(without(PLOTS["ta_map"], "net_absorbance"))


def test_ta_map_axis_labels_name_the_quantity():
    with figure_style():
        fig = draw(PLOTS["ta_map"])
    assert fig.axes[0].get_ylabel() == "A₀ + ΔA (OD)"
    assert fig.axes[-1].get_ylabel() == "A₀ + ΔA (OD)"          # the colour bar


def test_unknown_family_is_an_input_error():
    with pytest.raises(InputError, match="family 'unknown_family' is unknown"):
        draw(_UnknownPlot(sample="A", measurement=0))


def test_render_figures_names_notes_and_leaves_state_alone(tmp_path):
    plots = [PLOTS["trpl"], PLOTS["pl_fluence_series"],
             emptied(PLOTS["pl_spectrum"]),                           # cannot be drawn
             _UnknownPlot(sample="X", measurement=9),
             PLOTS["trpl"]]                                           # duplicate stem
    frozen = copy.deepcopy(plots)
    rc_before = dict(matplotlib.rcParams)
    backend_before = matplotlib.get_backend()
    out = render_figures(plots, tmp_path)
    assert plots == frozen                                           # inputs not modified
    assert dict(matplotlib.rcParams) == rc_before                    # style was temporary
    assert matplotlib.get_backend() == backend_before
    stems = [f.stem for f in out]
    # file numbers count measurements from 1, as the figure titles do
    assert stems == ["trpl_QS-4.5_4", "pl_fluence_series_QS-4.5_1", "pl_spectrum_QS-4.5_2",
                     "unknown_family_X_10", "trpl_QS-4.5_4-2", SUMMARY_STEM]
    notes = {f.stem: f.note for f in out if f.png is None}
    assert set(notes) == {"pl_spectrum_QS-4.5_2", "unknown_family_X_10"}
    assert "counts" in notes["pl_spectrum_QS-4.5_2"]
    assert "unknown" in notes["unknown_family_X_10"]
    for f in out:
        if f.png is not None:
            assert f.png.name == f"{f.stem}.png" and f.png.exists() and f.svg.exists()


def test_same_data_gives_the_same_files(tmp_path):
    plot = PLOTS["pl_spectrum"]
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    render_figures([plot], a)
    render_figures([copy.deepcopy(plot)], b)
    for name in ("pl_spectrum_QS-4.5_2.svg", "pl_spectrum_QS-4.5_2.png"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_pl_summary_puts_every_sample_in_one_panel():
    from multiphoton.report.figures import plot_pl_order_summary

    plots = make_plots("A") + make_plots("B", seed=1)
    with figure_style():
        fig = plot_pl_order_summary(plots)
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "A" in labels and "B" in labels
    assert sum("slope 2.00" in lab for lab in labels) == 2
    assert plot_pl_order_summary([PLOTS["trpl"]]) is None


def test_log_colour_scale_for_wide_fluence_range():
    from multiphoton.report.style import fluence_mappable
    from matplotlib.colors import LogNorm

    assert isinstance(fluence_mappable(np.array([0.1, 1.0, 10.0])).norm, LogNorm)
    assert not isinstance(fluence_mappable(np.array([1.0, 1.5, 2.0])).norm, LogNorm)
