"""report.html in headless Chromium: the page renders (non-blank screenshot) and the
page itself makes no http(s) request (Chromium's net log).

Chromium's own background traffic (component updates, account checks) appears in the
net log with initiator "not an origin"; requests made by the page carry the page's
origin ("null" for file://). The control test proves the check sees a page request.
"""
from __future__ import annotations

import io
import re
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib import image as mimage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_fixtures import make_plots, make_results  # noqa: E402

from multiphoton.report import write_report  # noqa: E402

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not found (/usr/bin/chromium "
                       "or chromium on PATH); CI installs Debian's chromium package"),
]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _run_chromium(page: Path, work: Path, *, width: int = 1280, height: int = 4000):
    """Screenshot ``page`` and return (screenshot pixels, page-initiated http(s) URLs)."""
    shot, netlog = work / "shot.png", work / "net.json"
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={work / 'profile'}", f"--screenshot={shot}",
           f"--window-size={width},{height}", f"--log-net-log={netlog}", page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert shot.exists(), f"chromium wrote no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
    log = json.loads(netlog.read_text(encoding="utf-8"))
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    page_urls = []
    for event in log["events"]:
        params = event.get("params") or {}
        url = params.get("url", "")
        if names.get(event["type"]) != "URL_REQUEST_START_JOB" or not url.startswith(("http:", "https:")):
            continue
        if params.get("initiator") != "not an origin":   # not Chromium's own background traffic
            page_urls.append(url)
    return mimage.imread(io.BytesIO(shot.read_bytes())), page_urls


def test_report_renders_without_network(tmp_path):
    results = make_results(with_plots=False)
    keep = ("pl_fluence_series", "trpl", "ta_map", "laser_series")
    results.plots = [p for p in make_plots("QS-4.5") if p.family in keep]
    out = tmp_path / "out"
    out.mkdir()
    write_report(results, out)
    pixels, urls = _run_chromium(out / "report.html", tmp_path)
    assert urls == []
    rgb = pixels[..., :3]
    assert rgb.shape[:2] == (4000, 1280)
    # non-blank: text, tables and figures make many non-white pixels, spread down the page
    dark = (rgb.mean(axis=2) < 0.8)
    assert dark.mean() > 0.01
    rows_with_ink = dark.any(axis=1).mean()
    assert rows_with_ink > 0.3
    # colour from the figures (viridis/plasma/RdBu) is on the page, not just black text
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    assert (saturation > 0.3).mean() > 0.002


def test_control_page_request_is_detected(tmp_path):
    page = tmp_path / "control.html"
    page.write_text('<!DOCTYPE html><html><body><p>control</p>'
                    '<img src="http://127.0.0.1:9/x.png"></body></html>', encoding="utf-8")
    _, urls = _run_chromium(page, tmp_path, width=400, height=300)
    assert urls == ["http://127.0.0.1:9/x.png"]


# --- layout checks: every figure loads, no text overlaps, Table 2 fits or scrolls with a cue ---------
# Chromium's --dump-dom prints the DOM after scripts ran; a copy of the page (the report itself has
# no script and a CSP forbidding one) gets a script that measures the layout and writes the result
# into a <pre id="probe">. Screenshots are kept in the test's tmp dir as artefacts.

_PROBE_REPORT = r"""<script>
window.addEventListener('load', () => {
  const imgs = [...document.images].map(i => ({alt: i.alt, ok: i.complete && i.naturalWidth > 0}));
  const t2 = document.getElementById('table2').nextElementSibling;
  const cs = getComputedStyle(t2);
  const out = {imgs, table2: {scrollWidth: t2.scrollWidth, clientWidth: t2.clientWidth,
               overflowX: cs.overflowX, background: cs.backgroundImage,
               pageWidth: document.documentElement.clientWidth}};
  const pre = document.createElement('pre'); pre.id = 'probe';
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>"""

_PROBE_SVG = r"""<script>
window.addEventListener('load', () => {
  const res = [];
  document.querySelectorAll('div.fig').forEach(div => {
    const boxes = [...div.querySelectorAll('g[id^="text_"]')]
      .filter(g => !g.parentElement.closest('g[id^="text_"]'))
      .map(g => { const r = g.getBoundingClientRect(); return {id: g.id, x: r.left, y: r.top, w: r.width, h: r.height}; })
      .filter(b => b.w > 0 && b.h > 0);
    const hits = [];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      const ox = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const oy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (ox > 1 && oy > 1) hits.push([a.id, b.id, Math.round(ox), Math.round(oy)]);
    }
    res.push({name: div.dataset.name, texts: boxes.length, overlaps: hits});
  });
  const pre = document.createElement('pre'); pre.id = 'probe';
  pre.textContent = JSON.stringify(res); document.body.appendChild(pre);
});
</script>"""


