"""What a spectroscopist sees (issue #19): the figure defects, each checked on the drawn figure.

The browser test (tests/test_browser.py) checks, in Chromium, that no text overlaps and that
Table 2 fits or scrolls; these tests check content: labels, letters, precision, scales, insets.
"""
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_fixtures import make_plots, make_results  # noqa: E402

from multiphoton.report.figures import draw  # noqa: E402
from multiphoton.report.figures._common import value_pm  # noqa: E402
from multiphoton.report.figures.ase import systematic_misfit  # noqa: E402
from multiphoton.report.figures.gain import delay_text  # noqa: E402
from multiphoton.report.style import figure_style  # noqa: E402

PLOTS = {p.family: p for p in make_plots()}


def _draw(plot):
    with figure_style():
        return draw(plot)


def _texts(fig) -> list[str]:
    out = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    return [t for t in out if t]


def _title(ax) -> str:
    return ax.get_title(loc="left") or ax.get_title()


def _all_axes(fig):
    """Axes, colour bars and insets (inset axes are children of their parent axes)."""
    return list(fig.axes) + [c for ax in fig.axes for c in ax.child_axes]


def _legend_texts(ax) -> list[str]:
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg else []


@pytest.mark.parametrize("value, err, want", [
    (1.9712, 0.0123, "1.971 ± 0.012"),     # was "1.97 ± 0.01"; and 0.004 printed as "± 0.00"
    (1.97, 0.004, "1.9700 ± 0.0040"),
    (2.14, 0.05, "2.140 ± 0.050"),
    (1.0866, 0.0032, "1.0866 ± 0.0032"),
    (5.0, float("nan"), "5"),
])
def test_value_pm_gives_two_significant_digits_of_the_error(value, err, want):
    assert value_pm(value, err) == want


def test_pl_slope_label_never_reads_pm_zero():
    plot = dataclasses.replace(PLOTS["pl_fluence_series"], slope=1.97, slope_stderr=0.004)
    fig = _draw(plot)
    labels = [t for ax in fig.axes for t in _legend_texts(ax)]
    assert "slope 1.9700 ± 0.0040" in labels and not any("± 0.00" == t[-6:] for t in labels)


def test_pl_spectra_are_labelled_per_ev():
    fig = _draw(PLOTS["pl_fluence_series"])
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert "PL (×10⁴ counts eV⁻¹)" in labels and "PL (counts)" not in labels


def test_trpl_panels_are_a_and_b_and_the_difference_is_on_a_log_axis():
    plot = dataclasses.replace(PLOTS["trpl"], tau_xx_stderr=0.26, tau_x_stderr=0.038)
    fig = _draw(plot)
    texts = _texts(fig)
    assert "a" in texts and "b" in texts and "e" not in texts and "f" not in texts
    diff = next(ax for ax in fig.axes if _title(ax).startswith("Differenced decay"))
    assert diff.get_yscale() == "log"
    assert any("τ_XX = 6.70 ± 0.26 ns" in t for t in _legend_texts(diff))
    # the early (biexciton) part is magnified: an inset on the first 4 τ_XX
    insets = [ax for ax in _all_axes(fig) if _title(ax).startswith("first")]
    assert len(insets) == 1 and insets[0].get_xlim()[1] == pytest.approx(4 * 6.7, rel=0.1)


def test_ta_map_labels_colour_scale_and_contours():
    plot = dataclasses.replace(PLOTS["ta_map"], gain_lifetime_stderr=0.21)
    fig = _draw(plot)
    spectra_ax, map_ax = fig.axes[0], fig.axes[1]
    assert spectra_ax.get_ylabel() == "A₀ + ΔA (OD)"
    bar_labels = [ax.get_ylabel() for ax in fig.axes[2:]]
    assert bar_labels == ["A₀ + ΔA (OD)"]                      # not "gain region at 10 ps"
    mesh = map_ax.collections[0]
    net = np.asarray(plot.net_absorbance)
    # the colour scale is set by the gain depth (~0.2 OD here), not by the ~0.3 OD ground state
    assert mesh.norm.halfrange == pytest.approx(-net.min(), rel=1e-6)
    assert mesh.norm.halfrange < net.max()
    # zero contours only where gain can be (delay > 0)
    for c in map_ax.collections[1:]:
        for path in c.get_paths():
            assert path.vertices[:, 1].min() > 0
    assert "gain lifetime 3.40 ± 0.21 ns" in _legend_texts(map_ax)
    assert "Transient absorption gain" in fig._suptitle.get_text()
    assert delay_text(2e4) == "20 ns" and delay_text(0.5) == "0.5 ps"


