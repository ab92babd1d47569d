"""Tests of multiphoton.analysis.stability: retention, shots, mode tracking and drift."""
from __future__ import annotations

import numpy as np
import pytest

from multiphoton.analysis import stability as S
from multiphoton.errors import InputError

from contract import AnalysisContract, Fails, Raises, SharedAxis

# Synthetic laser over 30 min, a spectrum every 15 s: mode A from the start, mode B
# appearing at 120 s 6 meV above it, both blue-shifting at DRIFT meV/min (the paper's
# ~10 meV in 30 min), on a PL band, white noise; the jitter of each mode energy is 0.05 meV.
E = np.linspace(1.76, 1.86, 1001)
T = np.arange(0.0, 1800.0 + 1, 15.0)
DRIFT = 1 / 3  # meV/min
GAM = 0.8e-3


def _series(seed):
    rng = np.random.default_rng(seed)
    c = np.empty((T.size, E.size))
    for i, t in enumerate(T):
        spec = 100 * np.exp(-((E - 1.80) / 0.03) ** 2)
        shift = DRIFT * t / 60 / 1e3
        ea = 1.800 + shift + rng.normal(0, 5e-5)
        spec = spec + 400 / (1 + ((E - ea) / (GAM / 2)) ** 2)
        if t >= 120:
            eb = 1.806 + shift + rng.normal(0, 5e-5)
            spec = spec + 250 / (1 + ((E - eb) / (GAM / 2)) ** 2)
        c[i] = spec + rng.normal(0, 2.0, E.size)
    return c


def test_drift_recovered_with_tracks_and_events():
    c = _series(0)
    tr = S.track_modes(T, E, c)
    assert sorted(set(tr.track.tolist())) == [0, 1]
    assert np.count_nonzero(tr.track == 0) == T.size and np.count_nonzero(tr.track == 1) == T.size - 8
    # B starts 6 meV from A, inside the default split gate (3 × 3 meV): a split of track 0
    assert [(ev["kind"], ev["parent"], ev["time_s"]) for ev in tr.events] == [("split", 0, 120.0)]
    narrow = S.track_modes(T[::20], E, c[::20], split_gate_meV=4.0)
    assert [ev["kind"] for ev in narrow.events] == ["appear"]
    est = S.mode_drift_meV_per_min(tr.time_s, tr.energy_eV, tr.track)
    # jitter 0.05 meV over 234 points spanning 30 min: stderr ≈ 0.0003 meV/min; 2 % tolerance
    assert est.value == pytest.approx(DRIFT, rel=0.02)
    assert abs(est.value - DRIFT) < 3 * est.stderr
    assert est.details["n_tracks"] == 2


def test_link_modes_split_and_disappear():
    t = np.arange(6.0)
    energies = [[1.8], [1.8], [1.8, 1.8015], [1.8, 1.8015], [1.8015], [1.8015]]
    labels, events = S.link_modes(t, energies, gate_meV=1.0, split_gate_meV=2.0, max_gap=0)
    assert [lab.tolist() for lab in labels] == [[0], [0], [0, 1], [0, 1], [1], [1]]
    assert [(e["kind"], e["track"], e["parent"]) for e in events] == [("split", 1, 0), ("disappear", 0, None)]


def test_retention_drop_recovery():
    t = np.arange(0.0, 3600.0, 60.0)
    rng = np.random.default_rng(5)
    # 25 % drop at 50 min, recovering to 90 %: I = 1 − 0.25 sin-like dip, ends at 0.9
    shape = 1 - 0.25 * np.exp(-((t - 3000) / 400) ** 2)
    shape[t > 3000] = 0.9 + 0.1 * 0 - (0.9 - 0.75) * np.exp(-((t[t > 3000] - 3000) / 150) ** 2)
    y = 100 * shape + rng.normal(0, 1.0, t.size)
    est = S.intensity_retention(t, y, n_average=5)
    # first and last spectrum with the series' relative noise: σ_R/R ≈ √2 × 1 % (stated
    # stderr, ±30 % for the MAD over 58 second differences); the truth within 3σ
    assert est.stderr == pytest.approx(0.9 * 0.0141, rel=0.3)
    assert abs(est.value - 0.9) < 3 * est.stderr
    assert est.params["drop"][0] == pytest.approx(0.25, abs=0.03)
    assert est.params["recovery"][0] == pytest.approx(0.6, abs=0.1)  # (0.9 − 0.75)/(1 − 0.75)


def test_retention_of_a_ramp_is_unbiased_and_calibrated():
    # a linear 2x ramp over 31 spectra with a 20 % jump at the third (the simulator's time
    # series): end-averages would be 5 % low; the end spectra are unbiased, and z over 400
    # seeds has RMS 1 within 0.15 (the MAD noise over 29 differences scatters by ≈ 25 %)
    t = np.arange(0.0, 1801.0, 60.0)
    clean = 1e4 * (1 + t / 1800) * np.where(t >= 120, 1.2, 1.0)
    z = []
    for seed in range(400):
        y = np.random.default_rng(seed).poisson(clean).astype(float)  # counting noise
        est = S.intensity_retention(t, y, n_average=3)
        z.append((est.value - 2.4) / est.stderr)
    z = np.asarray(z)
    assert abs(z.mean()) < 0.15  # unbiased: mean z of 400 draws is 0 ± 0.05
    assert np.sqrt(np.mean(z**2)) == pytest.approx(1.0, abs=0.15)


