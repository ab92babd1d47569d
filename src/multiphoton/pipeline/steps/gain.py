"""Steps for optical gain (TA maps), lasing (laser series) and stability (time series)."""
from __future__ import annotations

import math

import numpy as np

from ...analysis import gain, laser, stability
from ...errors import InputError
from ...io.options import LaserSeriesOptions, TAMapOptions, TimeSeriesOptions
from ...plotdata import LaserSeriesPlot, TAMapPlot, TimeSeriesPlot
from ._step import Step, StepResult
from .ta_global import GLOBAL_QUANTITIES, run_global

__all__ = ["TA_MAP", "LASER_SERIES", "TIME_SERIES", "NO_GROUND_STATE"]

NO_GROUND_STATE = "no ground-state spectrum: net gain undefined"


def _nan_to_none(values):
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(values, float).ravel()]


def _pick_delays(d, delay_t):
    """A few delays for gain spectra: the bandwidth delay and log-spaced later ones."""
    pos = d[d > 0]
    if pos.size == 0:
        return [float(delay_t)]
    picks = {float(delay_t)}
    for t in np.geomspace(max(pos.min(), 0.1), pos.max(), 5):
        picks.add(float(d[np.argmin(np.abs(d - t))]))
    return sorted(picks)


def run_ta_map(data, o: TAMapOptions, inputs) -> StepResult:
    """Gain bandwidth and gain lifetime from a ``ta_map`` and its ``ground_state`` absorption.

    Options: ``bandwidth_delay_ps`` (10), ``k_sigma`` (default: the Bonferroni bound of
    :func:`multiphoton.analysis.gain.k_sigma_for`), ``t0_ps`` (0),
    ``noise_margin_ps`` (0.3), ``chirp_t0_coeffs_ps`` ([c0, c1, …]) with
    ``chirp_energy_ref_eV`` (0); with ``global_components`` also the global lifetime
    analysis (:func:`multiphoton.pipeline.steps.ta_global.run_global`). Without ``ground_state``: both quantities are
    warnings ("no ground-state spectrum: net gain undefined") and the figure shows ΔA.
    """
    ta = data["file"]
    ground = data.get("ground_state")
    out = StepResult()
    delay_t = o.bandwidth_delay_ps
    d = np.asarray(ta.delay_ps)
    if not d.min() <= delay_t <= d.max():
        raise InputError(
            f"{o.where}, key 'bandwidth_delay_ps': {delay_t:g} ps is outside the measured delays "
            f"{d.min():g}–{d.max():g} ps; choose a delay inside that range."
        )
    if o.global_components is not None:
        run_global(ta, o, out)
    common = dict(sample=o.sample, measurement=o.index, bandwidth_delay_ps=delay_t,
                  gain_delays_ps=_pick_delays(d, delay_t))
    if ground is None:
        for q in ("gain_bandwidth_meV", "gain_lifetime_ns"):
            out.warn(q, NO_GROUND_STATE)
        noise = gain.noise_level(ta.delay_ps, ta.energy_eV, ta.dA, t0_ps=o.t0_ps, margin_ps=o.noise_margin_ps)
        out.plots.append(TAMapPlot(**common, delay_ps=ta.delay_ps, energy_eV=ta.energy_eV, dA=ta.dA,
                                   gain_region_eV=np.empty((0, 2)), noise_od=noise.value))
        return out
    try:
        res = gain.analyze_ta_gain(
            ta.delay_ps, ta.energy_eV, ta.dA, ground_energy_eV=ground.energy_eV,
            ground_absorbance_od=ground.absorbance, bandwidth_delay_ps=delay_t, k_sigma=o.k_sigma,
            t0_ps=o.t0_ps, margin_ps=o.noise_margin_ps,
            t0_coeffs_ps=list(o.chirp_t0_coeffs_ps) if o.chirp_t0_coeffs_ps else None,
            energy_ref_eV=o.chirp_energy_ref_eV)
    except InputError as exc:
        raise InputError(f"{o.where}: {exc}") from exc
    out.add("gain_bandwidth_meV", res.bandwidth)
    out.add("gain_lifetime_ns", res.lifetime)
    out.plots.append(TAMapPlot(
        **common, delay_ps=res.delay_ps, energy_eV=res.energy_eV, net_absorbance=res.net_od,
        ground_state=res.ground_state_od, gain_region_eV=np.reshape(np.asarray(res.gain_region_eV, float), (-1, 2)),
        noise_od=res.noise.value, gain_lifetime_ns=res.lifetime.value if res.lifetime.success else None,
        gain_lifetime_stderr=res.lifetime.stderr if res.lifetime.success else None,
        gain_peak_eV=res.peak_energy_eV))
    return out


