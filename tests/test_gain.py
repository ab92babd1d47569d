"""Tests of multiphoton.analysis.gain: net gain from transient absorption."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from multiphoton.analysis import gain as G
from multiphoton.errors import InputError

# Synthetic film: flat ground-state absorbance A0 and a Gaussian gain/bleach band decaying
# exponentially: dA(t, E) = -B exp(-((E - EC)/W)^2) exp(-t/TAU) for t > 0.
E = np.linspace(1.7, 2.3, 301)  # 2 meV grid
D = np.concatenate([[-3.0, -2.5, -2.0, -1.5, -1.0], np.geomspace(0.2, 20000.0, 70)])
A0, B, W, EC, TAU, SIG = 0.15, 0.6, 0.12, 2.0, 3000.0, 1e-3


def _dA(seed, sig=SIG):
    rng = np.random.default_rng(seed)
    clean = -B * np.exp(-((E - EC) / W) ** 2)[None, :] * np.exp(-np.clip(D, 0, None) / TAU)[:, None]
    clean[D <= 0] = 0.0
    return clean + rng.normal(0.0, sig, (D.size, E.size))


def _analyze(dA, **kw):
    return G.analyze_ta_gain(D, E, dA, ground_energy_eV=E, ground_absorbance_od=np.full(E.size, A0), **kw)


def test_recovers_gain_bandwidth_and_lifetime():
    r = _analyze(_dA(1))
    assert r.noise.method == "pre-time-zero-std"
    assert abs(r.noise.value - SIG) < 3 * r.noise.stderr
    # Truth under the same criterion (net < -k sigma, k from the estimate's details), closed form
    kb = r.bandwidth.details["k_sigma"]
    width_true = 2e3 * W * np.sqrt(np.log(B * np.exp(-10.0 / TAU) / (A0 + kb * SIG)))
    kl = r.lifetime.details["k_sigma"]
    life_true = TAU * np.log(B / (A0 + kl * SIG)) / 1e3
    # Tolerances: 40 seeds gave bandwidth errors < 1 meV of 280 and lifetime errors < 40 ps
    # of 4.06 ns; 1 % allows for that with margin while still catching a unit or edge bug.
    assert r.bandwidth.success and r.lifetime.success
    assert r.bandwidth.value == pytest.approx(width_true, rel=0.01)
    assert abs(r.bandwidth.value - width_true) < 3 * r.bandwidth.stderr
    assert r.lifetime.unit == "ns"
    assert r.lifetime.value == pytest.approx(life_true, rel=0.01)
    assert abs(r.lifetime.value - life_true) < 3 * r.lifetime.stderr
    # one region, centred on the gain peak; the peak energy is tracked while gain lasts
    (lo, hi), = r.gain_region_eV
    assert (lo + hi) / 2 == pytest.approx(EC, abs=0.004)
    early = (D > 1) & (D < 3000)
    assert np.all(np.abs(r.peak_energy_eV[early] - EC) < 0.03)
    assert np.all(np.isnan(r.peak_energy_eV[D > 6000]))


@pytest.mark.parametrize("seed", range(8))
def test_noise_alone_yields_no_gain(seed):
    # A0 + dA = A0 (1 - exp(-t/TAU)) >= 0, touching 0 right after time zero over the whole
    # spectrum (the worst case for false alarms), plus noise.
    rng = np.random.default_rng(100 + seed)
    a0 = 0.1 + 0.05 * (E - 1.7)
    clean = -a0[None, :] * np.exp(-np.clip(D, 0, None) / TAU)[:, None]
    clean[D <= 0] = 0.0
    dA = clean + rng.normal(0.0, SIG, clean.shape)
    r = G.analyze_ta_gain(D, E, dA, ground_energy_eV=E, ground_absorbance_od=a0, bandwidth_delay_ps=0.2)
    assert not r.bandwidth.success and "no net gain" in r.bandwidth.message
    assert not r.lifetime.success and "no net gain" in r.lifetime.message
    assert r.gain_region_eV == []


def test_a_fixed_small_k_lets_noise_create_gain():
    # The counter-check: with k = 1 the same noise does produce "gain", so the test above can fail.
    rng = np.random.default_rng(100)
    a0 = 0.1 + 0.05 * (E - 1.7)
    clean = -a0[None, :] * np.exp(-np.clip(D, 0, None) / TAU)[:, None]
    clean[D <= 0] = 0.0
    dA = clean + rng.normal(0.0, SIG, clean.shape)
    r = G.analyze_ta_gain(D, E, dA, ground_energy_eV=E, ground_absorbance_od=a0,
                          bandwidth_delay_ps=0.2, k_sigma=1.0)
    assert r.bandwidth.success


def test_bonferroni_k():
    assert G.k_sigma_for(1) == pytest.approx(3.09, abs=0.01)  # Phi^-1(1 - 0.001)
    assert G.k_sigma_for(300) == pytest.approx(4.50, abs=0.01)  # Phi^-1(1 - 0.001/300)


def test_no_ground_state_claims_no_gain():
    with pytest.raises(InputError, match="no ground-state spectrum: net gain undefined"):
        G.analyze_ta_gain(D, E, _dA(0), ground_energy_eV=None, ground_absorbance_od=None)


def test_ground_state_overlap():
    with pytest.raises(InputError, match="does not overlap"):
        G.ground_state_on_grid(E, np.linspace(2.5, 3.0, 10), np.ones(10))
    ge = np.linspace(1.9, 2.5, 100)
    r = G.analyze_ta_gain(D, E, _dA(2), ground_energy_eV=ge, ground_absorbance_od=np.full(ge.size, A0))
    assert "overlap" in r.bandwidth.message and "overlap" in r.messages[0]
    assert np.all(np.isnan(r.ground_state_od[E < 1.9]))
    # the gain region (about 1.86-2.14 eV) is now cut at 1.9 eV: a lower bound, and said so
    (lo, hi), = r.gain_region_eV
    assert lo == pytest.approx(E[E >= 1.9][0])
    assert "lower bound" in r.bandwidth.message


def test_noise_fallback_without_pre_time_zero_delays():
    keep = D > 0
    est = G.noise_level(D[keep], E, _dA(3)[keep])
    assert est.method == "second-difference-mad" and "no delays before t0" in est.message
    # the smooth signal hardly enters the second difference: within 10 % of the true sigma
    assert est.value == pytest.approx(SIG, rel=0.1)
    assert abs(est.value - SIG) < 3 * est.stderr + 0.02 * SIG


def test_chirp_correction_aligns_time_zero():
    d = np.linspace(-2, 5, 141)
    t0 = 0.5 + 2.0 * (E - 2.0)  # ps, a linear chirp
    onset = 1.0 / (1.0 + np.exp(-(d[:, None] - t0[None, :]) / 0.1))
    fixed = G.correct_chirp(d, E, onset, t0_coeffs_ps=[0.5, 2.0], energy_ref_eV=2.0)
    ok = np.all(np.isfinite(fixed), axis=1)
    ref = 1.0 / (1.0 + np.exp(-d / 0.1))
    # linear interpolation of a 0.05 ps grid on a 0.1 ps rise: error < 0.01
    assert np.max(np.abs(fixed[ok] - ref[ok, None])) < 0.01
    assert np.isnan(fixed[-1, E > 2.01]).all()  # shifted beyond the last delay


def test_bandwidth_delay_outside_range():
    with pytest.raises(InputError, match="bandwidth_delay_ps"):
        _analyze(_dA(0), bandwidth_delay_ps=1e6)


def test_shape_mismatch():
    with pytest.raises(InputError, match="transpose"):
        G.analyze_ta_gain(D, E, _dA(0).T, ground_energy_eV=E, ground_absorbance_od=np.full(E.size, A0))


# ---- contract tests (STYLE.md practice 8) ---------------------------------------------


def test_inputs_read_only_and_unchanged():
    dA = _dA(4)
    a0 = np.full(E.size, A0)
    arrays = [D.copy(), E.copy(), dA, a0]
    for a in arrays:
        a.setflags(write=False)
    before = [a.copy() for a in arrays]
    _analyze(dA)
    G.analyze_ta_gain(arrays[0], arrays[1], dA, ground_energy_eV=arrays[1], ground_absorbance_od=a0,
                      t0_coeffs_ps=[0.1])
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)


def test_reversed_and_shuffled_axes_give_the_same_answer():
    dA = _dA(5)
    ref = _analyze(dA)
    rng = np.random.default_rng(0)
    pd, pe = rng.permutation(D.size), rng.permutation(E.size)[::-1]
    r = G.analyze_ta_gain(D[pd], E[pe], dA[np.ix_(pd, pe)], ground_energy_eV=E[::-1],
                          ground_absorbance_od=np.full(E.size, A0))
    assert r.bandwidth.value == pytest.approx(ref.bandwidth.value, rel=1e-12)
    assert r.lifetime.value == pytest.approx(ref.lifetime.value, rel=1e-12)
    assert r.noise.value == pytest.approx(ref.noise.value, rel=1e-12)


def test_same_seed_same_output():
    a, b = _analyze(_dA(6)), _analyze(_dA(6))
    assert (a.bandwidth.value, a.bandwidth.stderr, a.lifetime.value) == (
        b.bandwidth.value, b.bandwidth.stderr, b.lifetime.value)


# ---- the real measured TA map ---------------------------------------------------------

# Hippius et al., J. Phys. Chem. C 2007, 111, 13988 (pyglotaran-examples, MIT licence).
REAL_TA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real" / "ta"
           / "demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii")


@pytest.mark.skipif(not REAL_TA.exists(), reason=f"real TA map not found at {REAL_TA}")
def test_real_ta_map_without_ground_state_claims_no_gain():
    from multiphoton.io.ta_ascii import read_ta_ascii

    ta = read_ta_ascii(REAL_TA)
    assert ta.dA.shape == (335, 346)
    # No delays before t0 - margin in this file: the documented fallback is used, and says so.
    noise = G.noise_level(ta.delay_ps, ta.energy_eV, ta.dA)
    assert noise.method == "second-difference-mad" and noise.details["fallback"]
    assert 0 < noise.value < 0.01
    with pytest.raises(InputError, match="net gain undefined"):
        G.analyze_ta_gain(ta.delay_ps, ta.energy_eV, ta.dA, ground_energy_eV=None, ground_absorbance_od=None)
