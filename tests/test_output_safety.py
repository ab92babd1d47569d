"""Issue 12: nothing a user owns is ever deleted, and every error ends in `error: …` (no traceback).

Output-folder rules (pipeline/output.py): --force replaces only a folder multiphoton
wrote (marker), never one holding the manifest or an input; an exclusive claim on
--out; stale temporary folders of a killed run are cleaned; --out is checked first.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from multiphoton import pipeline
from multiphoton.cli import main
from multiphoton.errors import OutputError
from multiphoton.pipeline.output import MARKER, claim_output
from test_pipeline_table1 import make_campaign

SRC = Path(__file__).resolve().parents[1] / "src"


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under root, by relative path."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def _campaign(tmp_path: Path) -> Path:
    """A campaign in tmp/site/camp with its data in camp/data/ and an unrelated file in site/."""
    camp = tmp_path / "site" / "camp"
    camp.mkdir(parents=True)
    manifest, _ = make_campaign(camp)
    (camp / "data").mkdir()
    text = manifest.read_text()
    for name in ("s2p.csv", "r2p.csv", "s1p.csv", "r1p.csv"):
        (camp / name).rename(camp / "data" / name)
        text = text.replace(f'"{name}"', f'"data/{name}"')
    manifest.write_text(text)
    (tmp_path / "site" / "notes.txt").write_text("the user's own file\n")
    return manifest


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """One analysed campaign (results written once; its Results reused)."""
    tmp = tmp_path_factory.mktemp("analysed")
    manifest = _campaign(tmp)
    return manifest, pipeline.analyze(manifest)


@pytest.mark.parametrize("where", ["campaign", "parent", "input-subfolder", "dot-inside"])
def test_force_never_replaces_a_folder_holding_an_input(tmp_path, monkeypatch, capsys, where):
    manifest = _campaign(tmp_path)
    camp = manifest.parent
    out = {"campaign": camp, "parent": camp.parent, "input-subfolder": camp / "data",
           "dot-inside": Path(".")}[where]
    if where == "dot-inside":
        monkeypatch.chdir(camp)
    before = _tree(tmp_path)
    start = time.monotonic()
    assert main(["analyze", str(manifest), "--out", str(out), "--force", "--quiet", "--no-report"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "contains an input of this run" in err
    assert ("experiment.toml" in err) or ("data" in err)  # names the input inside
    assert time.monotonic() - start < 5  # refused before any analysis
    assert _tree(tmp_path) == before  # nothing deleted, nothing added


def test_write_outputs_itself_refuses_the_campaign_folder(analysed):
    # batch calls write_outputs per campaign: the rule holds there too
    manifest, results = analysed
    before = _tree(manifest.parent.parent)
    for out in (manifest.parent, manifest.parent.parent, manifest.parent / "data"):
        with pytest.raises(OutputError, match="contains an input"):
            pipeline.write_outputs(results, out, force=True, report=False)
    assert _tree(manifest.parent.parent) == before


def test_force_replaces_only_a_folder_multiphoton_wrote(tmp_path, analysed, capsys):
    _, results = analysed
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_bytes(b"years of work")
    with pytest.raises(OutputError, match=f"no {MARKER} marker"):
        pipeline.write_outputs(results, mine, force=True, report=False)
    assert (mine / "thesis.docx").read_bytes() == b"years of work"
    out = tmp_path / "out"
    paths = pipeline.write_outputs(results, out, report=False)
    assert (out / MARKER).is_file() and "results.json" in paths and MARKER not in paths
    (out / "results.json").write_text("{}")
    pipeline.write_outputs(results, out, force=True, report=False)  # a multiphoton output: replaced
    assert json.loads((out / "results.json").read_text())["samples"]
    assert not list(tmp_path.glob(".out.*"))  # no temporary folder or lock left


def test_non_empty_out_is_refused_before_analysis_even_when_quiet(tmp_path, monkeypatch, capsys):
    manifest, _ = make_campaign(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.txt").write_text("x")

    def boom(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("analysis ran before --out was checked")

    monkeypatch.setattr(pipeline, "analyze", boom)
    assert main(["analyze", str(manifest), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out") and "not empty" in err
    assert (out / "x.txt").read_text() == "x"


# The helper processes load pipeline/output.py without the pipeline package's __init__ (which
# imports every analysis): 0.2 s instead of 2 s of start-up.
_LIGHT = """
import sys, types, pathlib
import multiphoton
pkg = types.ModuleType("multiphoton.pipeline")
pkg.__path__ = [str(pathlib.Path(multiphoton.__file__).parent / "pipeline")]
sys.modules["multiphoton.pipeline"] = pkg
"""

_HOLD = _LIGHT + """
from multiphoton.pipeline.output import claim_output
with claim_output(sys.argv[1]):
    print("claimed", flush=True)
    sys.stdin.readline()
