"""Independent simulated campaigns whose IRFs are on other grids than their decays (issue #13).

The decays are on −10…190 ns at 0.2 ns; each campaign records its IRFs on another grid:
finer by a non-integer ratio (0.0731 ns), coarser (0.4 ns), cut short and starting
elsewhere (−3…17 ns). The lifetimes must be recovered as with the IRF on the decays' grid
(tests/test_campaign.py: τ_X within 5 %, τ_XX within 10 % or 3 stderr) and the IRF
reconvolution cross-check τ_X within 5 % (the low-fluence traces keep a ~2 % biexciton
admixture, docs/trpl-and-ase.md).
"""
import json

import pytest

from multiphoton.cli import main
from multiphoton.simulate.campaign import write_campaign

GRIDS = {"finer-non-integer": (-10.0, 190.0, 0.0731), "coarser": (-10.0, 190.0, 0.4),
         "short-elsewhere": (-3.0, 17.0, 0.05)}


def _analyse(tmp_path, grid, seed):
    manifest = write_campaign("paper-2023", tmp_path / "c", seed=seed, irf_grid=grid)
    assert main(["analyze", str(manifest), "--out", str(tmp_path / "r"), "--quiet",
                 "--only", "tau_x_ns,tau_xx_ns,tau_x_irf_ns"]) == 0
    truth = json.loads((tmp_path / "c" / "truth.json").read_text())
    return truth, json.loads((tmp_path / "r" / "results.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(GRIDS))
def test_lifetimes_recovered_with_an_irf_on_another_grid(tmp_path, name):
    seed = 11 + sorted(GRIDS).index(name)  # independent campaigns
    truth, results = _analyse(tmp_path, GRIDS[name], seed)
    assert truth["parameters"]["common"]["irf_grid_ns"] == list(GRIDS[name])
    for sid, tq in truth["samples"].items():
        q = results["samples"][sid]
        assert abs(q["tau_x_ns"]["value"] / tq["tau_x_ns"] - 1) < 0.05
        xx = q["tau_xx_ns"]
        assert abs(xx["value"] - tq["tau_xx_ns"]) <= max(0.10 * tq["tau_xx_ns"], 3 * xx["stderr"])
        irf = q["tau_x_irf_ns"]
        assert abs(irf["value"] / tq["tau_x_ns"] - 1) < 0.05
        assert irf["details"]["irf_on_grid"]["rebinned"]
    assert not [w for w in results["warnings"] if w["quantity"] == "tau_x_irf_ns"]


@pytest.mark.slow  # ~30 s: a whole campaign is simulated (tests/test_steps_emission.py has the fast checks)
def test_one_campaign_with_a_finer_irf(tmp_path):
    """One sample's τ_X by reconvolution with a 0.0731 ns IRF (another seed)."""
    truth, results = _analyse(tmp_path, GRIDS["finer-non-integer"], 7)
    sid = sorted(truth["samples"])[0]
    irf = results["samples"][sid]["tau_x_irf_ns"]
    assert abs(irf["value"] / truth["samples"][sid]["tau_x_ns"] - 1) < 0.05
    assert abs(irf["details"]["irf_on_grid"]["irf_bin_ns"] - 0.0731) < 1e-6
