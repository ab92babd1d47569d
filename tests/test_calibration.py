"""The calibration harness (multiphoton.simulate.calibration): a fast smoke test of its
bookkeeping, and the slow coverage test run by ``make test-slow``."""
import math

import numpy as np
import pytest

from multiphoton.simulate import calibration as cal


def _rows(z_values, quantity="q", stderr=0.01, truth=2.0):
    return [{"seed": i, "quantity": quantity, "value": truth + z * stderr, "stderr": stderr, "truth": truth,
             "success": True} for i, z in enumerate(z_values)]


def test_summary_counts_coverage_and_flags_miscalibration(tmp_path):
    z = np.random.default_rng(0).standard_normal(4000)
    good = cal.summarize(_rows(z))["q"]
    # 4000 standard normals: RMS 1 ± 0.011, coverage 68.3 ± 0.7 % and 95.4 ± 0.3 %
    assert good["rms_z"] == pytest.approx(1.0, abs=0.04)
    assert good["cover_1sigma"] == pytest.approx(0.683, abs=0.03)
    assert good["cover_2sigma"] == pytest.approx(0.954, abs=0.015)
    assert cal.failures({"q": good}) == []
    narrow = cal.summarize(_rows(3 * z))  # stderr three times too small
    assert any("RMS z" in f for f in cal.failures(narrow))
    biased = cal.summarize(_rows(z + 1.0))  # a bias of one stderr
    assert any("bias" in f for f in cal.failures(biased))
    exact = cal.summarize([{**r, "stderr": 0.0, "value": r["truth"]} for r in _rows(z[:5], "shots")])
    assert exact["shots"]["exact"] and cal.failures(exact) == []
    missing = cal.summarize([{**_rows([0.0])[0], "success": False, "value": math.nan}])
    assert cal.failures(missing) == ["q: never reported"]
    path = cal.write_report(_rows(z) + _rows(z[:5] * 0, "shots", stderr=0.0), tmp_path / "c.md",
                            command="test", n=4000, seconds=1.0)
    text = path.read_text()
    assert "| `q` | 4000 | 0 | 0 |" in text and "| `shots` | 5 | 0 | 0 | exact" in text and "machine:" in text
    bounded = cal.summarize([{**r, "bound": True} for r in _rows(z[:3])] + _rows(z[:10]))["q"]
    assert bounded["n"] == 10 and bounded["bound"] == 3 and bounded["missing"] == 0


def test_draws_are_reproducible_and_in_range():
    a, b, c = cal.draw_campaign(7), cal.draw_campaign(7), cal.draw_campaign(8)
    assert a == b and a != c
    s = a["samples"][0]
    assert 4.0 <= s["core_diameter_nm"][0] <= 8.5 and 100 <= s["n_particles"] <= 500
    assert a["noisy_inputs"] and a["laser"]["sample"] == s["id"]
    # the laser fluences bracket the drawn threshold as in the preset
    f = np.array(a["laser"]["fluences_mJ_cm2"])
    assert f.min() < a["laser"]["threshold_mJ_cm2"] < f.max()


# Quantities whose method is known to be biased against the quantity's definition; the
# bias is in the stderr as a model error (multiphoton.model_error), so their RMS z is
# checked but the bias test would only restate the known bias.
BIASED_WITH_MODEL_ERROR = {
    "ase_threshold_mJ_cm2": "hinge above the gain = loss fluence, +4 % (model error 4 %)",
    "tau_xx_ns": "Klimov differencing short against the cascade's tau_XX, -9 % (model error 9 %)",
    "excitons_at_threshold": "<N> = g sigma2 J^2/tau takes the hinge's threshold squared: +11 % over 80 "
                             "draws (the threshold's 4 % model error propagated: RMS z 0.94)",
    "biexciton_binding_meV": "the first spectrum above the hinge's (high) threshold is 1-3 spectra later "
                             "than the truth's: ASE peak a few meV higher, -22 % mean; the discrete "
                             "peak-pick model error holds it (RMS z 0.70 over 80 draws, |z| < 2 for "
                             "99 %; was 2.21; wide on wavelength-axis files, docs/trpl-and-ase.md)",
}
# Open problems measured by the harness (docs/calibration.md), named here rather than
# hidden behind wider criteria; each must still be reported. (Issue 14 closed the ones of
# pl_order, laser_linewidth_meV, laser_threshold_mJ_cm2 and mode_drift_meV_per_min, and moved
# biexciton_binding_meV to the biased ones above; issue 16 the one of sigma2_saturation_GM: the
# state weights took another measurement's tau_xx and amplified its error toward
# tau_XX = tau_X/2; sigma2, tau_x and tau_xx are now fitted together on the saturating traces,
# see docs/quantities.md: over 80 draws bias +0.03 %, RMS z 0.93.)
OPEN: dict[str, str] = {
    "tpef_lifetime_difference_ns": "a false eta2 != eta1 warning on 1 of 240 draws (seed 5033: z +140; RMS z "
                                   "1.13 over the other 200): decay_lifetime's AICc takes a 2-exp whose "
                                   "0.17 ns component lies before the fit window (amplitude 3.5e10 "
                                   "extrapolated to t_ref), and both its means follow that component",
}


@pytest.mark.slow
def test_stated_uncertainties_cover_the_truth():
    """40 randomised experiments (≈ 5 min on 2 idle cores): every quantity's RMS z within
    0.7–1.4 and |bias| ≤ half its median stderr (biased with model error: RMS z 0.5–1.8).
    With 40 draws the RMS z of a calibrated quantity is 1 ± 0.11 (1σ), so 0.7–1.4 fails a
    calibrated quantity rarely."""
    rows = cal.calibrate(40, jobs=2, first_seed=5000)
    summary = cal.summarize(rows)
    assert set(OPEN) | set(BIASED_WITH_MODEL_ERROR) <= set(summary)
    for q in OPEN:
        assert summary[q]["n"] >= 30, q  # reported, even if not calibrated yet
    strict = {q: m for q, m in summary.items() if q not in OPEN and q not in BIASED_WITH_MODEL_ERROR}
    rms_only = {q: m for q, m in summary.items() if q in BIASED_WITH_MODEL_ERROR}
    # a model-error allowance bounds a method bias that varies from draw to draw, so these
    # quantities sit below RMS z 1 by construction: they are held to the range
    # (#14: every quantity's RMS z within 0.5-1.8), not to the noise-only 0.7-1.4
    bad = cal.failures(strict) + cal.failures(rms_only, rms_range=(0.5, 1.8), max_bias=math.inf)
    assert not bad, "; ".join(bad)
