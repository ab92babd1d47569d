"""σ₂ by the relative TPEF method: recover known truth from synthetic measurements."""
import numpy as np
import pytest
from uncertainties import ufloat

from multiphoton.analysis.cross_section import integrated_with_noise, quadratic_coefficient, sigma2_relative_GM
from multiphoton.errors import InputError

from contract import AnalysisContract, Raises, SharedAxis


def _tpef_experiment(rng, *, sigma2_x, sigma2_r, sigma1_x, sigma1_r, qy_x=0.3, qy_r=0.95, noise=0.03):
    """Integrated PL of sample and reference: concentrations, collection and QY cancel."""
    c_x, c_r = 2e-8, 1e-5  # different concentrations, same in 1P and 2P measurements
    f = np.geomspace(0.3, 3.0, 8)
    f2x = c_x * qy_x * sigma2_x * f**2 * (1 + noise * rng.standard_normal(f.size))
    f2r = c_r * qy_r * sigma2_r * f**2 * (1 + noise * rng.standard_normal(f.size))
    e = np.linspace(1.7, 2.2, 400)
    line = np.exp(-0.5 * ((e - 1.95) / 0.04) ** 2)
    f1x = c_x * qy_x * sigma1_x * 1e22 * line + 0.01 * rng.standard_normal(e.size)
    f1r = c_r * qy_r * sigma1_r * 1e22 * line + 0.01 * rng.standard_normal(e.size)
    return f, f2x, f2r, e, f1x, f1r


def test_recovers_sigma2_with_honest_stderr():
    rng = np.random.default_rng(2)
    truth = 1.7e6
    hits = 0
    n = 100
    for _ in range(n):
        f, f2x, f2r, e, f1x, f1r = _tpef_experiment(rng, sigma2_x=truth, sigma2_r=16.2, sigma1_x=1.2e-13, sigma1_r=4e-17)
        s2 = sigma2_relative_GM(
            reference_sigma2_GM=16.2, sample_sigma1_cm2=1.2e-13, reference_sigma1_cm2=4e-17,
            sample_f2=quadratic_coefficient(f, f2x), reference_f2=quadratic_coefficient(f, f2r),
            sample_f1=integrated_with_noise(e, f1x), reference_f1=integrated_with_noise(e, f1r))
        hits += abs(s2.nominal_value - truth) < 3 * s2.std_dev
        assert s2.nominal_value == pytest.approx(truth, rel=0.1)
    assert hits >= 0.95 * n


def test_reference_uncertainty_propagates():
    s2 = sigma2_relative_GM(reference_sigma2_GM=ufloat(16.2, 2.4), sample_sigma1_cm2=1e-13, reference_sigma1_cm2=1e-17,
                            sample_f2=1.0, reference_f2=1.0, sample_f1=1.0, reference_f1=1.0)
    assert s2.std_dev / s2.nominal_value == pytest.approx(2.4 / 16.2)


def test_integrated_with_noise_estimates_noise():
    rng = np.random.default_rng(4)
    e = np.linspace(1.7, 2.2, 500)
    clean = 100 * np.exp(-0.5 * ((e - 1.95) / 0.04) ** 2)
    areas = [integrated_with_noise(e, clean + rng.normal(0, 1.0, e.size)) for _ in range(200)]
    spread = np.std([a.nominal_value for a in areas])
    reported = np.mean([a.std_dev for a in areas])
    assert reported == pytest.approx(spread, rel=0.25)


_SCALARS = "scalar inputs (floats or uncertainties numbers), no arrays"


class TestQuadraticCoefficientContract(AnalysisContract):
    function = staticmethod(quadratic_coefficient)
    shared_axes = (SharedAxis({"fluence_mJ_cm2": 0, "integrated": 0, "mask": 0}),)
    rtol = 1e-9  # a least-squares fit of the same points in another order
    failure = Raises(InputError, match="at least 3 fluences")

    def inputs(self, seed):
        f, f2x, *_ = _tpef_experiment(np.random.default_rng(seed), sigma2_x=1.7e6, sigma2_r=16.2,
                                      sigma1_x=1.2e-13, sigma1_r=4e-17)
        return {"fluence_mJ_cm2": f, "integrated": f2x}, {"mask": np.arange(f.size) < 6}

    def failure_inputs(self):
        return {"fluence_mJ_cm2": np.array([1.0, 2.0]), "integrated": np.array([1.0, 4.0])}, {}


class TestIntegratedWithNoiseContract(AnalysisContract):
    function = staticmethod(integrated_with_noise)
    shared_axes = (SharedAxis({"energy_eV": 0, "counts": 0}),)
    rtol = 1e-12  # the same trapezoid sums after sorting
    failure = Raises(InputError, match="energy_eV")

    def inputs(self, seed):
        rng = np.random.default_rng(seed)
        e = np.linspace(1.7, 2.2, 60)
        return {"energy_eV": e, "counts": 100 * np.exp(-0.5 * ((e - 1.95) / 0.04) ** 2)
                + rng.normal(0, 1.0, e.size)}, {}

    def failure_inputs(self):
        return {"energy_eV": np.linspace(1.7, 2.2, 10), "counts": np.ones(9)}, {}


class TestSigma2RelativeContract(AnalysisContract):
    function = staticmethod(sigma2_relative_GM)
    skip = {"read_only_inputs": _SCALARS, "reversed_axes": _SCALARS, "shuffled_axes": _SCALARS,
            "lists": _SCALARS,
            "failure": "the relative formula itself: its inputs are checked where they are measured"}

    def inputs(self, seed):
        rng = np.random.default_rng(seed)
        return {}, {"reference_sigma2_GM": ufloat(16.2, 2.4), "sample_sigma1_cm2": 1.2e-13,
                    "reference_sigma1_cm2": 4e-17, "sample_f2": ufloat(1 + rng.random(), 0.01),
                    "reference_f2": 1.0, "sample_f1": 2.0, "reference_f1": ufloat(1.0, 0.02)}
