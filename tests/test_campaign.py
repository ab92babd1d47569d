"""The whole loop: simulate the paper-2023 campaign, analyse it with the CLI, recover truth.json.

Each tolerance below is the larger of what the method's stated uncertainty allows and a
documented bias of the method against the simulator's definition of the quantity.
"""
import json

import pytest

from multiphoton.cli import main

# quantity: (relative tolerance, absolute tolerance, require truth within 3 stderr)
TOLERANCES = {
    # Table 1: closed-form propagation of the manifest's numbers; the data noise is small
    "epsilon_per_M_cm": (1e-6, 0, True),
    "sigma1_cm2": (1e-6, 0, True),
    "sigma2_GM": (0.05, 0, True),
    "sigma2_per_volume_cm_s": (0.05, 0, True),
    # onset of saturation below detectability biases the order by up to ≈ 0.03 (analysis.powerlaw)
    "pl_order": (0, 0.03, False),
    # peak of the lowest-fluence spectrum by a line-shape fit; the biexciton shoulder and the
    # 2–5 meV binning allow a few meV
    "pl_peak_eV": (0, 0.005, True),
    "tau_xx_ns": (0.10, 0, True),
    "tau_x_ns": (0.05, 0, False),
    # the hinge intersection lies a few % above the simulator's gain = loss fluence because the
    # emission rises curved just above threshold; the fit stderr does not cover that bias
    "ase_threshold_mJ_cm2": (0.10, 0, False),
    "excitons_at_threshold": (0.15, 0, True),
    # truth: the first ASE peak above the true threshold (contract); the analysis' threshold
    # is a few % high, so its first ASE spectrum is later and its peak lower: the stderr holds
    # that as the peak-pick model error (docs/quantities.md), so 3 stderr and nothing more
    "biexciton_binding_meV": (0, 0, True),
    # gain: truth and analysis both count gain below -k x noise with the analysis's k (the
    # contract's zero crossing is not measurable in shallow tails); delays ≥ 0.5 ns apart late
    "gain_bandwidth_meV": (0.05, 0, True),
    "gain_lifetime_ns": (0.08, 0, True),
    # truth: zero of the line through the noiseless line intensity above threshold (contract)
    "laser_threshold_mJ_cm2": (0.03, 0, False),
    # the laser series is recorded as power: its fluence comes from the knife-edge radius
    # (erf fit, ≈ 0.5 % stderr); the gradient / single-point QY stderr (2–3 %) is the library's
    # reference QY (1.6 %), the absorbances (0.001 OD) and counting noise
    "beam_radius_um": (0.02, 0, True),
    "quantum_yield": (0.10, 0, True),
    # the same ratio from the TPEF one-photon files (weaker spectra, 0.0005 OD absorbances)
    "quantum_yield_tpef": (0.15, 0, True),
    "laser_linewidth_meV": (0.05, 0, True),
    "mode_drift_meV_per_min": (0.01, 0, True),
    "intensity_retention": (0.06, 0, True),
    "shots": (1e-9, 0, False),
    # second methods (issue #16): Z-scan noise is 0.3 % a point, its stderr mostly the stated
    # pulse energy, waist and concentration (≈ 4 %); saturation fits σ₂ with τ_X and τ_XX on its
    # own traces (noise 1-3 %) and states the 2 % fluence calibration (4 % on σ₂, not realised in
    # the bundled campaign), so 10 % or 3 stderr
    "beta_cm_per_GW": (0.03, 0, True),
    "sigma2_zscan_GM": (0.03, 0, True),
    "sigma2_saturation_GM": (0.10, 0, True),
    # the band amplitudes P(N ≥ j) approximate the cascade's time-integrated emission; on the
    # simulator's spectra that leaves ≲ 1 meV of bias, hence 2 meV or 3 stderr
    "biexciton_binding_pl_meV": (0, 2.0, True),
}

# Where the simulator and the analysis disagree by about the method's tolerance: open
# problems, listed here by name rather than hidden behind a wider tolerance for every sample.
KNOWN_DISAGREEMENTS: dict = {}


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper2023")
    assert main(["simulate", "paper-2023", str(root / "campaign"), "--seed", "0"]) == 0
    assert main(["analyze", str(root / "campaign" / "experiment.toml"), "--out", str(root / "results"), "--quiet"]) == 0
    truth = json.loads((root / "campaign" / "truth.json").read_text())
    results = json.loads((root / "results" / "results.json").read_text())
    return root, truth, results


