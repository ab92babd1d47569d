"""Batch campaigns on Dask: each campaign is analysed alone, a bad one fails alone."""
import json

import pytest

from multiphoton.pipeline.batch import output_folders, run_batch
from test_pipeline_table1 import make_campaign


def test_output_folders_are_unique(tmp_path):
    outs = output_folders([tmp_path / "a" / "x.toml", tmp_path / "a" / "y.toml", tmp_path / "b" / "x.toml"], tmp_path / "o")
    assert [o.name for o in outs] == ["a", "a-y", "b"]


@pytest.mark.slow  # a local cluster (~25 s loaded); the scheduler test below covers the same fast
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


def _three_campaigns(tmp_path):
    """Two good campaigns and one whose manifest is not UTF-8 (Latin-1 bytes)."""
    manifests = []
    for k, name in enumerate(("one", "two")):
        folder = tmp_path / name
        folder.mkdir()
        manifests.append(make_campaign(folder, seed=10 + k)[0])
    latin = tmp_path / "latin"
    latin.mkdir()
    text = manifests[0].read_text(encoding="utf-8").replace("[", "# caf\u00e9\n[", 1)
    (latin / "experiment.toml").write_bytes(text.encode("latin-1"))
    manifests.append(latin / "experiment.toml")
    return manifests


def test_batch_on_a_running_scheduler_with_two_workers(tmp_path):
    """A real scheduler and two single-threaded worker processes, reached by address
    (``--scheduler``): every campaign is reported, the undecodable one alone fails."""
    import logging

    from distributed import Client, LocalCluster

    manifests = _three_campaigns(tmp_path)
    events = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        finished = []
        outcomes = run_batch(manifests, tmp_path / "out", scheduler=cluster.scheduler_address,
                             report=False, progress=events.append,
                             on_result=lambda i, o: finished.append(i))
        with Client(cluster) as client:            # both workers were there to take tasks
            assert len(client.scheduler_info()["workers"]) == 2
    assert [o["ok"] for o in outcomes] == [True, True, False]
    assert "UTF-8" in outcomes[2]["error"] and "Traceback" not in outcomes[2]["error"]
    assert sorted(finished) == [0, 1, 2]
    assert len({o["worker"] for o in outcomes}) == 2    # the campaigns ran on both workers
    for k, name in enumerate(("one", "two")):
        doc = json.loads((tmp_path / "out" / name / "results.json").read_text())
        assert outcomes[k]["out"] == str(tmp_path / "out" / name)
        assert doc["samples"]["S1"]["sigma2_GM"]["value"] > 0
    assert not (tmp_path / "out" / "latin").exists()
    # progress came back from the workers: a total, then steps, then done, per campaign
    for i in (0, 1):
        mine = [e for e in events if e["index"] == i]
        assert mine[0]["total"] >= 2 and mine[-1].get("done")
        assert sum(e.get("advance", 0) for e in mine) == mine[0]["total"]
    assert any(e["index"] == 2 and e.get("done") for e in events)


@pytest.mark.slow  # a second local cluster: ~30 s on a loaded 2-core machine
def test_batch_cli_reports_every_campaign_on_its_own_line(tmp_path, capsys):
    from multiphoton.cli import main

    manifests = _three_campaigns(tmp_path)
    status = main(["batch", *map(str, manifests), "--out", str(tmp_path / "out"), "--workers", "2",
                   "--no-report"])
    out, err = capsys.readouterr()
    assert status == 1
    lines = [ln for ln in (out + err).splitlines() if ln.startswith(("ok ", "failed "))]
    assert len(lines) == 3 and sum(ln.startswith("ok ") for ln in lines) == 2
    assert any(ln.startswith("failed ") and "latin" in ln and "UTF-8" in ln for ln in lines)
