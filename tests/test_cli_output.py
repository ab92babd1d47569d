"""Terminal output of `analyze` and `batch`: results and paths on stdout, warnings on stderr,
--quiet silent, --json machine-readable, tables unwrapped in a pipe, help texts present."""
import json

import pytest

from multiphoton.cli import build_parser, main
from test_pipeline_table1 import make_campaign


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    return make_campaign(tmp_path_factory.mktemp("c"))[0]


def test_quiet_prints_nothing(campaign, tmp_path, capsys):
    assert main(["analyze", str(campaign), "--out", str(tmp_path / "o"), "--quiet", "--no-report"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_tables_then_paths_on_stdout_unwrapped(campaign, tmp_path, capsys):
    out_dir = tmp_path / "o"
    assert main(["analyze", str(campaign), "--out", str(out_dir), "--no-report"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    # tables first, then the path, all on stdout (in order in a pipe)
    assert lines[-1] == f"results: {out_dir / 'results.json'}"
    t1 = next(i for i, line in enumerate(lines) if line.startswith("Table 1"))
    t2 = next(i for i, line in enumerate(lines) if line.startswith("Table 2"))
    assert t1 < t2 < len(lines) - 1
    # not a terminal: no cell wraps, so every header is one line holding all of its columns
    header2 = next(line for line in lines[t2:] if "Sample" in line)
    assert "τ_XX (ns)" in header2 and "Shots" in header2
    assert "warning:" not in out  # warnings go to stderr


def test_json_prints_results_json(campaign, tmp_path, capsys):
    out_dir = tmp_path / "o"
    assert main(["analyze", str(campaign), "--out", str(out_dir), "--json", "--no-report"]) == 0
    out, _ = capsys.readouterr()
    doc = json.loads(out)
    assert doc == json.loads((out_dir / "results.json").read_text())
    assert doc["schema"].startswith("multiphoton.results")


def test_help_texts():
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices
    inspect_help = {a.dest: a.help for a in sub["inspect"]._actions}
    report_help = {a.dest: a.help for a in sub["report"]._actions}
    assert inspect_help["file"] and report_help["quiet"]
    # the --only names are filled in when the help is shown (what the user reads)
    only = " ".join(sub["analyze"].format_help().split())
    assert "tau_xx_ns" in only and "laser_threshold_mJ_cm2" in only


def test_batch_prints_each_campaigns_warnings(campaign, tmp_path, capsys):
    assert main(["batch", str(campaign), "--out", str(tmp_path / "root"), "--no-report"]) == 0
    out, err = capsys.readouterr()
    (folder,) = (tmp_path / "root").iterdir()
    warnings = json.loads((folder / "results.json").read_text())["warnings"]
    assert out.startswith("ok ")
    printed = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(printed) == len(warnings)
    for w, line in zip(warnings, printed):
        assert w["quantity"] in line and w["reason"] in line
