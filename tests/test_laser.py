"""Tests of multiphoton.analysis.laser: lasing modes, threshold, linewidth."""
from __future__ import annotations

import numpy as np
import pytest

from multiphoton.analysis import laser as L
from multiphoton.errors import InputError

# Synthetic cavity: PL band (Gaussian, ∝ F²) plus one Lorentzian lasing line of FWHM GAM
# whose area rises linearly above FTH: area = SLOPE (F − FTH)₊; white noise of 2 counts.
E = np.linspace(1.75, 1.85, 1001)  # 0.1 meV grid
F = np.array([0.3, 0.5, 0.7, 0.85, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.3, 2.6])
FTH, SLOPE, EL, GAM = 1.1, 0.5, 1.802, 0.77e-3


def _spectra(seed, *, line=True):
    rng = np.random.default_rng(seed)
    pl = 200 * F[:, None] ** 2 * np.exp(-((E - 1.80) / 0.03) ** 2)[None, :]
    area = SLOPE * np.clip(F - FTH, 0, None) * line
    lor = (GAM / 2 / np.pi) / ((E - EL) ** 2 + (GAM / 2) ** 2)
    return pl + area[:, None] * lor[None, :] + rng.normal(0, 2.0, (F.size, E.size))


def test_recovers_threshold_and_linewidth():
    r = L.analyze_laser_series(F, E, _spectra(0))
    assert r.threshold.success and r.linewidth.success
    # 30 seeds: threshold errors ≤ 0.03 mJ/cm² (|z| ≤ 3.2, a t-distribution with 5 dof),
    # linewidth errors ≤ 0.1 meV at the weak first line above threshold: 5 % and 15 % tolerances.
    assert r.threshold.value == pytest.approx(FTH, rel=0.05)
    assert abs(r.threshold.value - FTH) < 3 * r.threshold.stderr
    assert r.linewidth.value == pytest.approx(GAM * 1e3, rel=0.15)
    assert abs(r.linewidth.value - GAM * 1e3) < 3 * r.linewidth.stderr
    assert r.linewidth.details["fluence_mJ_cm2"] == 1.2  # lowest fluence above threshold
    assert r.line_eV == pytest.approx(EL, abs=1e-5)
    assert r.above.tolist() == (F > FTH).tolist()
    q = r.linewidth.params["Q"][0]
    assert q == pytest.approx(EL / GAM, rel=0.15)


def test_mode_fit_energy_width_q():
    rng = np.random.default_rng(7)
    c = 100 * np.exp(-((E - 1.8) / 0.03) ** 2) + 300 / (1 + ((E - 1.81) / (GAM / 2)) ** 2)
    modes = L.find_lasing_modes(E, c + rng.normal(0, 1, E.size))
    assert len(modes) == 1
    m = modes[0]
    # a strong line (300σ): energy to 0.1 μeV-level, width within 1 %; honest stderr
    assert abs(m.energy.value - 1.81) < 3 * m.energy.stderr
    assert abs(m.fwhm.value - GAM * 1e3) < 3 * m.fwhm.stderr
    assert m.q.value == pytest.approx(1.81 / GAM, rel=0.01)


def test_pl_alone_has_no_lasing_line():
    r = L.analyze_laser_series(F, E, _spectra(1, line=False))
    assert not r.threshold.success and "no peak narrower than the PL band" in r.threshold.message
    assert not r.linewidth.success
    assert np.isnan(r.line_eV)


def test_threshold_hinge_and_failure_without_kink():
    f = np.linspace(0.2, 3.0, 15)
    rng = np.random.default_rng(2)
    y = np.where(f > 1.5, 10 * (f - 1.5), 0.2 * f) + rng.normal(0, 0.1, f.size)
    est = L.laser_threshold(f, y, intensity_stderr=np.full(f.size, 0.1))
    assert est.value == pytest.approx(1.5, abs=0.05)
    assert abs(est.value - 1.5) < 3 * est.stderr
    assert est.reduced_chi2 is not None and est.reduced_chi2 < 3
    straight = 2 * f + rng.normal(0, 0.1, f.size)
    bad = L.laser_threshold(f, straight)
    assert not bad.success and "sub-threshold trend" in bad.message
    few = L.laser_threshold(f[:4], y[:4])
    assert not few.success and "need at least" in few.message


def test_bad_input():
    with pytest.raises(InputError, match="repeated"):
        L.laser_threshold([1, 1, 2, 3, 4], [0, 0, 1, 2, 3])
    with pytest.raises(InputError, match="counts"):
        L.analyze_laser_series(F, E, _spectra(0)[:, :10])
    with pytest.raises(InputError, match="model"):
        L.find_lasing_modes(E, _spectra(0)[-1], model="gauss")


# ---- contract tests ----------------------------------------------------------------


def test_read_only_inputs_and_shuffled_axes():
    c = _spectra(3)
    f, e = F.copy(), E.copy()
    for a in (f, e, c):
        a.setflags(write=False)
    ref = L.analyze_laser_series(f, e, c)
    np.testing.assert_array_equal(c, _spectra(3))
    perm = np.random.default_rng(0).permutation(F.size)
    r = L.analyze_laser_series(F[perm], E[::-1], c[perm][:, ::-1])
    assert r.threshold.value == pytest.approx(ref.threshold.value, rel=1e-9)
    assert r.linewidth.value == pytest.approx(ref.linewidth.value, rel=1e-6)


def test_same_seed_same_output():
    a = L.analyze_laser_series(F, E, _spectra(4))
    b = L.analyze_laser_series(F, E, _spectra(4))
    assert (a.threshold.value, a.threshold.stderr, a.linewidth.value) == (
        b.threshold.value, b.threshold.stderr, b.linewidth.value)
