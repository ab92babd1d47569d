"""write_report and report.html: self-contained (no network), both tables, one image
per figure, quantities with their methods, warnings, provenance, escaped manifest."""
from __future__ import annotations

import base64
import io
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib import image as mimage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_fixtures import make_plots, make_results, without  # noqa: E402

from multiphoton.errors import InputError  # noqa: E402
from multiphoton.report import load_results, write_report  # noqa: E402
from multiphoton.report.tables import table1  # noqa: E402


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _small_results():
    r = make_results(with_plots=False)
    plots = {p.family: p for p in make_plots("QS-4.5")}
    r.plots = [plots["pl_fluence_series"], plots["trpl"], plots["pl_spectrum"],
               without(plots["ta_map"], "net_absorbance")]      # one that cannot be drawn
    return r


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    results = _small_results()
    written = write_report(results, out)
    html = (out / "report.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(html)
    return out, results, written, html, parser.tags


def test_write_report_returns_every_file(report):
    out, _, written, _, _ = report
    assert {"table1.csv", "table2.csv", "report.html"} <= set(written)
    figs = sorted(k for k in written if k.startswith("figures/"))
    assert figs == sorted(
        f"figures/{stem}.{ext}" for stem in
        ("pl_fluence_series_QS-4.5_1", "trpl_QS-4.5_4", "pl_spectrum_QS-4.5_2", "pl_order_all_samples",
         "quantities_vs_volume_all_samples")   # two samples with a volume: the across-samples figure
        for ext in ("png", "svg")
    )
    for rel, path in written.items():
        assert path == out / rel and path.stat().st_size > 0


def test_no_network_resources(report):
    _, _, _, html, tags = report
    for tag, attrs in tags:
        for name in ("src", "href", "srcset", "action", "data"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value), (tag, name, value[:80])
    assert not any(tag in ("script", "link", "iframe", "object", "embed") for tag, _ in tags)
    assert "@import" not in html and "url(" not in html
    assert re.search(r'http-equiv="Content-Security-Policy" content="default-src \'none\'', html)


def test_both_tables_and_one_image_per_figure(report):
    out, results, _, html, tags = report
    assert 'id="table1"' in html and 'id="table2"' in html
    assert "σ₂ (×10⁶ GM)" in html and "1.2 ± 0.5" in html and "τ_XX (ns)" in html
    imgs = [a for t, a in tags if t == "img"]
    pngs = sorted((out / "figures").glob("*.png"))
    assert len(imgs) == len(pngs) == 5   # 3 plots, the PL-order panel and the across-samples figure
    inlined = set()
    for attrs in imgs:
        prefix = "data:image/png;base64,"
        assert attrs["src"].startswith(prefix)
        data = base64.b64decode(attrs["src"][len(prefix):])
        pixels = mimage.imread(io.BytesIO(data))
        assert pixels.shape[0] > 200 and pixels[..., :3].std() > 0.05   # decodes, not blank
        inlined.add(data)
    assert inlined == {p.read_bytes() for p in pngs}


def test_quantities_methods_warnings_and_provenance(report):
    _, results, _, html, _ = report
    assert "tpef-relative" in html and "reference rhodamine-6g" in html   # method and message
    assert "klimov-difference" in html
    assert "laser_threshold_mJ_cm2" in html and "no point above threshold &lt;2&gt;" in html
    assert "ab" * 32 in html and "qs45/pl_2p.csv" in html                # inputs with sha256
    assert "multiphoton 0.1.0" in html
    assert "not drawn" in html and "ta_map_QS-4.5_6" in html              # undrawable figure noted
    assert 'id="sample-QS-4.5"' in html and 'id="sample-QS-6.0"' in html


def test_manifest_and_names_are_escaped(report):
    _, _, _, html, _ = report
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;amp; co" not in html            # escaped once, not twice
    assert re.search(r"<pre>name = &quot;QS &lt;b&gt;bold&lt;/b&gt; &amp; co&quot;", html)
    assert "<b>bold</b>" not in html
    assert "<title>CdS/CdSe/CdS quantum shells &lt;test&gt;</title>" in html


def test_report_rebuilds_from_results_json(report, tmp_path):
    out, results, _, html, _ = report
    (tmp_path / "results.json").write_text(json.dumps(results.to_json()), encoding="utf-8")
    (tmp_path / "plot_data.json").write_text(json.dumps(results.plots_to_json()), encoding="utf-8")
    (tmp_path / "manifest.toml").write_text(results.manifest_text, encoding="utf-8")
    back = load_results(tmp_path / "results.json")
    write_report(back, tmp_path)
    assert (tmp_path / "table1.csv").read_bytes() == (out / "table1.csv").read_bytes()
    assert (tmp_path / "table2.csv").read_bytes() == (out / "table2.csv").read_bytes()
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == html
    assert table1(back).texts() == table1(results).texts()


def test_empty_results_give_a_valid_page(tmp_path):
    from multiphoton.results import Results

    written = write_report(Results(), tmp_path)
    html = written["report.html"].read_text(encoding="utf-8")
    assert "no samples" in html and "No warnings" in html and "manifest not available" in html


def test_missing_output_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist; create it first"):
        write_report(make_results(with_plots=False), tmp_path / "nope")