def run_laser_series(data, o: LaserSeriesOptions, inputs) -> StepResult:
    """Laser threshold and linewidth from a ``laser_series`` (spectra vs fluence).

    Options: ``k_sigma`` (6), ``max_width_ratio`` (0.1), ``background_window_eV``
    (0.03), ``line_model`` ("lorentzian" or "voigt").
    """
    s = data["file"]
    out = StepResult()
    try:
        res = laser.analyze_laser_series(
            s.fluence_mJ_cm2, s.energy_eV, s.counts, k_sigma=o.k_sigma, max_width_ratio=o.max_width_ratio,
            background_window_eV=o.background_window_eV, model=o.line_model)
    except InputError as exc:
        raise InputError(f"{o.where}: {exc}") from exc
    out.add("laser_threshold_mJ_cm2", res.threshold)
    out.add("laser_linewidth_meV", res.linewidth)
    out.plots.append(LaserSeriesPlot(
        sample=o.sample, measurement=o.index,
        fluence_mJ_cm2=res.fluence_mJ_cm2.tolist(), energy_eV=np.asarray(s.energy_eV).tolist(),
        counts=np.asarray(s.counts).tolist(), line_intensity=_nan_to_none(res.line_intensity),
        above=res.above.tolist(), fit=_nan_to_none(res.fit),
        threshold_mJ_cm2=res.threshold.value if res.threshold.success else None,
        threshold_stderr=res.threshold.stderr if res.threshold.success else None,
        mode_eV=res.mode_eV.tolist(),
        linewidth_meV=res.linewidth.value if res.linewidth.success else None,
    ))
    return out


def run_time_series(data, o: TimeSeriesOptions, inputs) -> StepResult:
    """Intensity retention, mode drift and shots from a ``time_series``.

    Options: ``rep_rate_Hz`` (for ``shots``; a warning without it), ``n_average`` (3),
    ``mode_gate_meV`` (3), ``k_sigma`` (6), ``max_width_ratio`` (0.1).
    """
    ts = data["file"]
    out = StepResult()
    t = np.asarray(ts.time_s)
    retention = drift = None
    try:
        integ = stability.integrated_intensity(ts.energy_eV, ts.counts)
        if t.size >= 2 * o.n_average:
            retention = stability.intensity_retention(t, integ, n_average=o.n_average)
            out.add("intensity_retention", retention)
        else:
            out.warn("intensity_retention", f"only {t.size} spectra: need at least {2 * o.n_average} to "
                     f"average {o.n_average} at each end")
        tracks = stability.track_modes(t, ts.energy_eV, ts.counts, gate_meV=o.mode_gate_meV,
                                       k_sigma=o.k_sigma, max_width_ratio=o.max_width_ratio)
    except InputError as exc:
        raise InputError(f"{o.where}: {exc}") from exc
    if tracks.time_s.size == 0:
        out.warn("mode_drift_meV_per_min", "no lasing mode (no peak narrower than the PL band) in any spectrum")
    else:
        drift = stability.mode_drift_meV_per_min(tracks.time_s, tracks.energy_eV, tracks.track)
        out.add("mode_drift_meV_per_min", drift)
    if o.rep_rate_Hz is not None:
        out.add("shots", stability.shots(t, rep_rate_Hz=o.rep_rate_Hz))
    else:
        out.warn("shots", "no rep_rate_Hz in the measurement: add `rep_rate_Hz = …`")
    out.plots.append(TimeSeriesPlot(
        sample=o.sample, measurement=o.index,
        time_s=t.tolist(), energy_eV=np.asarray(ts.energy_eV).tolist(),
        counts=np.asarray(ts.counts).tolist(), integrated=np.asarray(integ).tolist(),
        mode_time_s=tracks.time_s.tolist(), mode_eV=tracks.energy_eV.tolist(),
        mode_track=tracks.track.tolist(), mode_events=tracks.events,
        drift_meV_per_min=drift.value if drift is not None and drift.success else None,
        retention=retention.value if retention is not None and retention.success else None,
    ))
    return out


TA_MAP = Step(kind="ta_map", run=run_ta_map,
              provides=("gain_bandwidth_meV", "gain_lifetime_ns", *GLOBAL_QUANTITIES))
LASER_SERIES = Step(kind="laser_series", run=run_laser_series,
                    provides=("laser_threshold_mJ_cm2", "laser_linewidth_meV"))
TIME_SERIES = Step(kind="time_series", run=run_time_series,
                   provides=("intensity_retention", "mode_drift_meV_per_min", "shots"))
