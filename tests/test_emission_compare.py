"""η₂ = η₁: one- and two-photon emission of a sample compared (TPEF premise; paper Fig. 2d)."""
import numpy as np

from contract import AnalysisContract, Fails, SharedAxis
from multiphoton.analysis.emission_compare import compare_emission
from multiphoton.data import Spectrum, SpectrumSeries
from multiphoton.pipeline.steps.tpef import TPEF
from steps_support import run

E = np.linspace(1.70, 2.15, 451)


def _line(e0, sig=0.03, noise=0.01, seed=0):
    y = np.exp(-0.5 * ((E - e0) / sig) ** 2)
    return y + noise * np.random.default_rng(seed).standard_normal(E.size)


def test_same_emission_agrees_with_honest_stderr():
    z = [compare_emission(E, _line(1.925, seed=s), E, _line(1.925, seed=100 + s)) for s in range(10)]
    assert not any(r.details["differ"] for r in z)
    zz = np.array([r.value / r.stderr for r in z])
    assert np.sqrt(np.mean(zz**2)) < 2.0  # peak-fit stderrs: honest to within the scatter of 10 draws


def test_shifted_and_broadened_emission_is_flagged():
    r = compare_emission(E, _line(1.925), E, _line(1.945, sig=0.04, seed=1))
    assert r.details["differ"] and abs(r.value - 20.0) < 1.0  # 20 meV shift, noise ≪ 1 meV
    assert "eta2 = eta1" in r.message and "FWHM differs" in r.message


def _tpef_data(e0_2p):
    f = np.geomspace(0.3, 3.0, 6)
    series = SpectrumSeries(f, E, 100 * f[:, None] ** 2 * _line(e0_2p, noise=0)[None, :]
                            + np.random.default_rng(2).normal(0, 0.5, (f.size, E.size)))
    ref = SpectrumSeries(f, E, 5 * f[:, None] ** 2 * _line(2.2, sig=0.08, noise=0)[None, :] + 1e-3)
    return {"sample_2p": series, "reference_2p": ref, "sample_1p": Spectrum(E, 50 * _line(1.925, noise=0.002)),
            "reference_1p": Spectrum(E, 80 * _line(2.2, sig=0.08, noise=0.002))}


def test_tpef_step_reports_the_check_and_overlays_the_spectra():
    opts = dict(excitation_eV=1.55, excitation_1p_eV=3.1, reference="rhodamine-6g",
                reference_sigma1_cm2=[1e-17, 0], sample_sigma1_cm2=[1e-14, 0])
    same = run(TPEF, _tpef_data(1.925), **opts)
    check = same.samples["QS"]["sigma2_GM"].details["eta2_eq_eta1_check"]
    assert check["checked"] and not check["differ"]
    assert not [w for w in same.warnings if w.quantity == "sigma2_GM"]
    (plot,) = [p for p in same.plots if p.family == "tpef_spectra"]
    assert abs(np.max(plot.counts_2p) - 1) < 1e-12
    moved = run(TPEF, _tpef_data(1.960), **opts)
    (w,) = [w for w in moved.warnings if w.quantity == "sigma2_GM"]
    assert "eta2 = eta1" in w.reason and "+35" in w.reason


class TestCompareEmissionContract(AnalysisContract):
    function = staticmethod(compare_emission)
    shared_axes = (SharedAxis({"energy_1p_eV": 0, "counts_1p": 0}), SharedAxis({"energy_2p_eV": 0, "counts_2p": 0}))
    rtol = 1e-7  # lmfit on the same sorted points
    failure = Fails(match="peak cannot be located")

    def inputs(self, seed):
        return {"energy_1p_eV": E, "counts_1p": _line(1.925, seed=seed), "energy_2p_eV": E,
                "counts_2p": _line(1.93, seed=seed + 1)}, {}

    def failure_inputs(self):
        return {"energy_1p_eV": E, "counts_1p": _line(2.3, noise=0), "energy_2p_eV": E,
                "counts_2p": _line(1.93)}, {}


