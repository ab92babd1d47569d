"""Glue for optical gain (TA maps), lasing (laser series) and stability (time series).

Each ``run_<kind>(m, ctx)`` loads the measurement's container, calls the pure
analyses of :mod:`multiphoton.analysis.gain`, :mod:`~multiphoton.analysis.laser` and
:mod:`~multiphoton.analysis.stability`, records quantities (or warnings, when the data
cannot support a quantity) and appends one plot dict per figure (docs/plot-data.md).
"""
from __future__ import annotations

import math

import numpy as np

from ..analysis import gain, laser, stability
from ..errors import InputError

__all__ = ["run_ta_map", "run_laser_series", "run_time_series"]

NO_GROUND_STATE = "no ground-state spectrum: net gain undefined"


def _opt_int(m, name, default):
    value = m.float(name, default)
    if value != int(value) or value < 1:
        raise InputError(f"{m.where}, key {name!r}: expected a whole number >= 1, got {value!r}.")
    return int(value)


def _coeffs(m, name):
    raw = m.options.get(name)
    if raw is None:
        return None
    values = raw if isinstance(raw, list) else [raw]
    if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise InputError(f"{m.where}, key {name!r}: expected a list of numbers c0, c1, … (ps, ps/eV, …), "
                         f"got {raw!r}.")
    return [float(v) for v in values]


def _nan_to_none(values):
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(values, float).ravel()]


def run_ta_map(m, ctx) -> None:
    """Gain bandwidth and gain lifetime from a ``ta_map`` and its ``ground_state`` absorption.

    Options: ``bandwidth_delay_ps`` (10), ``k_sigma`` (default: the Bonferroni bound of
    :func:`multiphoton.analysis.gain.k_sigma_for`), ``t0_ps`` (0),
    ``noise_margin_ps`` (0.3), ``chirp_t0_coeffs_ps`` ([c0, c1, …]) with
    ``chirp_energy_ref_eV`` (0). Without ``ground_state``: both quantities are
    warnings ("no ground-state spectrum: net gain undefined") and the figure shows ΔA.
    """
    ta = ctx.load(m)
    ground = ctx.load(m, "ground_state", kind="absorption")
    delay_t = m.float("bandwidth_delay_ps", 10.0)
    k_sigma = m.float("k_sigma") if "k_sigma" in m.options else None
    t0 = m.float("t0_ps", 0.0)
    margin = m.float("noise_margin_ps", 0.3)
    coeffs = _coeffs(m, "chirp_t0_coeffs_ps")
    e_ref = m.float("chirp_energy_ref_eV", 0.0)
    if k_sigma is not None and k_sigma <= 0:
        raise InputError(f"{m.where}, key 'k_sigma': must be > 0, got {k_sigma}.")
    d = np.asarray(ta.delay_ps)
    if not d.min() <= delay_t <= d.max():
        raise InputError(
            f"{m.where}, key 'bandwidth_delay_ps': {delay_t:g} ps is outside the measured delays "
            f"{d.min():g}–{d.max():g} ps; choose a delay inside that range."
        )
    plot = {"family": "ta_map", "sample": m.sample, "measurement": m.index,
            "delay_ps": ta.delay_ps.tolist(), "energy_eV": ta.energy_eV.tolist(),
            "bandwidth_delay_ps": delay_t, "gain_delays_ps": _pick_delays(d, delay_t)}
    if ground is None:
        for q in ("gain_bandwidth_meV", "gain_lifetime_ns"):
            ctx.results.warn(m.sample, q, NO_GROUND_STATE)
        noise = gain.noise_level(ta.delay_ps, ta.energy_eV, ta.dA, t0_ps=t0, margin_ps=margin)
        plot.update(net_absorbance=None, dA=np.asarray(ta.dA).tolist(), ground_state=None,
                    gain_region_eV=[], noise_od=noise.value, gain_lifetime_ns=None)
        ctx.results.plots.append(plot)
        return
    try:
        res = gain.analyze_ta_gain(
            ta.delay_ps, ta.energy_eV, ta.dA, ground_energy_eV=ground.energy_eV,
            ground_absorbance_od=ground.absorbance, bandwidth_delay_ps=delay_t, k_sigma=k_sigma,
            t0_ps=t0, margin_ps=margin, t0_coeffs_ps=coeffs, energy_ref_eV=e_ref)
    except InputError as exc:
        raise InputError(f"{m.where}: {exc}") from exc
    ctx.results.add(m.sample, "gain_bandwidth_meV", res.bandwidth)
    ctx.results.add(m.sample, "gain_lifetime_ns", res.lifetime)
    plot.update(
        delay_ps=res.delay_ps.tolist(), energy_eV=res.energy_eV.tolist(),
        net_absorbance=[_nan_to_none(row) for row in res.net_od],
        ground_state=_nan_to_none(res.ground_state_od),
        gain_region_eV=[list(r) for r in res.gain_region_eV], noise_od=res.noise.value,
        gain_lifetime_ns=res.lifetime.value if res.lifetime.success else None,
        gain_peak_eV=_nan_to_none(res.peak_energy_eV),
    )
    ctx.results.plots.append(plot)


