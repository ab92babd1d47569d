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
