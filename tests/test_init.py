"""`multiphoton init FOLDER`: a commented first manifest, TODOs refused until filled in.

Real files (shared/data/real/SOURCES.md):
- trpl/Seo_FAPI1_Glass_0.dat, Seo_FAPI1_Glass_2.dat: manuelkoberczerny/assessing-TRPL-with-bayesian-
  inference_and-MCMC, Example_Data/TRPL/, 1f1e649 (MIT)
- trpl/sample1.csv: MaxGrossmann/TRPL, Data/Real/sample1.csv, fff2c30 (MIT)
- sif/cli-0.sif, cli-1.sif, cli-2.sif, measurement.sif, raman1.sif (+ .asc, .info.txt): fujiisoup/sif_parser,
  testings/, 8362a48 (BSD-3-Clause)
"""
from pathlib import Path
import re
import tomllib

import pytest

from multiphoton.cli import main
from multiphoton.errors import InputError
from multiphoton.io.init import init_folder, scan_folder
from multiphoton.io.manifest import read_manifest
from multiphoton.pipeline import analyze
from multiphoton.pipeline.loading import Loader

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
real = pytest.mark.skipif(not REAL.is_dir(), reason="shared/data/real is not beside the repository")


def _fill(manifest: Path, values: list) -> None:
    """Replace the "TODO"s of ``manifest`` in order by ``values`` (TOML literals): what a user does."""
    text = manifest.read_text(encoding="utf-8")
    parts = text.split('"TODO"')
    assert len(parts) == len(values) + 1, f"{len(parts) - 1} TODOs, {len(values)} values"
    out = parts[0] + "".join(str(v) + p for v, p in zip(values, parts[1:]))
    manifest.write_text(out, encoding="utf-8")


@real
def test_trpl_folder_todos_are_the_fluences_and_are_refused_by_name(tmp_path):
    before = {p: p.stat().st_mtime_ns for p in (REAL / "trpl").iterdir()}
    path, todos = init_folder(REAL / "trpl", tmp_path / "experiment.toml")
    text = path.read_text()
    assert {p: p.stat().st_mtime_ns for p in (REAL / "trpl").iterdir()} == before  # nothing touched
    # the header attenuations are read (OD0.0 → transmission 1, OD1.0 → 0.1) and grouped as one series
    assert "transmission 0.1 (OD1.0)" in text and "transmission 1 (OD0.0)" in text
    raw = tomllib.loads(text)
    kinds = [(m["sample"], m["kind"]) for m in raw["measurement"]]
    assert kinds == [("Seo_FAPI1_Glass", "trpl_series"), ("sample1", "trpl_series")]
    assert raw["measurement"][0]["excitation_nm"] == 397.7            # from the header, marked as a guess
    assert "excitation_nm = 397.7  # guess:" in text
    assert raw["measurement"][1]["format"] == "trpl-csv"
    assert len(todos) == text.count('"TODO"') == 3
    with pytest.raises(InputError, match=r"3 value\(s\) are still \"TODO\".*files\[0\]\.fluence_mJ_cm2.*"
                       r"files\[1\]\.fluence_mJ_cm2.*measurement #2: fluence_per_power_mJ_cm2"):
        read_manifest(path)
    # filling in only the TODOs gives a manifest whose files all load
    _fill(path, [1.0, 0.1, 1000.0])
    manifest = read_manifest(path)
    loaded = [Loader().load(m)["file"] for m in manifest.measurements]
    assert [s.counts.shape[0] for s in loaded] == [2, 5]


@real
@pytest.mark.slow
def test_trpl_folder_analyses_after_filling_the_todos(tmp_path):
    path, _ = init_folder(REAL / "trpl", tmp_path / "experiment.toml")
    _fill(path, [1.0, 0.1, 1000.0])
    results = analyze(path)
    assert "tau_x_ns" in results.samples["Seo_FAPI1_Glass"] and "tau_x_ns" in results.samples["sample1"]


@real
def test_sif_folder_analyses_after_filling_the_one_todo(tmp_path):
    path, todos = init_folder(REAL / "sif", tmp_path / "experiment.toml")
    text = path.read_text()
    assert todos == ["measurement #4 (pl_spectrum, sample measurement): frame (0-based frame of the spectrum)"]
    assert "20 frames (a kinetic series)" in text
    # the text exports beside the SIF files are listed as not used, with the reason
    assert re.search(r"raman1\.asc: format not recognised", text)
    # three spectra of one stem at one power (0.001 mW) but different temperatures: separate samples
    assert "temperature 279.2642 K" in text
    with pytest.raises(InputError, match=r"measurement #4: frame"):
        analyze(path)
    _fill(path, [0])
    results = analyze(path)
    assert set(results.samples) == {"cli-0", "cli-1", "cli-2", "measurement"}
    # raman1.sif's maximum is its edge pixel: no PL peak, a warning that says why (issue 13)
    assert any(w.sample == "raman1" and "edge" in w.reason for w in results.warnings)
    peaks = {s: q["pl_peak_eV"].value for s, q in results.samples.items()}
    # SOURCES.md: peaks 807.9, 813.6, 815.3 nm for cli-0, -1, -2 (on the wavelength axis). The report's
    # peak is that of the spectrum per eV (Jacobian λ²/hc moves the maximum of this ~60 meV-wide line
    # to the red by a few meV), so: within 10 meV of the wavelength peaks, and in their order
    for sid, nm in (("cli-0", 807.9), ("cli-1", 813.6), ("cli-2", 815.3)):
        assert peaks[sid] == pytest.approx(1239.84 / nm, abs=0.01)
    assert peaks["cli-0"] > peaks["cli-1"] > peaks["cli-2"]