def test_ta_map_without_ground_state_is_not_called_gain():
    plot = dataclasses.replace(PLOTS["ta_map"], net_absorbance=None, ground_state=None,
                               dA=PLOTS["ta_map"].net_absorbance)
    fig = _draw(plot)
    assert "gain" not in fig._suptitle.get_text().lower()


def test_laser_threshold_with_uncertainty_zoom_and_units():
    plot = dataclasses.replace(PLOTS["laser_series"], threshold_stderr=0.0032, linewidth_meV=0.76)
    fig = _draw(plot)
    io_ax = next(ax for ax in fig.axes if _title(ax) == "Input–output")
    assert any(t.startswith("threshold 1.2000 ± 0.0032 mJ cm⁻²") for t in _legend_texts(io_ax))
    assert io_ax.get_ylabel() == "Line intensity\n(counts·eV)"
    zoom = [ax for ax in _all_axes(fig) if _title(ax).startswith("zoom")]
    assert len(zoom) == 1
    lo, hi = zoom[0].get_xlim()
    assert lo < 1.95 < hi and hi - lo < 0.02                      # a few meV around the mode
    # the fluence colour bar sits above panel a, not beside panel b's y label
    fig.canvas.draw()
    spectra_ax = next(ax for ax in fig.axes if _title(ax) == "Spectra")
    bar = next(ax for ax in fig.axes if ax.get_xlabel() == "Fluence (mJ cm⁻²)" and ax.get_ylabel() == ""
               and not ax.lines)
    assert bar.get_position().y0 >= spectra_ax.get_position().y1


def test_ase_misfit_flagged_and_noisy_widths_muted():
    # an S-shaped input-output curve above threshold (as QS-4.5 of the demo), no noise
    fluence = np.linspace(0.6, 1.8, 16)
    s_shape = 3000 / (1 + np.exp(-12 * (fluence - 1.45)))
    base = PLOTS["ase_series"]
    plot = dataclasses.replace(
        base, fluence_mJ_cm2=fluence, energy_eV=[], counts=[], integrated=s_shape + 50 * fluence,
        threshold_mJ_cm2=1.0, threshold_stderr=0.003, below_fit=np.array([50.0, 0.0]),
        above_fit=np.polyfit(fluence[fluence >= 1.0], (s_shape + 50 * fluence)[fluence >= 1.0], 1),
        fwhm_meV=np.array([7, 88, 40, np.nan, 12, 26, 25, 24, 23, 22, 21, 20, 19, 18, 18, 18], float),
        ase_peak_eV=None, pl_peak_eV=None)
    fig = _draw(plot)
    io_ax = next(ax for ax in fig.axes if _title(ax).startswith("Input–output"))
    assert "line misfits" in _title(io_ax)
    assert "threshold 1.0000 ± 0.0030 mJ cm⁻²" in _legend_texts(io_ax)
    width_ax = next(ax for ax in fig.axes if _title(ax) == "Linewidth")
    lo, hi = width_ax.get_ylim()
    assert lo > 10 and hi < 30                      # scaled to the above-threshold widths 18–26 meV
    notes = _legend_texts(width_ax)
    assert "1 spectra: no width measurable" in notes
    assert any("below-threshold widths off scale" in t for t in notes)
    # a straight line through noise is not flagged
    rng = np.random.default_rng(1)
    assert not systematic_misfit(fluence, 3 * fluence + rng.normal(0, 0.05, fluence.size))


def test_across_samples_figure_plots_quantities_against_volume():
    from multiphoton.report.figures.samples import plot_across_samples

    results = make_results(with_plots=False)
    with figure_style():
        fig = plot_across_samples(results)
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_visible()]
    assert labels == ["σ₂ (×10⁶ GM)", "τ_XX (ns)"]        # the quantities both samples have
    tau_ax = fig.axes[1]
    x, y = tau_ax.lines[0].get_data()
    assert list(x) == [678.0, 1630.0] and list(y) == [6.7, 4.0]


def test_absent_cells_are_explained_by_their_warning_or_said_not_measured():
    from multiphoton.report.html import render_html

    results = make_results(with_plots=False)
    w = results.warnings[0]
    html = render_html(results, [])
    # the warned cell carries the warning's reason and links to it
    assert f'title="{w.reason}"'.replace("<", "&lt;").replace(">", "&gt;") in html
    assert 'href="#warnings">—<sup>w</sup>' in html
    # a cell no measurement gives says so, and no cell claims a warning that does not exist
    assert 'title="not measured: no measurement of this sample gives it"' in html
    assert html.count("<sup>w</sup></a>") == sum(
        1 for x in results.warnings
        if x.quantity in {c.key for c in __import__("multiphoton.report.tables", fromlist=["x"]).TABLE2_COLUMNS
                          + __import__("multiphoton.report.tables", fromlist=["x"]).TABLE1_COLUMNS}
        and not (x.sample in results.samples and x.quantity in results.samples[x.sample]))


