"""ASE thresholds (hinge fit, linewidth onset) and excitons per particle at threshold,
including the check of the paper's Table 1/Table 2 numbers."""
import numpy as np
import pytest
from uncertainties import ufloat

from multiphoton.analysis.threshold import (
    MIN_POINTS_PER_SIDE,
    ase_threshold,
    excitons_two_photon,
    hinge,
    linewidth_threshold,
)
from multiphoton.errors import InputError

from contract import AnalysisContract, Fails, Raises, SharedAxis

F = np.linspace(0.2, 3.0, 15)
F_TH = 1.5


def _series(seed, *, noise=0.03, f=F):
    y = hinge(f, threshold_mJ_cm2=F_TH, intercept=0.0, slope_below=10.0, slope_above=100.0)
    y = y + 0.5  # dark/background offset
    return y * (1 + noise * np.random.default_rng(seed).standard_normal(f.size))


def test_threshold_recovered_with_honest_stderr():
    est = ase_threshold(F, _series(0))
    assert est.success and est.method == "hinge-fit" and est.unit == "mJ/cm2"
    # 3 % relative noise on 15 points: the breakpoint to a few % of the threshold
    assert abs(est.value - F_TH) < 3 * est.stderr
    assert abs(est.value / F_TH - 1) < 0.05
    assert est.params["slope_above"][0] > est.params["slope_below"][0]
    assert est.details["n_below"] >= MIN_POINTS_PER_SIDE


def test_threshold_coverage_over_seeds():
    inside = sum(abs((e := ase_threshold(F, _series(100 + s))).value - F_TH) < 3 * e.stderr
                 for s in range(60))
    assert inside >= 55  # ≥ ~92 % of 60 (99.7 % expected for honest Gaussian errors)


def test_too_few_points_above_is_an_unsuccessful_estimate():
    f = np.r_[np.linspace(0.2, 1.4, 10), 1.8, 2.2, 2.6]  # only 3 points above 1.5
    est = ase_threshold(f, _series(3, f=f))
    assert not est.success and np.isnan(est.value)
    assert "above" in est.message and "at least 5" in est.message
    # 3 per side is allowed when asked for explicitly
    assert ase_threshold(f, _series(3, f=f), min_points_per_side=3).success


def test_no_threshold_is_an_unsuccessful_estimate():
    y = 10 * F * (1 + 0.02 * np.random.default_rng(4).standard_normal(F.size))
    est = ase_threshold(F, y)
    assert not est.success and "no significant slope increase" in est.message


def test_linewidth_narrowing_onset():
    rng = np.random.default_rng(5)
    w = 80.0 - 40.0 * np.clip(F - F_TH, 0, None)
    w = np.maximum(w, 30.0) + 0.5 * rng.standard_normal(F.size)
    est = linewidth_threshold(F, w, fwhm_stderr_meV=np.full(F.size, 0.5))
    assert est.success and est.method == "linewidth-narrowing-onset"
    assert abs(est.value - F_TH) < 3 * est.stderr and abs(est.value - F_TH) < 0.1


def test_bad_input():
    with pytest.raises(InputError, match="repeated"):
        ase_threshold(np.r_[F[:-1], F[0]], _series(0))
    with pytest.raises(InputError, match="finite"):
        ase_threshold(F, np.full(F.size, np.nan))
    with pytest.raises(InputError, match="min_points_per_side"):
        ase_threshold(F, _series(0), min_points_per_side=2)


# --------------------------------------------------------------- the paper's numbers
# Table 2 ASE thresholds (mJ/cm²), Table 1 σ₂ (GM) at 1.55 eV, 80 fs pulse taken as rect
# (g = 1), and the text's "~7 … ~3 for 6.0 nm cores and ~16 for 8.2 nm cores".
PAPER = {"4.5": (1.5, 1.7e6, 0.5e6, 7.0), "6.0": (1.7, 0.4e6, 0.1e6, 3.0),
         "8.2": (1.0, 7.9e6, 2.3e6, 16.0)}


@pytest.mark.parametrize("core", ["4.5", "8.2"])
def test_paper_excitons_at_threshold_consistent(core):
    f_th, s2, _, quoted = PAPER[core]
    n = excitons_two_photon(f_th, sigma2_GM=s2, excitation_eV=1.55, pulse_fwhm_fs=80.0,
                            pulse_shape="rect")
    assert abs(n / quoted - 1) < 0.20  # 7.75 vs ~7 (+11 %), 16.0 vs ~16 (+0.2 %)