def _dump_dom(page: Path, work: Path, *, width: int = 1280, height: int = 2000) -> dict:
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={work / 'profile-dom'}", f"--window-size={width},{height}",
           "--virtual-time-budget=10000", "--dump-dom", page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    import html as _html
    import re

    m = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout, re.S)
    assert m, f"probe did not run (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(_html.unescape(m.group(1)))


def _screenshot(page: Path, shot: Path, work: Path, *, width: int, height: int) -> None:
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={work / 'profile-shot'}", f"--screenshot={shot}",
           f"--window-size={width},{height}", page.resolve().as_uri()]
    subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert shot.exists()


@pytest.fixture(scope="module")
def full_report(tmp_path_factory):
    """A report of every figure family (the fixtures' plots of two samples) and its SVGs."""
    tmp = tmp_path_factory.mktemp("layout")
    results = make_results(with_plots=False)
    results.plots = make_plots("QS-4.5") + make_plots("QS-6.0")
    out = tmp / "out"
    out.mkdir()
    write_report(results, out)
    return tmp, out


def test_every_figure_loads_and_table2_fits_or_scrolls_with_a_cue(full_report):
    tmp, out = full_report
    html = (out / "report.html").read_text(encoding="utf-8")
    probe_page = out / "probe.html"
    probe_page.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
                          .replace("</body>", _PROBE_REPORT + "</body>"), encoding="utf-8")
    for width in (1280, 900):   # a laptop window and a narrow one, where Table 2 must scroll
        got = _dump_dom(probe_page, tmp, width=width)
        assert got["imgs"] and all(i["ok"] for i in got["imgs"]), [i for i in got["imgs"] if not i["ok"]]
        t2 = got["table2"]
        fits = t2["scrollWidth"] <= t2["clientWidth"] + 1 and t2["clientWidth"] <= t2["pageWidth"]
        scrolls_with_cue = t2["overflowX"] == "auto" and "radial-gradient" in t2["background"]
        assert fits or scrolls_with_cue, t2
        if width == 1280:
            assert fits, f"Table 2 should fit a 1280-px window once its headers wrap: {t2}"
        _screenshot(out / "report.html", tmp / f"report_{width}px.png", tmp, width=width, height=5000)


def test_no_text_overlaps_in_any_figure(full_report):
    tmp, out = full_report
    svgs = sorted((out / "figures").glob("*.svg"))
    assert len(svgs) >= 8
    body = "".join(f'<div class="fig" data-name="{p.stem}">'
                   + re.sub(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>)?", "", p.read_text(encoding="utf-8"))
                   + "</div>" for p in svgs)
    page = out / "svg_probe.html"
    page.write_text(f"<!DOCTYPE html><html><body>{body}{_PROBE_SVG}</body></html>", encoding="utf-8")
    got = _dump_dom(page, tmp, width=1600, height=2000)
    assert {g["name"] for g in got} == {p.stem for p in svgs}
    assert all(g["texts"] > 3 for g in got)  # the probe sees the text of every figure
    overlapping = {g["name"]: g["overlaps"] for g in got if g["overlaps"]}
    assert overlapping == {}


def test_overlap_probe_detects_overlapping_text(tmp_path):
    """Control: two labels drawn on top of each other are reported."""
    from matplotlib.figure import Figure

    from multiphoton.report.style import figure_style, save_figure

    with figure_style():
        fig = Figure(figsize=(3, 2))
        ax = fig.subplots()
        ax.text(0.5, 0.5, "first label")
        ax.text(0.52, 0.5, "second label")
        _, svg = save_figure(fig, tmp_path, "control")
    body = ('<div class="fig" data-name="control">'
            + re.sub(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>)?", "", svg.read_text(encoding="utf-8")) + "</div>")
    page = tmp_path / "probe.html"
    page.write_text(f"<!DOCTYPE html><html><body>{body}{_PROBE_SVG}</body></html>", encoding="utf-8")
    (got,) = _dump_dom(page, tmp_path, width=800, height=600)
    assert len(got["overlaps"]) == 1
