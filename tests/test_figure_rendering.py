"""How figures are saved (issue #18): laid out once for both formats, only the formats
asked for, the same files whether drawn in one process or several, and a worker that
fails has its figures drawn by the caller."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_fixtures import make_plots  # noqa: E402

from multiphoton.errors import UsageError  # noqa: E402
from multiphoton.report import figures as figures_mod  # noqa: E402
from multiphoton.report.figures import draw, render_figures  # noqa: E402
from multiphoton.report.style import check_formats, figure_style, save_figure  # noqa: E402

# Two samples with a cheap family each: enough for two groups of whole samples.
PLOTS = [p for s in ("QS-A", "QS-B") for p in make_plots(s) if p.family in ("pl_spectrum", "tpef")]


def test_formats_are_checked():
    assert check_formats("png") == ("png",)
    assert check_formats(["SVG", "png"]) == ("png", "svg")
    with pytest.raises(UsageError, match="'pdf'.*png,svg"):
        check_formats("png,pdf")
    with pytest.raises(UsageError, match="none given"):
        check_formats(" , ")


def test_layout_is_computed_once_for_both_formats(tmp_path, monkeypatch):
    calls = []
    with figure_style():
        fig = draw(PLOTS[0])
        engine = fig.get_layout_engine()
        original = engine.execute
        monkeypatch.setattr(engine, "execute", lambda f: (calls.append(1), original(f))[1])
        png, svg = save_figure(fig, tmp_path, "x")
    assert len(calls) == 1                       # the SVG reused the PNG's layout
    assert png.read_bytes()[:4] == b"\x89PNG" and b"<svg" in svg.read_bytes()[:400]


def test_svg_text_stays_editable_text_with_a_fallback_font(tmp_path):
    import re

    with figure_style():
        _, svg = save_figure(draw(PLOTS[1]), tmp_path, "x", formats="svg")
    text = svg.read_text(encoding="utf-8")
    labels = re.findall(r"<text [^>]*>([^<]*)", text)
    assert "Fluence (mJ cm⁻²)" in labels             # a label is a text element, not glyph outlines
    assert "DejaVuSans-" not in text                 # no glyph definitions
    assert "font-family: 'DejaVu Sans'," in text and "sans-serif" in text


@pytest.mark.parametrize("formats, exts", [("png", {".png"}), ("svg", {".svg"})])
def test_only_the_formats_asked_for(tmp_path, formats, exts):
    out = render_figures(PLOTS[:1], tmp_path, formats=formats, processes=1)
    assert {p.suffix for p in tmp_path.iterdir()} == exts
    assert (out[0].png is None) == (formats == "svg") and (out[0].svg is None) == (formats == "png")


def test_several_processes_write_the_same_files(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    a = render_figures(PLOTS, one, formats="png", processes=1)
    b = render_figures(PLOTS, two, formats="png", processes=2)
    assert [f.stem for f in a] == [f.stem for f in b]
    names = sorted(p.name for p in one.iterdir())
    assert names == sorted(p.name for p in two.iterdir()) and len(names) == len(PLOTS)
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert all(f.png.parent == two for f in b if f.png is not None)


def test_a_failing_worker_is_replaced_by_the_caller(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(figures_mod, "__name__", "no_such_package.figures")  # worker cannot start
    out = render_figures(PLOTS, tmp_path, formats="png", processes=2)
    assert all(f.png is not None and f.png.exists() for f in out[:len(PLOTS)])
    assert "figure worker failed" in caplog.text


def test_svg_only_figures_are_embedded_in_the_report(tmp_path):
    from multiphoton.report.html import _figure_html

    fig = render_figures(PLOTS[:1], tmp_path, formats="svg", processes=1)[0]
    html = _figure_html(fig)
    assert fig.png is None and 'src="data:image/svg+xml;base64,' in html and "not drawn" not in html


def test_a_stream_fed_in_batches_writes_the_same_files(tmp_path):
    from multiphoton.report.figures.stream import FigureStream

    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    a = render_figures(PLOTS, one, formats="png", processes=1)
    with FigureStream("png", workers=1) as stream:
        half = len(PLOTS) // 2
        stream.submit(PLOTS[:half])   # as after the first sample's analysis
        stream.submit(PLOTS[half:])
        b = stream.finish(two)
        staging = stream.staging
    assert [f.stem for f in a[:len(PLOTS)]] == [f.stem for f in b]
    for f in b:
        assert f.png.parent == two and f.png.read_bytes() == (one / f.png.name).read_bytes()
    assert not staging.exists()


def test_a_stream_left_without_finish_stops_its_workers(tmp_path):
    from multiphoton.report.figures.stream import FigureStream

    with pytest.raises(RuntimeError, match="analysis failed"):
        with FigureStream("png", workers=1) as stream:
            stream.submit(PLOTS)
            procs = [w.proc for w in stream._workers]
            raise RuntimeError("analysis failed")
    assert all(p.poll() is not None for p in procs)      # no worker left running
    assert not stream.staging.exists()                   # nothing left behind


def test_a_worker_that_dies_mid_stream_has_its_plots_drawn_here(tmp_path, caplog):
    from multiphoton.report.figures.stream import FigureStream

    with FigureStream("png", workers=1) as stream:
        stream._workers[0].proc.kill()
        stream.submit(PLOTS)
        out = stream.finish(tmp_path)
    assert [f.png.exists() for f in out] == [True] * len(PLOTS)
    assert "figure worker failed" in caplog.text


def test_analyze_hands_each_steps_plots_over_as_it_ends(tmp_path):
    from multiphoton.pipeline import analyze
    from multiphoton.simulate.campaign import write_campaign
    from multiphoton.simulate.presets import PRESETS

    cfg = dict(PRESETS["paper-2023"])
    manifest = write_campaign(cfg, tmp_path / "c", seed=3)
    batches = []
    res = analyze(manifest, only=["pl_peak_eV"], samples=["QS-4.5", "QS-6.0"],
                  on_plots=lambda plots: batches.append(list(plots)))
    assert len(batches) > len(res.samples) == 2 and all(batches)   # step by step, never empty
    assert [p for b in batches for p in b] == res.plots              # in the Results' order
    assert all(len({p.sample for p in b}) == 1 for b in batches)


def test_png_is_what_savefig_draws_without_the_alpha_channel(tmp_path):
    """The PNG is the Agg drawing of savefig, pixel for pixel, as opaque RGB at 200 dpi."""
    import numpy as np
    from PIL import Image

    from multiphoton.report.style import PNG_DPI

    with figure_style():
        fig = draw(PLOTS[1])
        png, _ = save_figure(fig, tmp_path, "x", formats="png")
        fig.savefig(tmp_path / "ref.png", format="png", dpi=PNG_DPI)
    ours, ref = Image.open(png), Image.open(tmp_path / "ref.png")
    assert ours.mode == "RGB" and ref.mode == "RGBA"
    assert ours.info["dpi"] == pytest.approx((PNG_DPI, PNG_DPI), abs=0.01)
    ref = np.asarray(ref)
    assert (ref[..., 3] == 255).all()                # savefig's alpha carried nothing
    assert np.array_equal(np.asarray(ours), ref[..., :3])


def test_axis_labels_fixed_after_the_layout_sit_where_matplotlib_puts_them(tmp_path):
    """save_figure fixes each axis label where the layout left it (in axes coordinates);
    drawn at the SVG's 72 dpi it lands where matplotlib's own placement puts it."""
    from matplotlib.figure import Figure

    from multiphoton.report.style import PNG_DPI

    def build():
        fig = Figure(figsize=(6, 2.5), layout="constrained")
        left, right = fig.subplots(1, 2)
        left.plot([0, 1], [0, 12345.0])
        left.set(xlabel="Fluence (mJ cm⁻²)", ylabel="Counts")
        right.loglog([1, 1e4], [1e-3, 10])
        right.set(xlabel="Delay (ns)", ylabel="PL (norm.)")
        fig.colorbar(right.collections[0] if right.collections else
                     right.scatter([10, 100], [0.1, 1], c=[1, 2]), ax=right, label="Fluence")
        return fig

    def label_boxes(fig):
        fig.set_dpi(72)
        fig.draw_without_rendering()
        return [np.array(axis.label.get_window_extent().bounds)
                for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) if axis.label.get_text()]

    import numpy as np

    with figure_style():
        frozen = build()
        save_figure(frozen, tmp_path, "x", formats="png")
        auto = build()
        auto.set_dpi(PNG_DPI)
        auto.get_layout_engine().execute(auto)
        auto.set_layout_engine(None)
        got, want = label_boxes(frozen), label_boxes(auto)
    assert len(got) == len(want) == 5
    for g, w in zip(got, want):
        # points (pixels at 72 dpi): matplotlib measures the tick labels at 72 dpi for its own
        # placement, whole pixels of text height there, and at 200 dpi for ours (0.2 pt apart
        # here); a label placed in the wrong box would be off by several points
        assert np.abs(g - w).max() < 0.5
    # and they are fixed: moving the tick labels does not move the label any more
    assert not frozen.axes[0].yaxis._autolabelpos


def test_the_ta_maps_running_mean_is_scipys_uniform_filter():
    import numpy as np
    from scipy.ndimage import uniform_filter

    from multiphoton.report.figures.gain import _mean_3x3

    values = np.random.default_rng(3).normal(size=(6, 9))
    assert np.allclose(_mean_3x3(values), uniform_filter(values, size=3, mode="nearest"), atol=1e-14)


def test_a_worker_warmed_up_first_draws_the_same_file(tmp_path):
    """The worker protocol with the warm-up analyze asks for: header, one plot, its files."""
    import os
    import pickle
    import subprocess

    ref = render_figures(PLOTS[:1], tmp_path, formats="png", processes=1)[0]
    work = tmp_path / "worker"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    payload = pickle.dumps((str(work), ("png",), True)) + pickle.dumps((ref.stem, PLOTS[0]))
    got = subprocess.run([sys.executable, "-m", "multiphoton.report.figures._worker"], input=payload,
                         capture_output=True, env=env, timeout=120)
    assert got.returncode == 0, got.stderr.decode()[-2000:]
    png, svg, note = pickle.loads(got.stdout)
    assert svg is None and note == ""
    assert Path(png).read_bytes() == ref.png.read_bytes()
    assert sorted(p.name for p in work.iterdir()) == [ref.png.name]   # the warm-up left nothing
