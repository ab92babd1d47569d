"""Manifest → results for the Table 1 quantities, and the CLI's exit codes and atomic output."""
import json

import numpy as np
import pytest
from uncertainties import ufloat

from multiphoton import structures
from multiphoton.cli import main
from multiphoton.pipeline import analyze
from multiphoton.units import epsilon_to_sigma_cm2

E_PEAK = 1.925
SIGMA1_REF = 4.0e-17


def _spectrum(e, area, rng, noise=0.002):
    line = np.exp(-0.5 * ((e - E_PEAK) / 0.04) ** 2)
    line *= area / np.trapezoid(line, e)
    return line + noise * area * rng.standard_normal(e.size)


def _write_series(path, f, e, areas, rng):
    rows = ["fluence_mJ_cm2,energy_eV,counts"]
    for fi, a in zip(f, areas):
        for ei, ci in zip(e, _spectrum(e, a, rng)):
            rows.append(f"{fi:.6g},{ei:.6f},{ci:.6g}")
    path.write_text("\n".join(rows) + "\n")


def _write_spectrum(path, e, area, rng):
    path.write_text("energy_eV,counts\n" + "\n".join(f"{x:.6f},{y:.6g}" for x, y in zip(e, _spectrum(e, area, rng))) + "\n")


def make_campaign(tmp_path, *, seed=0, k_x=5e4, k_r=2e2, a_x=3.0, a_r=40.0, reference="rhodamine-6g"):
    """A tidy campaign with one sample and a TPEF quartet of known σ₂; returns (manifest, truth)."""
    rng = np.random.default_rng(seed)
    e = np.linspace(1.7, 2.15, 181)
    f = np.geomspace(0.3, 3.0, 9)
    _write_series(tmp_path / "s2p.csv", f, e, k_x * f**2 * (1 + 0.02 * rng.standard_normal(f.size)), rng)
    _write_series(tmp_path / "r2p.csv", f, e, k_r * f**2 * (1 + 0.02 * rng.standard_normal(f.size)), rng)
    _write_spectrum(tmp_path / "s1p.csv", e, a_x, rng)
    _write_spectrum(tmp_path / "r1p.csv", e, a_r, rng)
    manifest = tmp_path / "experiment.toml"
    manifest.write_text(f'''
name = "pipeline test"

[[sample]]
id = "S1"
layers = ["CdS", "CdSe", "CdS"]
core_diameter_nm = [4.5, 0.3]
shell_thickness_nm = [[1.5, 0.2], [1.7, 0.2]]

[sample.icp]
cd_mol_per_L = [1.2e-5, 0.02e-5]
absorbance = [0.40, 0.004]
energy_eV = 3.1
path_cm = 1.0

[[measurement]]
sample = "S1"
kind = "tpef"
sample_2p = "s2p.csv"
reference_2p = "r2p.csv"
sample_1p = "s1p.csv"
reference_1p = "r1p.csv"
reference = "{reference}"
reference_sigma1_cm2 = [{SIGMA1_REF}, 0.0]
excitation_eV = 1.55
excitation_1p_eV = 3.1

[[measurement]]
sample = "S1"
kind = "pl_fluence_series"
file = "s2p.csv"
excitation_eV = 1.55
pulse_fwhm_fs = 100
pulse_shape = "gaussian"
''')
    # ensemble mean over the size distribution (contract section 3); no n_particles: the
    # spread is the uncertainty
    n_cd = structures.ensemble_cd_atoms_per_particle(
        ["CdS", "CdSe", "CdS"], (ufloat(4.5, 0.3), 0.3), [(ufloat(1.5, 0.2), 0.2), (ufloat(1.7, 0.2), 0.2)])
    eps = ufloat(0.40, 0.004) / (ufloat(1.2e-5, 0.02e-5) / n_cd * 1.0)
    sigma1 = epsilon_to_sigma_cm2(eps)
    sigma2 = 16.2 * (sigma1.nominal_value / SIGMA1_REF) * (k_x / k_r) * (a_r / a_x)
    return manifest, {"epsilon_per_M_cm": eps, "sigma1_cm2": sigma1, "sigma2_GM": sigma2}