def test_paper_excitons_at_threshold_6nm_not_self_consistent():
    f_th, s2, s2_err, quoted = PAPER["6.0"]
    n = excitons_two_photon(f_th, sigma2_GM=ufloat(s2, s2_err), excitation_eV=1.55,
                            pulse_fwhm_fs=80.0, pulse_shape="rect")
    # 2.35 from the tables vs the text's ~3: 22 % low, outside the 20 % the other two meet
    assert n.nominal_value == pytest.approx(2.35, abs=0.01)
    assert abs(n.nominal_value / quoted - 1) > 0.20
    # … though within the 25 % uncertainty of σ₂ (0.4 ± 0.1 × 10⁶ GM) itself
    assert abs(n.nominal_value - quoted) < 2 * n.std_dev


def test_linewidth_abrupt_narrowing_is_bracketed():
    w = np.where(F > F_TH, 15.0, 80.0) + 0.3 * np.random.default_rng(6).standard_normal(F.size)
    est = linewidth_threshold(F, w)
    assert est.success and est.method == "linewidth-narrowing-bracket"
    lo, hi = est.details["bracket_mJ_cm2"]
    assert lo < F_TH < hi and abs(est.value - F_TH) < 3 * est.stderr


# a least-squares fit of the same sorted points (profile grid + LM): rounding-level agreement
_FIT_RTOL = 1e-8
_TWO_PHOTON = {"sigma2_GM": 1.7e6, "excitation_eV": 1.55, "pulse_fwhm_fs": 80.0}


class TestAseThresholdContract(AnalysisContract):
    function = staticmethod(ase_threshold)
    shared_axes = (SharedAxis({"fluence_mJ_cm2": 0, "integrated": 0, "sigma": 0}),)
    rtol = _FIT_RTOL
    failure = Fails(match="no significant slope increase")

    def inputs(self, seed):
        y = _series(seed)
        return {"fluence_mJ_cm2": F, "integrated": y}, {"sigma": 0.03 * y}

    def failure_inputs(self):
        return {"fluence_mJ_cm2": F, "integrated": 10 * F * (1 + 0.02 * np.sin(5 * F))}, {}


class TestLinewidthThresholdContract(AnalysisContract):
    function = staticmethod(linewidth_threshold)
    shared_axes = (SharedAxis({"fluence_mJ_cm2": 0, "fwhm_meV": 0, "fwhm_stderr_meV": 0}),)
    rtol = _FIT_RTOL
    failure = Fails(match="narrowed spectra")

    def inputs(self, seed):
        w = np.maximum(80.0 - 40.0 * np.clip(F - F_TH, 0, None), 30.0)
        w = w + 0.5 * np.random.default_rng(seed).standard_normal(F.size)
        return {"fluence_mJ_cm2": F, "fwhm_meV": w}, {"fwhm_stderr_meV": np.full(F.size, 0.5)}

    def failure_inputs(self):
        return {"fluence_mJ_cm2": F, "fwhm_meV": 80.0 + 0.3 * np.sin(7 * F)}, {}


class TestLinewidthThresholdBracketContract(TestLinewidthThresholdContract):
    # the abrupt-narrowing branch (its own details), equal weights
    shared_axes = (SharedAxis({"fluence_mJ_cm2": 0, "fwhm_meV": 0}),)

    def inputs(self, seed):
        w = np.where(F > F_TH, 15.0, 80.0) + 0.3 * np.random.default_rng(seed).standard_normal(F.size)
        return {"fluence_mJ_cm2": F, "fwhm_meV": w}, {}


class TestHingeContract(AnalysisContract):
    function = staticmethod(hinge)
    shared_axes = (SharedAxis({"fluence_mJ_cm2": 0}, outputs={"": 0}),)
    skip = {"failure": "a model function, defined at every fluence: no input to refuse"}

    def inputs(self, seed):
        return {"fluence_mJ_cm2": F + 0.01 * np.random.default_rng(seed).random(F.size)}, {
            "threshold_mJ_cm2": F_TH, "intercept": 0.5, "slope_below": 10.0, "slope_above": 100.0}


class TestExcitonsTwoPhotonContract(AnalysisContract):
    function = staticmethod(excitons_two_photon)
    shared_axes = (SharedAxis({"fluence_mJ_cm2": 0}, outputs={"": 0}),)
    failure = Raises(InputError, match="pulse_shape")

    def inputs(self, seed):
        return {"fluence_mJ_cm2": F + 0.01 * np.random.default_rng(seed).random(F.size)}, _TWO_PHOTON

    def failure_inputs(self):
        return {"fluence_mJ_cm2": 1.0}, {**_TWO_PHOTON, "pulse_shape": "triangle"}
