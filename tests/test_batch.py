"""Batch campaigns on Dask: each campaign is analysed alone, a bad one fails alone."""
import json

from multiphoton.pipeline.batch import output_folders, run_batch
from test_pipeline_table1 import make_campaign


def test_output_folders_are_unique(tmp_path):
    outs = output_folders([tmp_path / "a" / "x.toml", tmp_path / "a" / "y.toml", tmp_path / "b" / "x.toml"], tmp_path / "o")
    assert [o.name for o in outs] == ["a", "a-y", "b"]


def test_batch_runs_good_and_reports_bad(tmp_path):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    m_good, truth = make_campaign(good, seed=1)
    m_bad, _ = make_campaign(bad, seed=2)
    (bad / "s1p.csv").write_text("energy_eV,counts\n1.9,abc\n")
    # two local worker processes; the report is not what this test is about (no figures)
    outcomes = run_batch([m_good, m_bad], tmp_path / "out", workers=2, report=False)
    by = {o["manifest"]: o for o in outcomes}
    assert by[str(m_good.resolve())]["ok"]
    assert not by[str(m_bad.resolve())]["ok"] and "'abc' is not a number" in by[str(m_bad.resolve())]["error"]
    doc = json.loads((tmp_path / "out" / "good" / "results.json").read_text())
    assert doc["samples"]["S1"]["sigma2_GM"]["value"] > 0
    assert not (tmp_path / "out" / "bad").exists()