def test_table1_quantities_recovered(tmp_path):
    manifest, truth = make_campaign(tmp_path)
    res = analyze(manifest)
    q = res.samples["S1"]
    assert q["epsilon_per_M_cm"].value == pytest.approx(truth["epsilon_per_M_cm"].nominal_value, rel=1e-9)
    assert q["epsilon_per_M_cm"].stderr == pytest.approx(truth["epsilon_per_M_cm"].std_dev, rel=1e-9)
    assert q["sigma1_cm2"].value == pytest.approx(truth["sigma1_cm2"].nominal_value, rel=1e-9)
    s2 = q["sigma2_GM"]
    # stderr is dominated by the reference's 15 % and the size spread; data noise is 2 %.
    assert abs(s2.value - truth["sigma2_GM"]) < 3 * s2.stderr
    assert s2.value == pytest.approx(truth["sigma2_GM"], rel=0.05)
    assert "Sengupta" in s2.details["reference_sigma2_source"]
    v = q["total_volume_nm3"]
    assert q["sigma2_per_volume_cm_s"].value == pytest.approx(s2.value * 1e-50 / (v.value * 1e-21), rel=1e-9)
    assert q["pl_order"].value == pytest.approx(2.0, abs=3 * q["pl_order"].stderr + 0.02)
    assert q["pl_peak_eV"].value == pytest.approx(E_PEAK, abs=0.005)
    assert res.warnings == []
    families = {p.family for p in res.plots}
    assert {"tpef", "pl_fluence_series"} <= families


def test_n_particles_gives_stderr_of_the_mean_and_spread_beside_it(tmp_path):
    manifest, truth = make_campaign(tmp_path)
    text = manifest.read_text().replace('shell_thickness_nm = [[1.5, 0.2], [1.7, 0.2]]\n',
                                        'shell_thickness_nm = [[1.5, 0.2], [1.7, 0.2]]\nn_particles = 400\n')
    manifest.write_text(text)
    q = analyze(manifest).samples["S1"]
    eps = q["epsilon_per_M_cm"]
    # same ensemble-mean value; the spread is the no-n_particles stderr (TEM stds propagated)
    assert eps.value == pytest.approx(truth["epsilon_per_M_cm"].nominal_value, rel=1e-9)
    assert eps.spread == pytest.approx(truth["epsilon_per_M_cm"].std_dev, rel=1e-9)
    # the stderr of the mean: TEM part / sqrt(400), ICP 2 % and absorbance 1 % unchanged
    tem = 0.40 / (1.2e-5 / structures.ensemble_cd_atoms_per_particle(
        ["CdS", "CdSe", "CdS"], (ufloat(4.5, 0.3 / 20), 0.3), [(ufloat(1.5, 0.01), 0.2), (ufloat(1.7, 0.01), 0.2)]))
    expected = eps.value * ((tem.std_dev / tem.nominal_value) ** 2 + 0.02**2 / 1.2**2 + 0.01**2) ** 0.5
    assert eps.stderr == pytest.approx(expected, rel=1e-6)
    assert eps.stderr < 0.5 * eps.spread
    assert eps.to_json()["spread"] == pytest.approx(eps.spread)
    assert q["total_volume_nm3"].spread > q["total_volume_nm3"].stderr > 0


