"""Open-aperture Z-scan: the exact model, the fit, β → σ₂, and recovery of truth from the
independent brute-force forward model of the simulator (simulate/zscan.py)."""
import math

import numpy as np
import pytest
from uncertainties import ufloat

from multiphoton.analysis.zscan import (
    effective_length_cm, fit_open_aperture, open_aperture_transmittance, peak_intensity_W_cm2,
    pulse_time_nodes, sigma2_from_beta_GM,
)
from multiphoton.errors import InputError
from multiphoton.simulate.zscan import beta_cm_per_GW, zscan_trace

from contract import AnalysisContract, Fails, Raises, SharedAxis

_SCALAR = "scalar inputs: there is no array to make read-only, reorder or pass as a list"


@pytest.mark.parametrize("q0", [0.05, 0.3, 0.7, 0.95])
def test_gaussian_pulse_equals_the_sheik_bahae_series(q0):
    # The series Σ (−q)^m/(m+1)^{3/2} converges for q < 1 (slowly near 1: 20000 terms).
    m = np.arange(20000)
    series = float(np.sum((-q0) ** m / (m + 1.0) ** 1.5))
    assert open_aperture_transmittance([0.0], q0)[0] == pytest.approx(series, rel=1e-7, abs=2e-6)


def test_exact_model_holds_beyond_the_series_and_approximation():
    # q0 = 3: the series diverges; the exact integral stays in (0, 1) and below the q0 ≪ 1
    # approximation 1 − q0/2^{3/2}, which would even be negative here.
    t = open_aperture_transmittance([0.0], 3.0)[0]
    assert 0.0 < t < 1.0 and 1 - 3.0 / 2**1.5 < 0


@pytest.mark.parametrize("shape", ["gaussian", "sech2", "rect"])
def test_analytic_model_matches_the_brute_force_forward_model(shape):
    # The simulator integrates I/(1+βIL_eff) on a radius × time grid; the analysis uses
    # ln(1+q)/q radially and quadrature in time. Grid error of the simulator ≲ 2e-5.
    z = np.linspace(-8, 8, 9)
    kw = dict(pulse_energy_nJ=50.0, beam_waist_um=20.0, pulse_fwhm_fs=60.0, path_cm=0.1, excitation_eV=1.55,
              pulse_shape=shape, linear_absorbance=0.1)
    sim = zscan_trace(z, beta_cm_per_GW=0.04, **kw)
    q0 = 0.04e-9 * peak_intensity_W_cm2(50.0, 20.0, 60.0, shape) * effective_length_cm(0.1, 0.1)
    zr = math.pi * (20e-3) ** 2 / (1239.84198 / 1.55 * 1e-6)
    np.testing.assert_allclose(open_aperture_transmittance(z, q0, rayleigh_mm=zr, pulse_shape=shape), sim,
                               atol=3e-5)


def test_nonlinear_refraction_does_not_change_an_open_aperture_trace():
    z = np.linspace(-10, 10, 21)
    kw = dict(beta_cm_per_GW=0.04, pulse_energy_nJ=50.0, beam_waist_um=20.0, pulse_fwhm_fs=60.0,
              path_cm=0.1, excitation_eV=1.55)
    np.testing.assert_array_equal(zscan_trace(z, **kw), zscan_trace(z, n2_cm2_per_W=5e-15, **kw))


def _scan(rng, *, q0=0.6, z0=0.7, zr=2.3, noise=0.003, n=201, shape="gaussian"):
    z = np.linspace(-30, 30, n)
    t = open_aperture_transmittance(z, q0, focus_mm=z0, rayleigh_mm=zr, pulse_shape=shape)
    return z, t + noise * rng.standard_normal(n)


def test_fit_recovers_truth_over_random_parameters_with_calibrated_stderr():
    # 60 scans with q0 ∈ [0.2, 2.5], z_R ∈ [1, 4] mm, focus ∈ [−2, 2] mm and 0.3 % noise: the
    # fit is within 5 % (≥ 10 stderr at q0 = 0.2) and its stderr covers the truth (RMS z within
    # 1 ± 0.25; the sampling spread of an RMS over 60 draws is ≈ 0.09).
    rng = np.random.default_rng(161)
    z_scores = []
    for _ in range(60):
        q0, zr, z0 = rng.uniform(0.2, 2.5), rng.uniform(1.0, 4.0), rng.uniform(-2, 2)
        z, t = _scan(rng, q0=q0, zr=zr, z0=z0)
        fit = fit_open_aperture(z, t)
        assert fit.success
        assert fit.value == pytest.approx(q0, rel=0.05)
        z_scores.append((fit.value - q0) / fit.stderr)
    rms = float(np.sqrt(np.mean(np.square(z_scores))))
    assert 0.75 < rms < 1.25


def test_given_focus_and_rayleigh_range_are_kept_fixed():
    rng = np.random.default_rng(2)
    z, t = _scan(rng)
    fit = fit_open_aperture(z, t, focus_mm=0.7, rayleigh_mm=2.3)
    assert fit.params["focus_mm"] == (0.7, 0.0) and fit.params["rayleigh_mm"] == (2.3, 0.0)
    assert fit.value == pytest.approx(0.6, abs=4 * fit.stderr)


