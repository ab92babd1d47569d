"""The one second-difference noise estimator."""
import numpy as np
import pytest

from multiphoton.analysis.noise import point_noise

from contract import AnalysisContract


def test_recovers_white_noise_on_a_smooth_line():
    e = np.linspace(1.8, 2.2, 4000)
    line = 1e3 * np.exp(-0.5 * ((e - 2.0) / 0.03) ** 2)
    y = line + np.random.default_rng(3).normal(0.0, 5.0, e.size)
    # MAD of n = 4000 normal points: relative stderr ≈ 1.17/√n ≈ 2 %; allow 3 of those
    assert point_noise(y) == pytest.approx(5.0, rel=0.06)


def test_axis_pooling_and_nan():
    rng = np.random.default_rng(4)
    y = rng.normal(0.0, 1.0, (3, 2000))
    assert point_noise(y, axis=1) == pytest.approx(point_noise(y.T, axis=0))
    y[1, 10] = np.nan  # the differences touching it are left out
    assert np.isfinite(point_noise(y, axis=1))
    assert np.isnan(point_noise([1.0, 2.0]))


class TestPointNoiseContract(AnalysisContract):
    function = staticmethod(point_noise)
    skip = {"reversed_axes": "one ordered curve without its axis: nothing to permute along",
            "shuffled_axes": "one ordered curve without its axis: nothing to permute along",
            "failure": "returns a float, nan for fewer than 3 points (test_axis_pooling_and_nan)"}

    def inputs(self, seed):
        e = np.linspace(1.75, 1.85, 501)
        y = 100 * np.exp(-((e - 1.8) / 0.03) ** 2) + np.random.default_rng(seed).normal(0, 2, e.size)
        return {"values": y}, {}
