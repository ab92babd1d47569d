"""CLI subcommands beyond analyze: report (no refitting), inspect, simulate errors, --help."""
import json
import os
import sys
from pathlib import Path

import pytest

from multiphoton.cli import main
from test_pipeline_table1 import make_campaign

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def test_report_rebuilds_without_refitting(tmp_path, capsys):
    manifest, _ = make_campaign(tmp_path)
    out = tmp_path / "out"
    assert main(["analyze", str(manifest), "--out", str(out), "--quiet"]) == 0
    (out / "report.html").unlink()
    (out / "table1.csv").unlink()
    capsys.readouterr()
    assert main(["report", str(out / "results.json"), "--quiet"]) == 0
    assert (out / "report.html").is_file() and (out / "table1.csv").is_file()
    assert capsys.readouterr().out == ""  # --quiet: nothing but errors
    assert main(["report", str(out / "results.json")]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"report: {out / 'report.html'}")


def test_report_of_missing_results_is_bad_input(tmp_path, capsys):
    assert main(["report", str(tmp_path / "results.json"), "--quiet"]) == 1
    assert "error:" in capsys.readouterr().err


@pytest.mark.skipif(not (SHARED / "data" / "real" / "ptu" / "v20_t3.ptu").is_file(), reason="shared/ real data not beside the repo")
def test_inspect_prints_json(capsys):
    # ptu/v20_t3.ptu: tsbischof/picoquant-sample-data, hydraharp/v20_t3.ptu (BSD-3-Clause)
    assert main(["inspect", str(SHARED / "data" / "real" / "ptu" / "v20_t3.ptu")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "ptu"


def test_simulate_unknown_preset_is_bad_input(tmp_path, capsys):
    assert main(["simulate", "paper-1999", str(tmp_path / "c")]) == 1
    assert "paper-2023" in capsys.readouterr().err
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for cmd in ("analyze", "report", "simulate", "inspect", "batch"):
        assert cmd in text


def test_the_figure_workers_start_before_the_analysis_is_imported():
    """analyze starts its figure workers first (issue #18): building the command line must
    not import the analysis steps (~2 s) or the simulator (~1 s), yet --help still lists
    every --only name."""
    import subprocess

    heavy = "any(m in sys.modules for m in ('multiphoton.pipeline', 'multiphoton.simulate.campaign'))"
    code = (f"import sys; from multiphoton.cli import build_parser; p = build_parser(); print({heavy}); "
            f"p.parse_args(['analyze', 'x.toml', '--out', 'o']); print({heavy})")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert got.stdout.split() == ["False", "False"]
    from multiphoton.cli import build_parser
    from multiphoton.pipeline.steps import all_quantities

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["analyze"]
    text = " ".join(sub.format_help().split())
    assert all(name in text for name in all_quantities()) and "<quantities>" not in text


def test_a_refused_manifest_stops_the_figure_workers_it_started(tmp_path, capsys, monkeypatch):
    """analyze starts its figure workers before reading the manifest (issue #18); a manifest
    refused with exit 1 must stop them and leave no staging folder behind."""
    import tempfile

    from multiphoton.report.figures import stream as stream_mod

    started, killed = [], []
    real = stream_mod._Worker

    class Spy(real):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            started.append(self)

        def kill(self):
            killed.append(self)
            super().kill()

    monkeypatch.setattr(stream_mod, "_Worker", Spy)
    monkeypatch.setattr(stream_mod, "default_workers", lambda: 1)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / "c").mkdir()
    manifest, _ = make_campaign(tmp_path / "c")
    manifest.write_text("bogus_key = 1\n" + manifest.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["analyze", str(manifest), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    assert "bogus_key" in capsys.readouterr().err
    assert started and killed == started and all(w.proc.poll() is not None for w in started)
    assert not list(tmp_path.glob("multiphoton-figures-*")) and not (tmp_path / "out").exists()
