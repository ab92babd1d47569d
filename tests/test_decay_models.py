"""Decay model functions: closed forms, limits, stability for sharp IRFs, measured IRFs."""
import numpy as np
import pytest
from scipy import special

from multiphoton.analysis.decay_models import (
    FWHM_PER_SIGMA,
    exp_conv_gauss,
    exp_conv_irf,
    multi_exp_conv_gauss,
    multi_exp_conv_irf,
    shift_irf,
    stretched_exp_conv_gauss,
)
from multiphoton.errors import InputError

from contract import AnalysisContract, Raises, SharedAxis


def _naive(t, a, tau, t0, fwhm):
    s = fwhm / FWHM_PER_SIGMA
    d = t - t0
    return 0.5 * a * np.exp(-d / tau + s**2 / (2 * tau**2)) * special.erfc((s / tau - d / s) / np.sqrt(2))


def test_matches_naive_formula_where_it_is_finite():
    t = np.linspace(-3, 40, 500)
    y = exp_conv_gauss(t, amplitude=7.0, tau_ns=4.0, t0_ns=1.0, irf_fwhm_ns=0.8)
    np.testing.assert_allclose(y, _naive(t, 7.0, 4.0, 1.0, 0.8), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("tau, fwhm, naive_fails", [(1e3, 1e-6, False), (1e-3, 1e-9, True),
                                                    (50.0, 1e-4, False), (1e-4, 10.0, True)])
def test_finite_for_sharp_and_broad_irfs(tau, fwhm, naive_fails):
    t = np.linspace(-20, 2000, 4001)
    y = exp_conv_gauss(t, amplitude=1.0, tau_ns=tau, t0_ns=0.0, irf_fwhm_ns=fwhm)
    assert np.all(np.isfinite(y)) and np.all(y >= 0)
    with np.errstate(all="ignore"):
        naive = _naive(t, 1.0, tau, 0.0, fwhm)
    # where exp overflows the naive exp·erfc form gives inf·0 = NaN (pyglotaran's reason for erfcx)
    assert (not np.all(np.isfinite(naive))) == naive_fails
    ok = np.isfinite(naive)
    np.testing.assert_allclose(y[ok], naive[ok], rtol=1e-9, atol=1e-300)


def test_area_is_amplitude_times_tau():
    t = np.linspace(-10, 200, 200001)
    y = exp_conv_gauss(t, amplitude=3.0, tau_ns=5.0, t0_ns=2.0, irf_fwhm_ns=1.5)
    assert np.trapezoid(y, t) == pytest.approx(15.0, rel=1e-6)


def test_zero_width_irf_is_exponential_times_step():
    t = np.array([-1.0, 0.5, 3.0])
    y = exp_conv_gauss(t, amplitude=2.0, tau_ns=2.0, t0_ns=0.0, irf_fwhm_ns=0.0)
    np.testing.assert_allclose(y, [0.0, 2 * np.exp(-0.25), 2 * np.exp(-1.5)])


def test_multi_is_sum_plus_background():
    t = np.linspace(-2, 30, 100)
    kw = dict(t0_ns=0.3, irf_fwhm_ns=0.4)
    y = multi_exp_conv_gauss(t, amplitudes=[1.0, 2.0], taus_ns=[1.0, 8.0], background=0.5, **kw)
    ref = 0.5 + exp_conv_gauss(t, amplitude=1.0, tau_ns=1.0, **kw) + exp_conv_gauss(
        t, amplitude=2.0, tau_ns=8.0, **kw)
    np.testing.assert_allclose(y, ref, rtol=1e-14)


def test_stretched_beta_one_is_exponential_and_beta_lt_one_decays_slower_late():
    t = np.linspace(-2, 40, 300)
    a = stretched_exp_conv_gauss(t, amplitude=1.0, tau_ns=3.0, beta=1.0, t0_ns=0.0, irf_fwhm_ns=0.3)
    b = exp_conv_gauss(t, amplitude=1.0, tau_ns=3.0, t0_ns=0.0, irf_fwhm_ns=0.3)
    assert np.max(np.abs(a - b)) < 1e-3  # trapezoid convolution error O(h²)
    c = stretched_exp_conv_gauss(t, amplitude=1.0, tau_ns=3.0, beta=0.5, t0_ns=0.0, irf_fwhm_ns=0.3)
    assert c[-1] > b[-1]


def test_measured_irf_delta_gives_sampled_exponential_and_shifts():
    t = np.arange(40.0) * 0.5
    irf = np.zeros(40)
    irf[4] = 10.0
    y = exp_conv_irf(t, amplitude=2.0, tau_ns=3.0, irf_counts=irf)
    ref = np.where(t >= 2.0, 2.0 * np.exp(-(t - 2.0) / 3.0), 0.0)
    ref[4] = 1.0  # the step falls inside the IRF bin: half weight (trapezoid rule)
    np.testing.assert_allclose(y, ref, atol=1e-12)
    y2 = exp_conv_irf(t, amplitude=2.0, tau_ns=3.0, irf_counts=irf, shift_ns=1.0)  # 2 bins later
    np.testing.assert_allclose(y2[2:], y[:-2], atol=1e-12)
    half = shift_irf(t, irf, shift_ns=0.25)  # half a bin: linear interpolation
    assert half[4] == pytest.approx(5.0) and half[5] == pytest.approx(5.0)


def test_measured_gaussian_irf_matches_analytic_convolution():
    dt = 0.01
    t = np.arange(-3, 30, dt)
    fwhm = 0.5
    irf = np.exp(-0.5 * (t / (fwhm / FWHM_PER_SIGMA)) ** 2)
    y = multi_exp_conv_irf(t, amplitudes=[1.0], taus_ns=[4.0], irf_counts=irf, background=0.1)
    ref = 0.1 + exp_conv_gauss(t, amplitude=1.0, tau_ns=4.0, t0_ns=0.0, irf_fwhm_ns=fwhm)
    # trapezoid-rule discrete convolution: error O(Δt²) → ~1e-4 of the peak here
    np.testing.assert_allclose(y, ref, atol=3e-4)


def test_bad_input():
    t = np.linspace(0, 10, 50)
    with pytest.raises(InputError, match="irf_fwhm_ns"):
        exp_conv_gauss(t, amplitude=1.0, tau_ns=1.0, t0_ns=0.0, irf_fwhm_ns=-1.0)
    with pytest.raises(InputError, match="uniformly spaced"):
        exp_conv_irf(t**2, amplitude=1.0, tau_ns=1.0, irf_counts=np.ones(50))


# ---- contract tests (STYLE.md practice 8) -------------------------------------------
T_ = np.linspace(-2.0, 30.0, 161)  # uniform 0.2 ns grid
_ELEMENTWISE = (SharedAxis({"time_ns": 0}, outputs={"": 0}),)
_ORDERED = ("a measured IRF on a uniform increasing time grid: the discrete convolution needs "
            "the bins in order (an unsorted grid is refused)")
_GRID_SKIPS = {"reversed_axes": _ORDERED, "shuffled_axes": _ORDERED}


def _times(seed):
    # seeded jitter of the evaluation times (the models are deterministic)
    return T_ + 0.01 * np.random.default_rng(seed).random(T_.size)


def _irf(seed):
    return np.exp(-0.5 * ((T_ - 0.5) / 0.2) ** 2) + 1e-3 * np.random.default_rng(seed).random(T_.size)


class TestExpConvGaussContract(AnalysisContract):
    function = staticmethod(exp_conv_gauss)
    shared_axes = _ELEMENTWISE
    failure = Raises(InputError, match="tau_ns must be")

    def inputs(self, seed):
        return {"time_ns": _times(seed)}, {"amplitude": 3.0, "tau_ns": 4.0, "t0_ns": 1.0, "irf_fwhm_ns": 0.5}

    def failure_inputs(self):
        return {"time_ns": T_}, {"amplitude": 1.0, "tau_ns": 0.0, "t0_ns": 0.0, "irf_fwhm_ns": 0.1}


class TestMultiExpConvGaussContract(AnalysisContract):
    function = staticmethod(multi_exp_conv_gauss)
    shared_axes = _ELEMENTWISE
    failure = Raises(InputError, match="same length")

    def inputs(self, seed):
        return {"time_ns": _times(seed)}, {"amplitudes": np.array([1.0, 2.0]), "taus_ns": np.array([1.0, 8.0]),
                                           "t0_ns": 0.3, "irf_fwhm_ns": 0.4, "background": 0.5}

    def failure_inputs(self):
        return {"time_ns": T_}, {"amplitudes": [1.0, 2.0], "taus_ns": [1.0], "t0_ns": 0.0, "irf_fwhm_ns": 0.1}


class TestStretchedExpConvGaussContract(AnalysisContract):
    function = staticmethod(stretched_exp_conv_gauss)
    shared_axes = _ELEMENTWISE
    rtol = 1e-12  # evaluated on its own internal grid and interpolated: order-free
    failure = Raises(InputError, match="beta must be")

    def inputs(self, seed):
        return {"time_ns": _times(seed)}, {"amplitude": 1.0, "tau_ns": 3.0, "beta": 0.6, "t0_ns": 0.0,
                                           "irf_fwhm_ns": 0.3}

    def failure_inputs(self):
        return {"time_ns": T_}, {"amplitude": 1.0, "tau_ns": 3.0, "beta": 3.0, "t0_ns": 0.0, "irf_fwhm_ns": 0.3}


class TestShiftIrfContract(AnalysisContract):
    function = staticmethod(shift_irf)
    skip = _GRID_SKIPS
    failure = Raises(InputError, match="strictly increasing")

    def inputs(self, seed):
        return {"time_ns": T_, "irf_counts": _irf(seed)}, {"shift_ns": 0.3}

    def failure_inputs(self):
        return {"time_ns": T_[::-1], "irf_counts": _irf(0)}, {"shift_ns": 0.3}


class TestExpConvIrfContract(AnalysisContract):
    function = staticmethod(exp_conv_irf)
    skip = _GRID_SKIPS
    failure = Raises(InputError, match="same time grid")

    def inputs(self, seed):
        return {"time_ns": T_}, {"amplitude": 2.0, "tau_ns": 3.0, "irf_counts": _irf(seed), "shift_ns": 0.1}

    def failure_inputs(self):
        return {"time_ns": T_}, {"amplitude": 1.0, "tau_ns": 1.0, "irf_counts": np.ones(10)}


class TestMultiExpConvIrfContract(AnalysisContract):
    function = staticmethod(multi_exp_conv_irf)
    skip = _GRID_SKIPS
    failure = Raises(InputError, match="uniformly spaced")

    def inputs(self, seed):
        return {"time_ns": T_}, {"amplitudes": np.array([1.0, 0.5]), "taus_ns": np.array([0.5, 4.0]),
                                 "irf_counts": _irf(seed), "shift_ns": 0.3, "background": 0.1}

    def failure_inputs(self):
        return {"time_ns": T_[::-1]}, {"amplitudes": [1.0], "taus_ns": [1.0], "irf_counts": _irf(0)}