def _cases():
    from multiphoton.simulate.presets import PRESETS

    for sample in PRESETS["paper-2023"]["samples"]:
        sid = sample["id"] if isinstance(sample, dict) and "id" in sample else sample
        yield sid


def test_every_output_is_written(campaign):
    root, truth, results = campaign
    out = root / "results"
    for name in ("results.json", "table1.csv", "table2.csv", "report.html", "plot_data.json"):
        assert (out / name).is_file(), name
    pngs = list((out / "figures").glob("*.png"))
    svgs = list((out / "figures").glob("*.svg"))
    assert len(pngs) >= 10 and len(pngs) == len(svgs)
    table1 = (out / "table1.csv").read_text(encoding="utf-8").splitlines()
    assert len(table1) == 1 + len(truth["samples"])


@pytest.mark.parametrize("quantity", sorted(TOLERANCES))
def test_truth_recovered(campaign, quantity):
    _, truth, results = campaign
    rel, absolute, within_3_stderr = TOLERANCES[quantity]
    checked = 0
    failures = []
    for sid, tq in truth["samples"].items():
        if quantity not in tq or tq[quantity] is None or (sid, quantity) in KNOWN_DISAGREEMENTS:
            continue
        t = tq[quantity]
        est = results["samples"].get(sid, {}).get(quantity)
        if est is None:
            reasons = [w["reason"] for w in results["warnings"] if w["sample"] == sid and w["quantity"] == quantity]
            failures.append(f"{sid}: missing ({'; '.join(reasons)})")
            continue
        checked += 1
        v, s = est["value"], est["stderr"] or 0.0
        tol = max(rel * abs(t), absolute)
        if within_3_stderr:
            tol = max(tol, 3 * s)
        if not abs(v - t) <= tol:
            failures.append(f"{sid}: {v:.6g} ± {s:.2g} vs truth {t:.6g} (tolerance {tol:.3g})")
    assert not failures, f"{quantity}: " + "; ".join(failures)
    assert checked >= 1


def test_three_sigma2_methods_agree_and_the_report_shows_it(campaign):
    # TPEF, Z-scan and saturation measure one σ₂ by independent routes: every pair within
    # 3 combined stderr, and the report's comparison table lists them as consistent.
    from multiphoton.report.comparison import compare_methods
    from multiphoton.results import Results

    root, _, results = campaign
    rows = [c for c in compare_methods(Results.from_json(results)) if c.key_a.startswith("sigma2")]
    assert len(rows) == 9  # 3 samples × 3 pairs
    assert all(abs(c.z) < 3 and not c.warning for c in rows), [(c.sample, c.key_a, c.key_b, c.z) for c in rows]
    html = (root / "results" / "report.html").read_text(encoding="utf-8")
    table = html[html.index('id="method-comparison"'):html.index("</table>", html.index('id="method-comparison"'))]
    sigma2_rows = [r for r in table.split("<tr>") if "sigma2_" in r]
    assert table.count("sigma2_zscan_GM") >= 6 and "consistent" in table
    assert len(sigma2_rows) >= 9 and not any("⚠" in r for r in sigma2_rows)
    # the E_b pair is two definitions (ASE-peak shift, E_X − E_XX): shown, never flagged
    eb_rows = [r for r in table.split("<tr>") if "biexciton_binding_pl_meV" in r]
    assert len(eb_rows) == 3 and all("⚠" not in r and "by definition" in r for r in eb_rows)


def test_tpef_decays_give_one_lifetime(campaign):
    """η₂ = η₁, lifetime half: the simulated sample decays under one- and two-photon excitation
    with one τ_X (⟨N⟩ = 0.01, a 0.5 % biexciton admixture): both lifetimes recovered and not
    flagged as different (a 3-combined-σ test: a false alarm in 0.3 % of samples)."""
    _, truth, results = campaign
    for sid, tq in truth["samples"].items():
        life = results["samples"][sid]["sigma2_GM"]["details"]["eta2_eq_eta1_check"]["lifetimes"]
        assert life["checked"] and not life["differ"], (sid, life)
        for key in ("tau_1p_ns", "tau_2p_ns"):  # the admixture shortens the mean by < 1 %
            assert abs(life[key] / tq["tau_x_ns_tpef_decays"] - 1) < 0.02, (sid, key, life[key])
    assert not [w for w in results["warnings"] if w["quantity"] == "sigma2_GM" and "lifetime" in w["reason"]]