# ------------------------------------------------------------------- lifetimes (η₂ = η₁)
from multiphoton.analysis.lifetime import compare_lifetimes  # noqa: E402
from multiphoton.data import Decay  # noqa: E402
from multiphoton.report.figures import plot_tpef_spectra  # noqa: E402

TD = np.arange(-5.0, 200.0, 0.1)


def _decay(tau, seed, peak=3000.0):
    mu = peak * np.exp(-np.clip(TD, 0, None) / tau) * (TD >= 0) + 3.0
    return np.random.default_rng(seed).poisson(mu).astype(float)


def test_equal_lifetimes_agree_and_different_ones_are_flagged():
    """τ 20 ns under both excitations: the difference within noise over 12 seeds (RMS z near 1:
    decay_lifetime's stderr is the Poisson one, tests/test_lifetime.py); 20 vs 23 ns: flagged."""
    z = np.array([compare_lifetimes(TD, _decay(20.0, s), TD, _decay(20.0, 100 + s)).details["z"]
                  for s in range(12)])
    assert 0.5 < np.sqrt(np.mean(z**2)) < 1.7  # 12 draws: the RMS of z is known to ±20 % (1σ)
    d = compare_lifetimes(TD, _decay(20.0, 1), TD[::2], _decay(23.0, 2)[::2])  # another grid
    assert d.details["differ"] and abs(d.value - 3.0) < 4 * d.stderr and "eta2 = eta1" in d.message


def test_tpef_step_compares_the_lifetimes_and_plots_the_decays():
    opts = dict(excitation_eV=1.55, excitation_1p_eV=3.1, reference="rhodamine-6g",
                reference_sigma1_cm2=[1e-17, 0], sample_sigma1_cm2=[1e-14, 0])
    data = {**_tpef_data(1.925), "decay_1p": Decay(TD, _decay(20.0, 5)), "decay_2p": Decay(TD, _decay(20.0, 6))}
    same = run(TPEF, data, **opts)
    life = same.samples["QS"]["sigma2_GM"].details["eta2_eq_eta1_check"]["lifetimes"]
    assert life["checked"] and not life["differ"] and abs(life["tau_1p_ns"] - 20.0) < 0.5
    assert not [w for w in same.warnings if w.quantity == "sigma2_GM"]
    (plot,) = [p for p in same.plots if p.family == "tpef_spectra"]
    assert plot.decay_2p.shape == TD.shape and abs(plot.tau_2p_ns - 20.0) < 0.5
    assert len(plot_tpef_spectra(plot).axes) == 2
    slow = run(TPEF, {**data, "decay_2p": Decay(TD, _decay(24.0, 6))}, **opts)
    (w,) = [w for w in slow.warnings if w.quantity == "sigma2_GM"]
    assert "two-photon excited lifetime" in w.reason
    one = run(TPEF, {**_tpef_data(1.925), "decay_1p": Decay(TD, _decay(20.0, 5))}, **opts)
    why = one.samples["QS"]["sigma2_GM"].details["eta2_eq_eta1_check"]["lifetimes"]["why"]
    assert "without decay_2p" in why


class TestCompareLifetimesContract(AnalysisContract):
    function = staticmethod(compare_lifetimes)
    shared_axes = (SharedAxis({"time_1p_ns": 0, "counts_1p": 0}), SharedAxis({"time_2p_ns": 0, "counts_2p": 0}))
    rtol = 1e-6  # the same fits on sorted bins; optimiser paths agree to rounding
    failure = Fails(match="two-photon decay")

    def inputs(self, seed):
        return {"time_1p_ns": TD, "counts_1p": _decay(20.0, seed), "time_2p_ns": TD,
                "counts_2p": _decay(21.0, seed + 50)}, {}

    def failure_inputs(self):
        flat = np.random.default_rng(0).poisson(3.0, TD.size).astype(float)
        flat[60] = 40.0  # a spike, then background: no tail to fit
        return {"time_1p_ns": TD, "counts_1p": _decay(20.0, 0), "time_2p_ns": TD, "counts_2p": flat}, {}