def _pick_delays(d, delay_t):
    """A few delays for gain spectra: the bandwidth delay and log-spaced later ones."""
    pos = d[d > 0]
    if pos.size == 0:
        return [float(delay_t)]
    picks = {float(delay_t)}
    for t in np.geomspace(max(pos.min(), 0.1), pos.max(), 5):
        picks.add(float(d[np.argmin(np.abs(d - t))]))
    return sorted(picks)


def run_laser_series(m, ctx) -> None:
    """Laser threshold and linewidth from a ``laser_series`` (spectra vs fluence).

    Options: ``k_sigma`` (6), ``max_width_ratio`` (0.1), ``background_window_eV``
    (0.03), ``line_model`` ("lorentzian" or "voigt").
    """
    s = ctx.load(m)
    model = m.options.get("line_model", "lorentzian")
    if model not in ("lorentzian", "voigt"):
        raise InputError(f"{m.where}, key 'line_model': use \"lorentzian\" or \"voigt\", got {model!r}.")
    try:
        res = laser.analyze_laser_series(
            s.fluence_mJ_cm2, s.energy_eV, s.counts, k_sigma=m.float("k_sigma", 6.0),
            max_width_ratio=m.float("max_width_ratio", 0.1),
            background_window_eV=m.float("background_window_eV", 0.03), model=model)
    except InputError as exc:
        raise InputError(f"{m.where}: {exc}") from exc
    ctx.results.add(m.sample, "laser_threshold_mJ_cm2", res.threshold)
    ctx.results.add(m.sample, "laser_linewidth_meV", res.linewidth)
    ctx.results.plots.append({
        "family": "laser_series", "sample": m.sample, "measurement": m.index,
        "fluence_mJ_cm2": res.fluence_mJ_cm2.tolist(), "energy_eV": np.asarray(s.energy_eV).tolist(),
        "counts": np.asarray(s.counts).tolist(), "line_intensity": _nan_to_none(res.line_intensity),
        "above": res.above.tolist(), "fit": _nan_to_none(res.fit),
        "threshold_mJ_cm2": res.threshold.value if res.threshold.success else None,
        "mode_eV": res.mode_eV.tolist(),
        "linewidth_meV": res.linewidth.value if res.linewidth.success else None,
    })


def run_time_series(m, ctx) -> None:
    """Intensity retention, mode drift and shots from a ``time_series``.

    Options: ``rep_rate_Hz`` (for ``shots``; a warning without it), ``n_average`` (3),
    ``mode_gate_meV`` (3), ``k_sigma`` (6), ``max_width_ratio`` (0.1).
    """
    ts = ctx.load(m)
    t = np.asarray(ts.time_s)
    try:
        integ = stability.integrated_intensity(ts.energy_eV, ts.counts)
        n_avg = _opt_int(m, "n_average", 3)
        if t.size >= 2 * n_avg:
            ctx.results.add(m.sample, "intensity_retention",
                            stability.intensity_retention(t, integ, n_average=n_avg))
            retention = ctx.quantity(m.sample, "intensity_retention")
        else:
            retention = None
            ctx.results.warn(m.sample, "intensity_retention",
                             f"only {t.size} spectra: need at least {2 * n_avg} to average {n_avg} at each end")
        tracks = stability.track_modes(t, ts.energy_eV, ts.counts, gate_meV=m.float("mode_gate_meV", 3.0),
                                       k_sigma=m.float("k_sigma", 6.0),
                                       max_width_ratio=m.float("max_width_ratio", 0.1))
    except InputError as exc:
        raise InputError(f"{m.where}: {exc}") from exc
    if tracks.time_s.size == 0:
        ctx.results.warn(m.sample, "mode_drift_meV_per_min",
                         "no lasing mode (no peak narrower than the PL band) in any spectrum")
        drift = None
    else:
        drift = stability.mode_drift_meV_per_min(tracks.time_s, tracks.energy_eV, tracks.track)
        ctx.results.add(m.sample, "mode_drift_meV_per_min", drift)
    if "rep_rate_Hz" in m.options:
        rate = m.float("rep_rate_Hz")
        if not rate > 0:
            raise InputError(f"{m.where}, key 'rep_rate_Hz': must be > 0, got {rate}.")
        ctx.results.add(m.sample, "shots", stability.shots(t, rep_rate_Hz=rate))
    else:
        ctx.results.warn(m.sample, "shots", "no rep_rate_Hz in the measurement: add `rep_rate_Hz = …`")
    ctx.results.plots.append({
        "family": "time_series", "sample": m.sample, "measurement": m.index,
        "time_s": t.tolist(), "energy_eV": np.asarray(ts.energy_eV).tolist(),
        "counts": np.asarray(ts.counts).tolist(), "integrated": np.asarray(integ).tolist(),
        "mode_time_s": tracks.time_s.tolist(), "mode_eV": tracks.energy_eV.tolist(),
        "mode_track": tracks.track.tolist(), "mode_events": tracks.events,
        "drift_meV_per_min": drift.value if drift is not None and drift.success else None,
        "retention": retention.value if retention is not None else None,
    })