"""


def test_a_second_writer_is_refused(tmp_path, analysed, capsys):
    _, results = analysed
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "claimed"
        with pytest.raises(OutputError, match=f"being written by another multiphoton run \\(pid {holder.pid}"):
            pipeline.write_outputs(results, out, report=False)
        assert not out.exists()
    finally:
        holder.communicate("done\n", timeout=30)  # closes its pipes
    pipeline.write_outputs(results, out, report=False)  # the claim is gone with its run
    assert (out / "results.json").is_file()


_KILLED = _LIGHT + """
import time
from multiphoton.pipeline import output
from multiphoton.results import Results
results = Results(name="killed")
def stall(results, tmp, report, figures=None):
    (tmp / "results.json").write_text("half")
    print("writing", flush=True)
    time.sleep(60)
output._write_files = stall
output.write_outputs(results, sys.argv[1], report=False)
"""


def test_kill_9_leftovers_are_cleaned_by_the_next_run(tmp_path, capsys):
    (tmp_path / "camp").mkdir()
    manifest, _ = make_campaign(tmp_path / "camp")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    victim = subprocess.Popen([sys.executable, "-c", _KILLED, str(out)],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert victim.stdout.readline().strip() == "writing"
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        victim.stdout.close()
    left = sorted(p.name for p in tmp_path.glob(".out.*"))
    assert any(n.startswith(".out.tmp-") for n in left) and ".out.lock" in left
    assert main(["analyze", str(manifest), "--out", str(out), "--no-report", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert f"pid {victim.pid}" in err and "interrupted run" in err and "temporary folder" in err
    assert not list(tmp_path.glob(".out.*"))
    assert json.loads((out / "results.json").read_text())["samples"]


def test_a_live_claim_is_never_taken_over(tmp_path):
    out = tmp_path / "out"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / ".out.lock").write_text(json.dumps({"pid": sleeper.pid, "host": os.uname().nodename}))
        (tmp_path / f".out.tmp-{sleeper.pid}-abcd1234").mkdir()
        with pytest.raises(OutputError, match="being written"):
            with claim_output(out):
                pass  # pragma: no cover
        assert (tmp_path / f".out.tmp-{sleeper.pid}-abcd1234").is_dir()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_unwritable_or_full_output_location_is_exit_2(tmp_path, analysed, monkeypatch, capsys):
    manifest, results = analysed
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["analyze", str(manifest), "--out", str(blocker / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out") and "writable" in err

    import multiphoton.report as report

    def full(*a, **k):
        raise OSError(28, "No space left on device", str(tmp_path / "out" / "fig.png"))

    monkeypatch.setattr(report, "write_report", full)
    with pytest.raises(OutputError, match="No space left on device"):
        pipeline.write_outputs(results, tmp_path / "out", report=True)
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.*"))


def test_report_on_malformed_results_is_a_clear_error(tmp_path, capsys):
    p = tmp_path / "results.json"
    p.write_text(json.dumps({"schema": "multiphoton.results/1", "samples": [1, 2]}))
    assert main(["report", str(p), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "results.json" in err and "Traceback" not in err


def _with(manifest: Path, old: str, new: str) -> Path:
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new))
    return manifest


@pytest.mark.parametrize("edit, match", [
    (("reference_sigma1_cm2 = [", "reference_sigma1_cm2 = [0.0, 0.0] #["), "reference_sigma1_cm2"),
    (('core_diameter_nm = [4.5, 0.3]', 'total_volume_nm3 = [-678, 162]'), "total_volume_nm3"),
])
def test_zero_or_negative_physical_inputs_are_refused(tmp_path, capsys, edit, match):
    manifest, _ = make_campaign(tmp_path)
    text = manifest.read_text()
    if "total_volume" in edit[1]:  # a volume replaces the sizes
        text = text.replace("shell_thickness_nm = [[1.5, 0.2], [1.7, 0.2]]\n", "")
        text = text.replace('layers = ["CdS", "CdSe", "CdS"]\n', "")
    manifest.write_text(text.replace(*edit))
    assert main(["analyze", str(manifest), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and match in err and "must be > 0" in err, err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value, match", [("0", r"r1p.csv, column counts: every value is zero"),
                                          ("-5", r"reference_1p: the one-photon PL spectrum integrates to -?\d")])
def test_zero_or_negative_reference_spectrum_never_gives_sigma2_zero(tmp_path, capsys, value, match):
    # before: an all-zero reference one-photon spectrum gave sigma2_GM = 0 ± 0, exit 0; a constant
    # negative one integrates to 0 after the default wing baseline (or below 0 without it)
    manifest, _ = make_campaign(tmp_path)
    lines = (tmp_path / "r1p.csv").read_text().splitlines()
    cols = lines[0].split(",")
    k = cols.index("counts")
    zeroed = [lines[0]] + [",".join(value if j == k else c for j, c in enumerate(r.split(","))) for r in lines[1:]]
    (tmp_path / "r1p.csv").write_text("\n".join(zeroed) + "\n")
    assert main(["analyze", str(manifest), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and re.search(match, err), err
    assert not (tmp_path / "o").exists()


def test_bad_manifest_encodings_and_oversized_fields(tmp_path, capsys):
    manifest, _ = make_campaign(tmp_path)
    good = manifest.read_text()
    manifest.write_bytes(good.replace('"pipeline test"', '"caf\u00e9"').encode("latin-1"))
    assert main(["analyze", str(manifest), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    assert "not UTF-8" in capsys.readouterr().err
    manifest.write_bytes(b"\x00\x01\x02\xff" * 64)
    assert main(["analyze", str(manifest), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    assert capsys.readouterr().err.startswith("error: ")
    manifest.write_text(good)
    spectrum = tmp_path / "s1p.csv"
    text = spectrum.read_text()
    spectrum.write_text(text + '"' + "9" * (130 * 1024) + '",1\n')
    assert main(["analyze", str(manifest), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "s1p.csv" in err and "not a readable CSV" in err and "field larger than" in err
    spectrum.write_text(text)
    head, *rows = text.splitlines()
    k = head.split(",").index("counts")
    scaled = [head] + [",".join(f"{float(c) * 1e300:.6g}" if j == k else c for j, c in enumerate(r.split(",")))
                       for r in rows]
    spectrum.write_text("\n".join(scaled) + "\n")
    assert main(["analyze", str(manifest), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    assert "implausibly large" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_debug_shows_the_traceback_and_internal_errors_are_one_line(tmp_path, monkeypatch, capsys):
    assert main(["--debug", "report", str(tmp_path / "nope.json")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().splitlines()[-1].startswith("error: ")

    def bug(*a, **k):
        raise ZeroDivisionError("float division by zero")

    import multiphoton.report as report

    monkeypatch.setattr(report, "load_results", bug)
    assert main(["report", str(tmp_path / "nope.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: internal error (ZeroDivisionError") and "Traceback" not in err


def test_report_out_never_writes_into_a_users_folder(tmp_path, analysed, capsys):
    from dataclasses import replace

    results = replace(analysed[1], plots=[])  # no figures to render: the folder rule is the point
    out = tmp_path / "out"
    pipeline.write_outputs(results, out, report=False)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "table1.csv").write_text("my own table\n")
    assert main(["report", str(out / "results.json"), "--out", str(mine), "--quiet"]) == 2
    assert "no .multiphoton-output marker" in capsys.readouterr().err
    assert (mine / "table1.csv").read_text() == "my own table\n"
    assert main(["report", str(out / "results.json"), "--out", str(tmp_path / "new"), "--quiet"]) == 0
    assert (tmp_path / "new" / MARKER).is_file() and (tmp_path / "new" / "report.html").is_file()


def test_two_threads_writing_one_out_one_is_refused(tmp_path, analysed, monkeypatch):
    import threading

    from multiphoton.pipeline import output

    _, results = analysed
    out = tmp_path / "out"
    inside, release = threading.Event(), threading.Event()
    real = output._write_files

    def slow(results, tmp, report, figures=None):
        real(results, tmp, report, figures)
        inside.set()
        release.wait(30)

    monkeypatch.setattr(output, "_write_files", slow)
    first: list = []
    t = threading.Thread(target=lambda: first.append(output.write_outputs(results, out, report=False)))
    t.start()
    try:
        assert inside.wait(30)
        with pytest.raises(OutputError, match=f"being written by another multiphoton run \\(pid {os.getpid()}"):
            output.write_outputs(results, out, report=False)
    finally:
        release.set()
        t.join(30)
    assert first and (out / "results.json").is_file()
    with pytest.raises(OutputError, match="not empty"):  # and after it: no silent replacement
        output.write_outputs(results, out, report=False)


def test_an_output_of_a_version_before_the_marker_is_recognised(tmp_path, analysed):
    _, results = analysed
    out = tmp_path / "out"
    pipeline.write_outputs(results, out, report=False)
    (out / MARKER).unlink()  # as written before the marker existed
    pipeline.write_outputs(results, out, force=True, report=False)
    assert (out / MARKER).is_file()
    (out / MARKER).unlink()
    (out / "my-notes.txt").write_text("mine")  # anything else in it: not ours to delete
    with pytest.raises(OutputError, match="was not written by multiphoton"):
        pipeline.write_outputs(results, out, force=True, report=False)
    assert (out / "my-notes.txt").read_text() == "mine"


def test_simulate_never_writes_into_a_non_empty_folder(tmp_path, capsys):
    (tmp_path / "experiment.toml").write_text("# the user's real manifest\n")
    assert main(["simulate", "paper-2023", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: OUTDIR") and "not empty" in err and "--force" not in err
    assert (tmp_path / "experiment.toml").read_text() == "# the user's real manifest\n"


def test_an_output_set_aside_by_a_killed_run_is_put_back(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # its pid no longer runs
    kept = tmp_path / f".out.old-{dead.pid}-abcd1234" / "out"
    kept.mkdir(parents=True)
    (kept / MARKER).write_text("{}")
    (kept / "results.json").write_text("previous")
    said: list[str] = []
    with claim_output(tmp_path / "out", force=True, say=said.append):
        pass
    assert (tmp_path / "out" / "results.json").read_text() == "previous"
    assert not kept.parent.exists() and any("restored" in m for m in said)