@pytest.mark.slow  # writing the paper-2023 campaign takes ~10 s
def test_simulated_campaign_kinds_match_the_simulator(tmp_path):
    from multiphoton.simulate.campaign import write_campaign

    truth_manifest = write_campaign("paper-2023", tmp_path / "sim", seed=0)
    truth = tomllib.loads(truth_manifest.read_text())
    truth_manifest.rename(tmp_path / "original.toml")
    path, todos = init_folder(tmp_path / "sim")
    assert path == tmp_path / "sim" / "experiment.toml"
    guessed = tomllib.loads(path.read_text())
    key = lambda m: m.get("file") or m.get("sample_2p")  # noqa: E731
    # a quantum_yield measurement pairs spectra with absorbances that no file holds: init
    # offers its spectra as pl_spectrum measurements to be regrouped by hand
    want = {key(m): m["kind"] for m in truth["measurement"]
            if m["kind"] != "quantum_yield" and "film_absorption" not in key(m)}
    got = {key(m): m["kind"] for m in guessed["measurement"] if "/qy_" not in key(m)}
    assert got == want
    irfs = {m["file"]: m.get("irf") for m in guessed["measurement"] if m["kind"] == "trpl_series"}
    assert all(v and v.endswith("irf.csv") for v in irfs.values())
    # 3 per TPEF (dye, two energies), 6 per Z-scan (energy, pulse, beam, cell, concentration),
    # a fluence per multi-column TRPL file of the saturation series
    assert sum("(tpef," in t for t in todos) == 9 and sum("(zscan," in t for t in todos) == 18
    with pytest.raises(InputError, match="never replaced"):
        init_folder(tmp_path / "sim")


def test_cli_init_prints_the_manifest_on_stdout_and_todos_on_stderr(tmp_path, capsys):
    d = tmp_path / "data"
    d.mkdir()
    (d / "trpl_OD1.0.ptu.csv").write_text("x\n")  # not a format: listed as not used
    (d / "spec_0.5mJcm2.csv").write_text("energy_eV,counts\n2.0,1\n2.1,3\n")
    assert main(["init", str(d)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"manifest: {d / 'experiment.toml'}"
    text = (d / "experiment.toml").read_text()
    assert "trpl_OD1.0.ptu.csv: a CSV whose columns" in text
    assert main(["init", str(tmp_path / "missing")]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_fluence_tokens_in_names(tmp_path):
    for name in ("ase_0.5mJcm2.csv", "ase_2uJcm2.csv"):
        (tmp_path / name).write_text("fluence_mJ_cm2,energy_eV,counts\n0.1,2.0,1\n0.1,2.1,3\n")
    got = {g.path.name: g.fluence_mJ_cm2 for g in scan_folder(tmp_path)}
    assert got == {"ase_0.5mJcm2.csv": 0.5, "ase_2uJcm2.csv": 0.002}


def test_contract_csv_folder_one_sample_per_subfolder(tmp_path):
    """A small folder laid out as the simulator writes it (headers of the data contract)."""
    heads = {"trpl_1p.csv": "fluence_mJ_cm2,time_ns,counts", "irf.csv": "time_ns,counts",
             "ase.csv": "fluence_mJ_cm2,energy_eV,counts", "laser.csv": "fluence_mJ_cm2,energy_eV,counts",
             "pl_2p.csv": "fluence_mJ_cm2,wavelength_nm,counts", "absorption.csv": "energy_eV,absorbance",
             "ta.csv": "delay_ps,energy_eV,dA", "film_absorption.csv": "energy_eV,absorbance"}
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        for name, head in heads.items():
            (tmp_path / sub / name).write_text(head + "\n")
    path, todos = init_folder(tmp_path)
    raw = tomllib.loads(path.read_text())
    assert [s["id"] for s in raw["sample"]] == ["a", "b"]
    got = {(m["sample"], m["file"]): m["kind"] for m in raw["measurement"]}
    assert got[("a", "a/laser.csv")] == "laser_series" and got[("b", "b/ase.csv")] == "ase_series"
    assert got[("a", "a/pl_2p.csv")] == "pl_fluence_series" and got[("a", "a/ta.csv")] == "ta_map"
    ta = next(m for m in raw["measurement"] if m["file"] == "b/ta.csv")
    trpl = next(m for m in raw["measurement"] if m["file"] == "b/trpl_1p.csv")
    assert ta["ground_state"] == "b/film_absorption.csv" and trpl["irf"] == "b/irf.csv"
    assert todos == []