def test_provenance_shows_paths_as_written_in_the_manifest(tmp_path):
    from test_pipeline_table1 import make_campaign

    from multiphoton.pipeline import analyze

    (tmp_path / "c").mkdir()
    manifest, _ = make_campaign(tmp_path / "c")
    text = manifest.read_text()
    # one relative path rewritten as an absolute one: provenance must show it as written, not ../../…
    absolute = str((manifest.parent / "s2p.csv").resolve())
    assert 'sample_2p = "s2p.csv"' in text
    manifest.write_text(text.replace('sample_2p = "s2p.csv"', f'sample_2p = "{absolute}"'))
    results = analyze(manifest)
    paths = [i["path"] for i in results.inputs]
    assert absolute in paths and "r2p.csv" in paths and not any(p.startswith("..") for p in paths)


def test_one_tick_style_on_log_axes_and_no_offset_text_on_spectra():
    from multiphoton.report.style import tick_text

    assert [tick_text(v) for v in (1e5, 1e6, 2e5, 50.0)] == ["10⁵", "10⁶", "2×10⁵", "50"]
    big = dataclasses.replace(PLOTS["pl_fluence_series"],
                              counts=np.asarray(PLOTS["pl_fluence_series"].counts) * 1e4)
    fig = _draw(big)
    fig.canvas.draw()
    spectra_ax = next(ax for ax in fig.axes if _title(ax) == "Spectra")
    assert spectra_ax.get_ylabel() == "PL (×10⁸ counts eV⁻¹)"
    assert spectra_ax.yaxis.get_offset_text().get_text() == ""
    loglog = next(ax for ax in fig.axes if _title(ax) == "Integrated PL")
    labels = [t.get_text() for t in loglog.get_yticklabels() if t.get_text()]
    assert labels and not any("e+" in t for t in labels)


def test_ta_noise_draws_no_comb_of_zero_contours():
    base = PLOTS["ta_map"]
    rng = np.random.default_rng(3)
    energy = np.asarray(base.energy_eV)
    delay = np.linspace(-2, 5000, 40)
    gs = 0.3 * np.exp(-0.5 * ((energy - 2.15) / 0.06) ** 2)
    gain = 0.1 * np.exp(-0.5 * ((energy - 1.98) / 0.03) ** 2)
    net = np.array([gs - (gain * np.exp(-d / 3000) if d > 0 else 0) for d in delay])
    net += rng.normal(0, 0.002, net.shape)       # sub-gap A₀ + ΔA ≈ 0 ± noise: a zero level combs it
    plot = dataclasses.replace(base, delay_ps=delay, net_absorbance=net, ground_state=gs, noise_od=0.002)
    fig = _draw(plot)
    map_ax = fig.axes[1]
    vertices = np.concatenate([p.vertices for c in map_ax.collections[1:] for p in c.get_paths()])
    # every contour vertex lies on the gain band (1.98 ± 3·0.03 eV), none in the sub-gap noise
    assert vertices[:, 0].min() > 1.85 and vertices[:, 0].max() < 2.1


@pytest.mark.parametrize("family", sorted(PLOTS))
def test_every_tick_label_is_plain_text_in_the_house_style(family):
    """No matplotlib mathtext (``$\\mathdefault{10^{5}}$``) on any axis, symlog and colour bars
    included: one tick style everywhere, and no mathtext parsing in the report's drawing."""
    fig = _draw(PLOTS[family])
    fig.canvas.draw()
    labels = [t.get_text() for ax in _all_axes(fig) for axis in (ax.xaxis, ax.yaxis)
              for t in axis.get_ticklabels(which="both")]
    assert not [t for t in labels if "$" in t], family


def test_across_samples_log_axes_are_plain_and_readable():
    from multiphoton.report.figures.samples import plot_across_samples

    with figure_style():
        fig = plot_across_samples(make_results())
    fig.canvas.draw()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = [t.get_text() for t in axis.get_ticklabels(which="both") if t.get_text()]
            assert not [t for t in labels if "$" in t]
            if axis.get_scale() == "log" and ax.get_visible():
                assert len(labels) >= 2, (axis.get_label_text(), labels)  # one tick cannot be read


def test_symlog_delay_axis_uses_the_minus_sign():
    from multiphoton.report.style import tick_text

    assert tick_text(-1.0) == "\N{MINUS SIGN}1" and tick_text(-2e5) == "\N{MINUS SIGN}2×10⁵"