def test_no_dip_fails_with_a_reason():
    rng = np.random.default_rng(3)
    z = np.linspace(-30, 30, 201)
    fit = fit_open_aperture(z, 1 + 0.003 * rng.standard_normal(201))
    assert not fit.success and math.isnan(fit.value) and "no two-photon dip" in fit.message


def test_sigma2_propagates_inputs():
    # σ₂ ∝ β/c: relative stderrs add in quadrature (0.03, 0.04 → 0.05).
    s = sigma2_from_beta_GM(ufloat(0.04, 0.0012), excitation_eV=1.55, particle_concentration_M=ufloat(1e-6, 4e-8))
    assert s.std_dev / s.nominal_value == pytest.approx(0.05, rel=1e-9)
    beta = beta_cm_per_GW(1.7e6, excitation_eV=1.55, particle_concentration_M=2e-7)
    assert sigma2_from_beta_GM(beta, excitation_eV=1.55, particle_concentration_M=2e-7) == pytest.approx(1.7e6)


class TestPulseTimeNodes(AnalysisContract):
    function = staticmethod(pulse_time_nodes)
    failure = Raises(InputError, match="pulse_shape 'square' is not known")
    skip = {"read_only_inputs": _SCALAR, "reversed_axes": _SCALAR, "shuffled_axes": _SCALAR, "lists": _SCALAR}

    def inputs(self, seed):
        return {"pulse_shape": ["gaussian", "sech2", "rect"][seed % 3]}, {}

    def failure_inputs(self):
        return {"pulse_shape": "square"}, {}


class TestOpenApertureTransmittance(AnalysisContract):
    function = staticmethod(open_aperture_transmittance)
    shared_axes = (SharedAxis({"z_mm": 0}, outputs={"": 0}),)
    rtol = 1e-12
    failure = Raises(InputError, match="pulse_shape")

    def inputs(self, seed):
        rng = np.random.default_rng(seed)
        return {"z_mm": np.sort(rng.uniform(-10, 10, 40)), "q0": 0.8}, {"focus_mm": 0.3, "rayleigh_mm": 2.0}

    def failure_inputs(self):
        return {"z_mm": np.zeros(3), "q0": 0.5}, {"pulse_shape": "triangle"}


class TestPeakIntensity(AnalysisContract):
    function = staticmethod(peak_intensity_W_cm2)
    failure = Raises(InputError, match="pulse_shape")
    skip = {"read_only_inputs": _SCALAR, "reversed_axes": _SCALAR, "shuffled_axes": _SCALAR, "lists": _SCALAR}

    def inputs(self, seed):
        return {"pulse_energy_nJ": 40.0 + seed, "beam_waist_um": 20.0, "pulse_fwhm_fs": 60.0}, {}

    def failure_inputs(self):
        return {"pulse_energy_nJ": 40.0, "beam_waist_um": 20.0, "pulse_fwhm_fs": 60.0, "pulse_shape": "x"}, {}


class TestEffectiveLength(AnalysisContract):
    function = staticmethod(effective_length_cm)
    failure = Raises(InputError, match="path_cm must be > 0")
    skip = {"read_only_inputs": _SCALAR, "reversed_axes": _SCALAR, "shuffled_axes": _SCALAR, "lists": _SCALAR}

    def inputs(self, seed):
        return {"path_cm": 0.1, "linear_absorbance": 0.05 * seed}, {}

    def failure_inputs(self):
        return {"path_cm": -1.0, "linear_absorbance": 0.0}, {}


class TestSigma2FromBeta(AnalysisContract):
    function = staticmethod(sigma2_from_beta_GM)
    failure = Raises(InputError, match="particle_concentration_M must be > 0")
    skip = {"read_only_inputs": _SCALAR, "reversed_axes": _SCALAR, "shuffled_axes": _SCALAR, "lists": _SCALAR}

    def inputs(self, seed):
        return {"beta_cm_per_GW": 0.01 * (seed + 1)}, {"excitation_eV": 1.55, "particle_concentration_M": 1e-6}

    def failure_inputs(self):
        return {"beta_cm_per_GW": 0.01}, {"excitation_eV": 1.55, "particle_concentration_M": 0.0}


class TestFitOpenAperture(AnalysisContract):
    function = staticmethod(fit_open_aperture)
    shared_axes = (SharedAxis({"z_mm": 0, "transmittance": 0}, outputs={".residuals": 0}),)
    rtol, atol = 1e-6, 1e-9  # trust-region iterates differ in the last digits when sums are reordered
    failure = Fails(match="no two-photon dip")

    def inputs(self, seed):
        return dict(zip(("z_mm", "transmittance"), _scan(np.random.default_rng(seed)))), {}

    def failure_inputs(self):
        z = np.linspace(-30, 30, 101)
        return {"z_mm": z, "transmittance": 1 + 0.003 * np.random.default_rng(1).standard_normal(101)}, {}
