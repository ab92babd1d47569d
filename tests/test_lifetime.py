"""One decay: tail window to the background noise, AICc model choice, mean lifetimes."""
import numpy as np
import pytest

from contract import AnalysisContract, Fails, SharedAxis
from multiphoton.analysis.lifetime import decay_lifetime
from multiphoton.errors import InputError

T = np.arange(-5.0, 300.0, 0.1)


def _mu(taus, amps, bg=3.0):
    d = np.clip(T, 0, None)
    return sum(a * np.exp(-d / t) for a, t in zip(amps, taus)) * (T >= 0) + bg


def test_single_exponential_recovered_with_honest_stderr():
    z = []
    for seed in range(12):
        e = decay_lifetime(T, np.random.default_rng(seed).poisson(_mu([20.0], [3000.0])))
        assert e.details["model"] == "1exp" and e.message == ""
        z.append((e.value - 20.0) / e.stderr)
        assert e.details["fit_range_ns"][1] < T[-1]  # stops where the signal reaches the noise
    # RMS z over 12 seeds: 1 within the scatter of 12 draws (χ² with 12 dof: 0.55–1.4 at 95 %)
    assert 0.5 < np.sqrt(np.mean(np.square(z))) < 1.45


def test_two_exponentials_chosen_and_mean_lifetimes():
    taus, amps = [4.0, 30.0], [4000.0, 1000.0]
    true_amp = np.dot(amps, taus) / sum(amps)
    true_int = np.dot(amps, np.square(taus)) / np.dot(amps, taus)
    e = decay_lifetime(T, np.random.default_rng(3).poisson(_mu(taus, amps)))
    assert e.details["model"] in ("2exp", "3exp") and "not one exponential" in e.message
    assert abs(e.value - true_amp) < 4 * e.stderr
    d = e.details
    assert abs(d["tau_intensity_weighted_ns"] - true_int) < 4 * d["tau_intensity_weighted_ns_stderr"]


def test_stretched_exponential_chosen():
    d = np.clip(T, 0, None)
    mu = 5000.0 * np.exp(-(d / 10.0) ** 0.5) * (T >= 0) + 2.0
    e = decay_lifetime(T, np.random.default_rng(4).poisson(mu), models=("1exp", "2exp", "stretched"))
    assert e.details["model"] == "stretched" and abs(e.details["beta"] - 0.5) < 0.05


def test_signal_at_background_fails_and_bad_models():
    y = np.random.default_rng(5).poisson(_mu([0.3], [20.0], bg=50.0))
    e = decay_lifetime(T, y)
    assert not e.success and np.isnan(e.value) and "background noise" in e.message
    with pytest.raises(InputError, match="models"):
        decay_lifetime(T, y, models=("4exp",))


class TestDecayLifetimeContract(AnalysisContract):
    function = staticmethod(decay_lifetime)
    shared_axes = (SharedAxis({"time_ns": 0, "counts": 0}),)
    rtol = 1e-7  # the same sorted bins; LM drift at rounding level
    failure = Fails(match="background noise")

    def inputs(self, seed):
        return {"time_ns": T, "counts": np.random.default_rng(seed).poisson(_mu([4.0, 30.0], [4000.0, 1000.0]))}, {}

    def failure_inputs(self):
        return {"time_ns": T, "counts": np.random.default_rng(0).poisson(_mu([0.3], [20.0], bg=50.0))}, {}