def test_shots_and_integrated():
    assert S.shots([0.0, 600.0, 1800.0], rep_rate_Hz=200.0).value == 360000.0
    assert S.shots([0.0, 1.0], rep_rate_Hz=1e3).stderr == 0.0
    integ = S.integrated_intensity(E, np.ones((2, E.size)))
    assert integ == pytest.approx([0.1, 0.1])


def test_times_not_increasing_is_refused():
    with pytest.raises(InputError, match="strictly increasing"):
        S.intensity_retention([0, 2, 1, 3, 4, 5], np.ones(6))
    with pytest.raises(InputError, match="strictly increasing"):
        S.track_modes([0.0, 0.0], E, np.ones((2, E.size)))


def test_no_modes_no_drift():
    est = S.mode_drift_meV_per_min(np.array([]), np.array([]), np.array([], int))
    assert not est.success and "too few" in est.message


# ---- contract tests (STYLE.md practice 8) -------------------------------------------
_TIME_ORDER = "a time series in recording order (strictly increasing time is required and checked)"
_TIME_AXIS_SKIPS = {"reversed_axes": _TIME_ORDER, "shuffled_axes": _TIME_ORDER}


def _retention_series(seed):
    t = np.arange(0.0, 1200.0, 60.0)
    return t, 100 * (1 - 0.002 * t / 60) + np.random.default_rng(seed).normal(0, 1.0, t.size)


class TestIntegratedIntensityContract(AnalysisContract):
    function = staticmethod(S.integrated_intensity)
    shared_axes = (SharedAxis({"energy_eV": 0, "counts": 1}), SharedAxis({"counts": 0}, outputs={"": 0}))
    rtol = 1e-12  # sorted by energy first: the same trapezoid sum
    failure = Raises(InputError, match="last axis")

    def inputs(self, seed):
        return {"energy_eV": E, "counts": _series(seed)[::40]}, {}

    def failure_inputs(self):
        return {"energy_eV": E, "counts": np.ones((2, 10))}, {}


class TestIntensityRetentionContract(AnalysisContract):
    function = staticmethod(S.intensity_retention)
    skip = _TIME_AXIS_SKIPS
    failure = Raises(InputError, match="n_average")

    def inputs(self, seed):
        t, y = _retention_series(seed)
        return {"time_s": t, "integrated": y}, {"n_average": 4}

    def failure_inputs(self):
        t, y = _retention_series(0)
        return {"time_s": t, "integrated": y}, {"n_average": 1}


class TestShotsContract(AnalysisContract):
    function = staticmethod(S.shots)
    skip = {**_TIME_AXIS_SKIPS, "same_seed": "exact arithmetic on the times: nothing random to seed"}
    failure = Raises(InputError, match="rep_rate_Hz")

    def inputs(self, seed):
        return {"time_s": T}, {"rep_rate_Hz": 200.0}

    def failure_inputs(self):
        return {"time_s": np.array([0.0, 1.0])}, {"rep_rate_Hz": 0.0}


class TestLinkModesContract(AnalysisContract):
    function = staticmethod(S.link_modes)
    skip = _TIME_AXIS_SKIPS
    failure = Raises(InputError, match="one array per time")

    def inputs(self, seed):
        rng = np.random.default_rng(seed)
        t = np.arange(6.0)
        energies = [1.8 + rng.normal(0, 1e-4, k % 3 + 1) + 1.5e-3 * np.arange(k % 3 + 1) for k in range(6)]
        return {"time_s": t, "energies_eV": energies}, {"gate_meV": 1.0, "max_gap": 0}

    def failure_inputs(self):
        return {"time_s": np.arange(3.0), "energies_eV": [np.array([1.8])]}, {}


class TestTrackModesContract(AnalysisContract):
    function = staticmethod(S.track_modes)
    # time is ordered (checked); the energy axis may come in any order
    shared_axes = (SharedAxis({"energy_eV": 0, "counts": 1}),)
    rtol = 1e-9  # lmfit line fits on the same sorted points: rounding-level drift of the optimum
    failure = Raises(InputError, match="strictly increasing")

    def inputs(self, seed):
        return {"time_s": T[::30], "energy_eV": E, "counts": _series(seed)[::30]}, {}

    def failure_inputs(self):
        return {"time_s": np.array([0.0, 0.0]), "energy_eV": E, "counts": np.ones((2, E.size))}, {}


class TestModeDriftContract(AnalysisContract):
    function = staticmethod(S.mode_drift_meV_per_min)
    # the points may come in any order; residuals are per point, in the input order
    shared_axes = (SharedAxis({"time_s": 0, "energy_eV": 0, "track": 0}, outputs={".residuals": 0}),)
    rtol = 1e-9  # linear least squares on the same points in another order
    atol = 1e-9  # residuals (meV) are differences of ~1800 meV: absolute rounding ~1e-12 meV
    failure = Fails(match="too few")

    def inputs(self, seed):
        rng = np.random.default_rng(seed)
        t = np.tile(np.arange(0.0, 600.0, 60.0), 2)
        track = np.repeat([0, 1], t.size // 2)
        e = 1.8 + 6e-3 * track + DRIFT * t / 60 / 1e3 + rng.normal(0, 5e-5, t.size)
        return {"time_s": t, "energy_eV": e, "track": track}, {}

    def failure_inputs(self):
        return {"time_s": np.array([0.0, 60.0]), "energy_eV": np.array([1.8, 1.8]),
                "track": np.array([0, 0])}, {}
