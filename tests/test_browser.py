"""report.html in headless Chromium: the page renders (non-blank screenshot) and the
page itself makes no http(s) request (Chromium's net log).

Chromium's own background traffic (component updates, account checks) appears in the
net log with initiator "not an origin"; requests made by the page carry the page's
origin ("null" for file://). The control test proves the check sees a page request.
"""
from __future__ import annotations

import io
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