def test_cli_writes_results_json_atomically(tmp_path):
    manifest, truth = make_campaign(tmp_path)
    out = tmp_path / "out"
    assert main(["analyze", str(manifest), "--out", str(out), "--no-report", "--quiet"]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert doc["schema"] == "multiphoton.results/1"
    assert doc["software"]["name"] == "multiphoton"
    entry = doc["samples"]["S1"]["sigma2_GM"]
    assert set(entry) >= {"value", "stderr", "method"} and entry["method"] == "tpef-relative"
    assert {i["path"] for i in doc["inputs"]} == {"s2p.csv", "r2p.csv", "s1p.csv", "r1p.csv"}
    # a second run into the same non-empty folder is refused without --force (usage error)
    assert main(["analyze", str(manifest), "--out", str(out), "--no-report", "--quiet"]) == 2
    assert main(["analyze", str(manifest), "--out", str(out), "--no-report", "--quiet", "--force"]) == 0
    assert main(["analyze", str(manifest), "--out", str(tmp_path / "o2"), "--no-report", "--quiet",
                 "--only", "sigma2_GM"]) == 0
    doc = json.loads((tmp_path / "o2" / "results.json").read_text())
    assert list(doc["samples"]["S1"]) == ["sigma2_GM"]


@pytest.mark.parametrize("edit, match", [
    (lambda d: (d / "s1p.csv").unlink(), "file 's1p.csv' not found"),
    (lambda d: (d / "r2p.csv").write_text("fluence_mJ_cm2,energy_eV\n1,2\n"), r"missing column\(s\) counts"),
    (lambda d: (d / "experiment.toml").write_text((d / "experiment.toml").read_text().replace(
        '"rhodamine-6g"', '"coumarin-999"')), "reference dye 'coumarin-999' is not in the standards library"),
    # the library tabulates R6G's ε at 2.339 and 3.100 eV only: at 3.3 eV it refuses, naming them
    (lambda d: (d / "experiment.toml").write_text((d / "experiment.toml").read_text().replace(
        'reference_sigma1_cm2 = [4e-17, 0.0]', '').replace("excitation_1p_eV = 3.1", "excitation_1p_eV = 3.3")),
     r"no molar extinction of rhodamine-6g at 3\.300 eV \(tabulated: 2\.339 ± 0\.01 eV, 3\.100"),
])
def test_cli_bad_input_exit_1_and_nothing_written(tmp_path, capsys, edit, match):
    manifest, _ = make_campaign(tmp_path)
    edit(tmp_path)
    out = tmp_path / "out"
    assert main(["analyze", str(manifest), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert pytest.importorskip("re").search(match, err)
    assert not out.exists()
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_usage_error_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["analyze"])
    assert exc.value.code == 2


def test_every_quantity_says_what_its_stderr_contains(tmp_path):
    from multiphoton.results import STDERR_PARTS

    manifest, _ = make_campaign(tmp_path)
    res = analyze(manifest)
    for q, est in res.samples["S1"].items():
        parts = est.details.get("stderr_contains")
        assert parts, q
        assert parts == ["exact"] or set(parts) <= set(STDERR_PARTS), (q, parts)
    assert "propagated inputs" in res.samples["S1"]["sigma2_GM"].details["stderr_contains"]


def test_table1_shows_spread_or_stderr_labelled(tmp_path):
    from multiphoton.report.tables import table1

    manifest, _ = make_campaign(tmp_path)
    text = manifest.read_text().replace('shell_thickness_nm = [[1.5, 0.2], [1.7, 0.2]]\n',
                                        'shell_thickness_nm = [[1.5, 0.2], [1.7, 0.2]]\nn_particles = 400\n')
    manifest.write_text(text)
    res = analyze(manifest)
    se, sp = table1(res), table1(res, uncertainty="spread")
    assert "ensemble spread" in sp.title and "spread" not in se.title
    cell_se, cell_sp = se.rows[0][1]["epsilon_per_M_cm"], sp.rows[0][1]["epsilon_per_M_cm"]
    assert cell_se.value == cell_sp.value
    assert cell_sp.stderr == pytest.approx(res.samples["S1"]["epsilon_per_M_cm"].spread)
    assert cell_se.stderr == pytest.approx(res.samples["S1"]["epsilon_per_M_cm"].stderr)
    # σ₂ has no spread: both tables show its stderr
    assert sp.rows[0][1]["sigma2_GM"].stderr == se.rows[0][1]["sigma2_GM"].stderr
