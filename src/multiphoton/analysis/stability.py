"""Stability of emission over laboratory time: intensity retention, shots, mode drift.

Pure functions on arrays of spectra recorded one after another (``time_s`` (S,),
``energy_eV`` (M,), ``counts`` (S, M)). Lasing modes are found per spectrum with
:func:`multiphoton.analysis.laser.find_lasing_modes`, linked into tracks by nearest
energy, and the drift is the slope shared by all tracks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment
from uncertainties import ufloat

from ..errors import InputError
from ..results import Estimate
from .laser import find_lasing_modes
from .noise import point_noise

__all__ = [
    "ModeTracks",
    "integrated_intensity",
    "intensity_retention",
    "shots",
    "track_modes",
    "link_modes",
    "mode_drift_meV_per_min",
]


@dataclass(frozen=True, eq=False)
class ModeTracks:
    """Lasing modes found in a time series, linked into tracks.

    Attributes
    ----------
    time_s : ndarray of shape (P,)
        Time of each detected mode (one point per mode per spectrum).
    energy_eV : ndarray of shape (P,)
        Mode energy.
    energy_stderr_eV : ndarray of shape (P,)
        Its fit uncertainty.
    track : ndarray of shape (P,), int
        Track label (0, 1, …, in order of first appearance).
    events : list of dict
        ``{"time_s", "kind", "track", "parent"}`` with kind ``"appear"`` (a track starting
        after the first spectrum), ``"split"`` (an appearing track within the split gate
        of a track still present: ``parent`` names it) or ``"disappear"``.
    """

    time_s: np.ndarray
    energy_eV: np.ndarray
    energy_stderr_eV: np.ndarray
    track: np.ndarray
    events: list = field(default_factory=list)


def _times(time_s) -> np.ndarray:
    t = np.asarray(time_s, dtype=float)
    if t.ndim != 1 or t.size < 2:
        raise InputError(f"`time_s` must be a 1-D array of at least 2 times, got shape {t.shape}.")
    if not np.all(np.isfinite(t)):
        raise InputError("`time_s` contains NaN or infinite values; remove those spectra.")
    if np.any(np.diff(t) <= 0):
        i = int(np.flatnonzero(np.diff(t) <= 0)[0])
        raise InputError(
            f"`time_s` must be strictly increasing (spectra in recording order); time {t[i + 1]:g} s "
            f"at position {i + 1} does not follow {t[i]:g} s. Sort the spectra by time and drop repeats."
        )
    return t


def integrated_intensity(energy_eV, counts):
    """Emission integrated over energy, one value per spectrum.

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
        Photon energies (eV), any order.
    counts : ndarray of shape (S, M) or (M,)
        Spectra per eV.

    Returns
    -------
    ndarray of shape (S,) or float
        ∫ counts dE (trapezoid rule), counts·eV.

    Examples
    --------
    >>> integrated_intensity([2.0, 1.0, 3.0], [[1.0, 1.0, 1.0]]).tolist()
    [2.0]
    """
    e = np.asarray(energy_eV, dtype=float)
    c = np.asarray(counts, dtype=float)
    if e.ndim != 1 or c.shape[-1:] != e.shape:
        raise InputError(f"`counts` {c.shape} must have its last axis match `energy_eV` {e.shape}.")
    order = np.argsort(e)
    return np.trapezoid(c[..., order], e[order], axis=-1)


def intensity_retention(time_s, integrated, *, n_average=3) -> Estimate:
    """Integrated emission at the end over that at the start of a time series.

    Parameters
    ----------
    time_s : ndarray of shape (S,)
        Recording times (s), strictly increasing.
    integrated : ndarray of shape (S,)
        Integrated emission of each spectrum (:func:`integrated_intensity`).
    n_average : int, optional
        Running-mean length for the minimum (``params["drop"]``); at least 2, and the
        series must hold 2 × ``n_average`` spectra.

    Returns
    -------
    Estimate
        Retention R = I(t_end) / I(t_start) (dimensionless), the first and last spectra.
        ``params``: ``drop`` = 1 − I_min/I(t_start), ``recovery`` = (I(t_end) − I_min)/(I(t_start) − I_min)
        (fraction of the lost intensity regained; ``nan`` without a drop), ``min_time_s``.
        ``details``: ``n_average``, ``start``, ``end``, ``minimum``, ``relative_noise``.

    Notes
    -----
    I(t_start), I(t_end): the first and last integrated spectra, as the data contract
    defines R (averages over several spectra sit inside a drifting series: 5–7 % low on
    a 2× ramp; lines through a few spectra break on a jump, such as a mode switching on).
    Their uncertainty is counting noise, var(I) = c·I (integrated counts), with c from the
    point-to-point noise of the whole series: c = 4σ², σ =
    :func:`~multiphoton.analysis.noise.point_noise` of √I (the square root makes counting
    noise uniform, σ(√I) = √c/2; robust MAD of the second differences of all spectra: residual-based, immune
    to trends and to single jumps), propagated with ``uncertainties``
    (``details["relative_noise"]`` = √(c/I_start)). I_min is the
    minimum of the ``n_average``-point running mean (so one noisy spectrum does not make
    a drop).

    References
    ----------
    Diroll et al., Nanoscale 2023, Fig. 3c (ASE lost 25 % over 50 min, recovered to 90 %).

    Examples
    --------
    >>> t = np.arange(10.0)
    >>> est = intensity_retention(t, [10, 10.2, 9.8, 8, 7.5, 7, 8, 9, 9.1, 8.9])
    >>> round(est.value, 2), round(est.params["drop"][0], 2)
    (0.89, 0.25)
    """
    t = _times(time_s)
    y = np.asarray(integrated, dtype=float)
    if y.shape != t.shape or not np.all(np.isfinite(y)):
        raise InputError("`integrated` must be finite with one value per time.")
    n = int(n_average)
    if n < 2 or 2 * n > t.size:
        raise InputError(
            f"`n_average` = {n_average} needs 2 <= n and 2n <= {t.size} spectra; lower it or record more spectra."
        )
    if y[0] <= 0:
        raise InputError("the integrated emission at the start is not positive: retention is undefined; "
                         "check the background subtraction.")
    # counting noise: var(I) = c·I; √I then carries the same noise √c/2 at every point
    c = 4.0 * float(point_noise(np.sqrt(np.clip(y, 0.0, None)))) ** 2
    start = ufloat(y[0], math.sqrt(c * y[0])) if c > 0 else float(y[0])
    end = ufloat(y[-1], math.sqrt(c * abs(y[-1]))) if c > 0 else float(y[-1])
    rel = math.sqrt(c / y[0])
    ret = end / start
    run = np.convolve(y, np.ones(n) / n, mode="valid")
    j = int(np.argmin(run))
    imin = float(run[j])
    drop = 1.0 - imin / start
    recovery = (end - imin) / (start - imin) if _nominal(start) - imin > 0 else ufloat(float("nan"), float("nan"))
    return Estimate.from_ufloat(
        ret, method="end-over-start", unit="",
        params={"drop": (_nominal(drop), _std(drop)),
                "recovery": (_nominal(recovery), _std(recovery)),
                "min_time_s": (float(t[j:j + n].mean()), 0.0)},
        details={"n_average": n, "start": _nominal(start), "end": _nominal(end), "minimum": imin,
                 "relative_noise": rel},
    )


def _nominal(x) -> float:
    return float(getattr(x, "nominal_value", x))


def _std(x) -> float:
    return float(getattr(x, "std_dev", 0.0))


def shots(time_s, *, rep_rate_Hz) -> Estimate:
    """Number of laser shots over a time series: duration × repetition rate.

    Parameters
    ----------
    time_s : ndarray of shape (S,)
        Recording times (s), strictly increasing.
    rep_rate_Hz : float
        Pump repetition rate (Hz).

    Returns
    -------
    Estimate
        (t_last − t_first) · rep_rate_Hz, stderr 0 (both are exact settings); ``details``
        hold ``duration_s`` and ``rep_rate_Hz``.

    Examples
    --------
    >>> shots([0.0, 1800.0], rep_rate_Hz=200.0).value
    360000.0
    """
    t = _times(time_s)
    if not (np.isfinite(rep_rate_Hz) and rep_rate_Hz > 0):
        raise InputError(f"`rep_rate_Hz` must be a number > 0, got {rep_rate_Hz!r}.")
    return Estimate(value=float((t[-1] - t[0]) * rep_rate_Hz), stderr=0.0, method="duration-x-rep-rate",
                    unit="", details={"duration_s": float(t[-1] - t[0]), "rep_rate_Hz": float(rep_rate_Hz)})


def link_modes(time_s, energies_eV, *, gate_meV=3.0, split_gate_meV=None, max_gap=1):
    """Link per-spectrum mode energies into tracks by nearest energy.

    Parameters
    ----------
    time_s : ndarray of shape (S,)
        Recording times (s), strictly increasing.
    energies_eV : sequence of S arrays
        Mode energies (eV) found in each spectrum (possibly empty).
    gate_meV : float, optional
        A mode joins a track only if within this distance of the track's last energy.
    split_gate_meV : float, optional
        A new track starting within this distance of a track present at the same time
        is a ``"split"`` of it (default 3 × ``gate_meV``).
    max_gap : int, optional
        A track missing from more than this many consecutive spectra ends.

    Returns
    -------
    labels : list of S int arrays
        Track label of each mode.
    events : list of dict
        See :class:`ModeTracks`.

    Notes
    -----
    Each spectrum is matched to the live tracks by minimum total |ΔE|
    (``scipy.optimize.linear_sum_assignment``), pairs beyond the gate are rejected.

    Examples
    --------
    >>> labels, ev = link_modes([0, 1, 2], [[1.800], [1.8005, 1.812], [1.801, 1.8125]])
    >>> [l.tolist() for l in labels], [e["kind"] for e in ev]
    ([[0], [0, 1], [0, 1]], ['appear'])
    """
    t = _times(time_s)
    if len(energies_eV) != t.size:
        raise InputError(f"`energies_eV` must hold one array per time ({t.size}), got {len(energies_eV)}.")
    gate = gate_meV / 1e3
    split_gate = (3 * gate_meV if split_gate_meV is None else split_gate_meV) / 1e3
    last_e: dict[int, float] = {}
    last_i: dict[int, int] = {}
    ended: set[int] = set()
    labels, events = [], []
    next_label = 0
    for i, es in enumerate(energies_eV):
        es = np.asarray(es, dtype=float).ravel()
        for k in [k for k in last_i if k not in ended and i - last_i[k] - 1 > max_gap]:
            ended.add(k)
            events.append({"time_s": float(t[last_i[k]]), "kind": "disappear", "track": k, "parent": None})
        live = [k for k in last_i if k not in ended]
        lab = np.full(es.size, -1, int)
        if live and es.size:
            cost = np.abs(es[:, None] - np.array([last_e[k] for k in live])[None, :])
            rows, cols = linear_sum_assignment(cost)
            for r, col in zip(rows, cols):
                if cost[r, col] <= gate:
                    lab[r] = live[col]
        present = [k for k in lab if k >= 0]
        for r in np.flatnonzero(lab < 0):
            lab[r] = next_label
            next_label += 1
            if i > 0:
                near = [k for k in present if abs(last_e[k] - es[r]) <= split_gate]
                parent = min(near, key=lambda k: abs(last_e[k] - es[r])) if near else None
                events.append({"time_s": float(t[i]), "kind": "split" if parent is not None else "appear",
                               "track": int(lab[r]), "parent": parent})
        for r, k in enumerate(lab):
            last_e[int(k)] = float(es[r])
            last_i[int(k)] = i
        labels.append(lab)
    for k in last_i:
        if k not in ended and last_i[k] < t.size - 1:
            events.append({"time_s": float(t[last_i[k]]), "kind": "disappear", "track": k, "parent": None})
    return labels, events


def track_modes(time_s, energy_eV, counts, *, gate_meV=3.0, split_gate_meV=None, max_gap=1,
                k_sigma=6.0, max_width_ratio=0.1, background_window_eV=0.03) -> ModeTracks:
    """Find lasing modes in every spectrum of a time series and link them into tracks.

    Parameters
    ----------
    time_s : ndarray of shape (S,)
        Recording times (s), strictly increasing.
    energy_eV : ndarray of shape (M,)
        Photon energies (eV).
    counts : ndarray of shape (S, M)
        Spectra per eV.
    gate_meV, split_gate_meV, max_gap
        See :func:`link_modes`.
    k_sigma, max_width_ratio, background_window_eV
        See :func:`multiphoton.analysis.laser.find_lasing_modes`.

    Returns
    -------
    ModeTracks

    Examples
    --------
    >>> e = np.linspace(1.75, 1.85, 801); t = np.array([0.0, 60.0, 120.0])
    >>> c = np.array([200 / (1 + ((e - 1.8 - 1e-4 * k) / 3e-4) ** 2) for k in range(3)])
    >>> c += 50 * np.exp(-((e - 1.8) / 0.03) ** 2) + np.random.default_rng(0).normal(0, 1, c.shape)
    >>> tr = track_modes(t, e, c)
    >>> tr.track.tolist(), (np.diff(tr.energy_eV) * 1e3).round(2).tolist()
    ([0, 0, 0], [0.1, 0.1])
    """
    t = _times(time_s)
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2 or c.shape[0] != t.size:
        raise InputError(f"`counts` must have shape (len(time_s), len(energy_eV)), got {c.shape}.")
    found = [find_lasing_modes(energy_eV, spec, k_sigma=k_sigma, max_width_ratio=max_width_ratio,
                               background_window_eV=background_window_eV) for spec in c]
    energies = [np.array([m.energy.value for m in f]) for f in found]
    labels, events = link_modes(t, energies, gate_meV=gate_meV, split_gate_meV=split_gate_meV, max_gap=max_gap)
    tt = np.concatenate([np.full(len(f), ti) for f, ti in zip(found, t)]) if found else np.array([])
    ee = np.concatenate(energies) if energies else np.array([])
    ss = np.concatenate([np.array([m.energy.stderr for m in f]) for f in found]) if found else np.array([])
    ll = np.concatenate(labels).astype(int) if labels else np.array([], int)
    return ModeTracks(tt.astype(float), ee.astype(float), ss.astype(float), ll, events)


def mode_drift_meV_per_min(time_s, energy_eV, track, *, min_points=3) -> Estimate:
    """Mean shift of the lasing-mode energy per minute, one slope shared by all tracks.

    Parameters
    ----------
    time_s : ndarray of shape (P,)
        Time of each mode point (s).
    energy_eV : ndarray of shape (P,)
        Mode energy (eV).
    track : ndarray of shape (P,), int
        Track label of each point.
    min_points : int, optional
        Tracks with fewer points are left out.

    Returns
    -------
    Estimate
        Slope in meV/min (positive = blueshift); ``params`` hold each track's offset (meV
        at t = 0); ``details`` hold ``n_points``, ``n_tracks`` (those used) and
        ``residual_rms_meV``; ``success=False`` when fewer than 3 points remain.

    Notes
    -----
    Least squares E_p = s · t_p/60 + c_{track(p)} (shared slope s, one offset per track),
    ``scipy.linalg.lstsq``; stderr from σ̂² (XᵀX)⁻¹ with σ̂² the residual variance on
    P − (1 + K) degrees of freedom (the scatter of the points, not the fit errors of each
    mode, which miss spectral jitter). Equivalent to fitting the within-track deviations.

    Examples
    --------
    >>> t = np.array([0, 60, 120, 0, 60, 120.0])
    >>> e = np.array([1.800, 1.801, 1.802, 1.810, 1.811, 1.812])
    >>> round(mode_drift_meV_per_min(t, e, [0, 0, 0, 1, 1, 1]).value, 6)
    1.0
    """
    from scipy.linalg import lstsq

    t = np.asarray(time_s, dtype=float)
    e = np.asarray(energy_eV, dtype=float)
    k = np.asarray(track)
    if not (t.shape == e.shape == k.shape) or t.ndim != 1:
        raise InputError("`time_s`, `energy_eV` and `track` must be 1-D arrays of equal length.")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(e))):
        raise InputError("`time_s` and `energy_eV` must be finite.")
    labels, counts = np.unique(k, return_counts=True)
    used = labels[counts >= min_points]
    mask = np.isin(k, used)
    t, e, k = t[mask], e[mask], k[mask]
    nan = float("nan")
    K = used.size
    dof = t.size - 1 - K
    if K == 0 or dof < 1:
        return Estimate(value=nan, stderr=nan, method="shared-slope-lstsq", unit="meV/min", success=False,
                        message=(f"too few tracked mode points for a drift: {t.size} points in {K} tracks "
                                 f"of >= {min_points} points"))
    # every track needs a time spread, or it carries no slope information
    spread = [np.ptp(t[k == lab]) > 0 for lab in used]
    if not any(spread):
        return Estimate(value=nan, stderr=nan, method="shared-slope-lstsq", unit="meV/min", success=False,
                        message="no track spans more than one time: the drift is undefined")
    X = np.zeros((t.size, 1 + K))
    X[:, 0] = t / 60.0
    X[np.arange(t.size), 1 + np.searchsorted(used, k)] = 1.0
    y = e * 1e3
    coef, *_ = lstsq(X, y)
    resid = y - X @ coef
    s2 = float(resid @ resid) / dof
    cov = s2 * np.linalg.inv(X.T @ X)
    return Estimate(
        value=float(coef[0]), stderr=float(math.sqrt(cov[0, 0])), method="shared-slope-lstsq",
        unit="meV/min", reduced_chi2=None, residuals=resid,
        params={f"offset_track{int(lab)}_meV": (float(coef[1 + j]), float(math.sqrt(cov[1 + j, 1 + j])))
                for j, lab in enumerate(used)},
        details={"n_points": int(t.size), "n_tracks": int(K), "residual_rms_meV": math.sqrt(s2)},
    )
