"""The paper-2023 campaign: manifest, files, truth, reproducibility."""
import json
import tomllib

import numpy as np
import pytest

from multiphoton.errors import InputError
from multiphoton.simulate.campaign import write_campaign
from multiphoton.structures import ensemble_cd_atoms_per_particle, ensemble_total_volume_nm3
from multiphoton.units import spectrum_per_nm_to_per_eV

QUANTITIES = {
    "epsilon_per_M_cm", "sigma1_cm2", "sigma2_GM", "sigma2_per_volume_cm_s", "pl_order", "pl_peak_eV",
    "tau_x_ns", "tau_xx_ns", "biexciton_binding_meV", "ase_threshold_mJ_cm2", "excitons_at_threshold",
    "gain_bandwidth_meV", "gain_lifetime_ns",
}
LASER = {"laser_threshold_mJ_cm2", "laser_linewidth_meV", "mode_drift_meV_per_min", "intensity_retention", "shots"}


@pytest.fixture(scope="module")
def campaigns(tmp_path_factory):
    root = tmp_path_factory.mktemp("campaign")
    a = write_campaign("paper-2023", root / "a", seed=0)
    b = write_campaign("paper-2023", root / "b", seed=0)
    return a.parent, b.parent


def _files(d):
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(campaigns):
    a, b = campaigns
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys()
    assert all(fa[k] == fb[k] for k in fa)
    # size budget of the bundled campaign (it grew by the Z-scan and saturation series, issue 16)
    assert sum(len(v) for v in fa.values()) < 3_500_000


@pytest.mark.slow
def test_other_seed_other_noise(campaigns, tmp_path):
    a, _ = campaigns
    c = write_campaign("paper-2023", tmp_path / "c", seed=1).parent
    fa, fc = _files(a), _files(c)
    assert fa["qs45/pl_2p.csv"] != fc["qs45/pl_2p.csv"]
    ta, tc = json.loads(fa["truth.json"]), json.loads(fc["truth.json"])
    assert ta["samples"] == tc["samples"]  # noiseless truth does not depend on the seed


def test_manifest_and_truth(campaigns):
    a, _ = campaigns
    man = tomllib.loads((a / "experiment.toml").read_text())
    assert [s["id"] for s in man["sample"]] == ["QS-4.5", "QS-6.0", "QS-8.2"]
    # the R6G reference's σ₂ and σ₁ come from the bundled standards library: no lab file
    assert "standards" not in man and not (a / "lab_standards.toml").exists()
    assert not any("reference_sigma1_cm2" in m or "reference_sigma2_GM" in m for m in man["measurement"])
    kinds = {m["kind"] for m in man["measurement"]}
    assert kinds == {"absorption", "pl_fluence_series", "tpef", "trpl_series", "ase_series", "ta_map",
                     "laser_series", "time_series", "quantum_yield", "knife_edge", "zscan"}
    for m in man["measurement"]:
        for k in ("file", "sample_2p", "reference_2p", "sample_1p", "reference_1p", "irf", "ground_state",
                  "sample_file", "reference_file"):
            if k in m:
                assert (a / m[k]).is_file(), m[k]
        for entry in m.get("sample_files", []) + m.get("reference_files", []):
            assert (a / entry["file"]).is_file(), entry
    truth = json.loads((a / "truth.json").read_text())
    for sid, q in truth["samples"].items():
        assert QUANTITIES <= q.keys(), sid
    assert LASER <= truth["samples"]["QS-8.2"].keys()
    assert truth["samples"]["QS-8.2"]["beam_radius_um"] == 150.0
    assert {q["quantum_yield"] for q in truth["samples"].values()} == {0.35, 0.25, 0.20}
    # Ensemble-mean volumes (⟨r³⟩ = r̄³ + 3r̄s², contract section 3) match Table 1 and ε is
    # recovered from the written ICP numbers with the ensemble-mean Cd atoms per particle.
    for s in man["sample"]:
        sizes = [tuple(s["core_diameter_nm"]), [tuple(t) for t in s["shell_thickness_nm"]]]
        target = {"QS-4.5": 678, "QS-6.0": 1630, "QS-8.2": 3764}[s["id"]]
        assert ensemble_total_volume_nm3(*sizes) == pytest.approx(target, rel=5e-3)
        n_cd = ensemble_cd_atoms_per_particle(s["layers"], *sizes)
        eps = s["icp"]["absorbance"][0] * n_cd / (s["icp"]["cd_mol_per_L"][0] * s["icp"]["path_cm"])
        assert eps == pytest.approx(truth["samples"][s["id"]]["epsilon_per_M_cm"], rel=1e-9)
    assert truth["samples"]["QS-8.2"]["shots"] == 1.8e6


def test_wavelength_file_converts_back(campaigns):
    a, _ = campaigns
    data = np.loadtxt(a / "qs45" / "pl_2p.csv", delimiter=",", skiprows=1)
    assert (a / "qs45" / "pl_2p.csv").read_text().splitlines()[0] == "fluence_mJ_cm2,wavelength_nm,counts"
    top = data[data[:, 0] == data[:, 0].min()]
    e, s = spectrum_per_nm_to_per_eV(top[:, 1], top[:, 2])
    truth = json.loads((a / "truth.json").read_text())["samples"]["QS-4.5"]["pl_peak_eV"]
    smooth = np.convolve(s, np.ones(9) / 9, mode="same")
    assert e[np.argmax(smooth)] == pytest.approx(truth, abs=0.01)  # 1 nm bins ≈ 3 meV, noise


def test_bad_preset(tmp_path):
    with pytest.raises(InputError, match="paper-2023"):
        write_campaign("paper-2024", tmp_path)
