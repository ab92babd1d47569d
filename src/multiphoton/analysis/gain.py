"""Net optical gain from transient absorption: bandwidth, lifetime, gain-peak energy.

Pure functions on arrays. A transient-absorption (TA) map ΔA(t, E) (OD) measured on
``delay_ps`` × ``energy_eV`` plus the ground-state absorbance A₀(E) of the same film
give the net absorbance A₀ + ΔA; where it is negative the film amplifies light.
Without A₀ net gain is undefined and nothing here claims any.

Noise criterion (used everywhere): a spectral point shows net gain only when
A₀ + ΔA < −k·σ, with σ the ΔA noise level (:func:`~multiphoton.analysis.ta_map.delta_a_noise`). By default k is set
by a Bonferroni bound so that noise alone claims gain somewhere among the N points
searched with probability below ``FALSE_ALARM`` (0.1 %): k = max(3, Φ⁻¹(1 − 0.001/N))
(k ≈ 4.5 for one spectrum of 300 points, ≈ 5.3 for a map of 60 × 300). A fixed
``k_sigma`` may be passed instead. See docs/gain-laser-stability.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.stats import norm

from ..errors import InputError
from ..results import Estimate
from .noise import point_noise
from .ta_map import (
    GroundStateOnGrid,
    correct_chirp,
    delta_a_noise,
    ground_state_on_grid,
    net_absorbance,
    sort_ta_map,
    spectrum_at_delay,
)

__all__ = [
    "GroundStateOnGrid",
    "TAGainResult",
    "sort_ta_map",
    "ground_state_on_grid",
    "correct_chirp",
    "net_absorbance",
    "spectrum_at_delay",
    "delta_a_noise",
    "noise_level",
    "gain_regions",
    "gain_bandwidth_meV",
    "gain_lifetime_ns",
    "gain_peak_energy",
    "analyze_ta_gain",
    "MIN_K_SIGMA",
    "FALSE_ALARM",
    "k_sigma_for",
]

noise_level = delta_a_noise
"""Former name of :func:`multiphoton.analysis.ta_map.delta_a_noise` (the ΔA noise of a TA
map, not the spectrum estimator :func:`multiphoton.analysis.noise.point_noise`)."""

#: Smallest significance factor k of the criterion A₀ + ΔA < −k·σ.
MIN_K_SIGMA = 3.0
#: Family-wise probability that noise alone claims gain (sets the default k).
FALSE_ALARM = 0.001


def k_sigma_for(n_points: int, *, false_alarm=FALSE_ALARM) -> float:
    """Default significance factor for a search over ``n_points`` independent points.

    Parameters
    ----------
    n_points : int
        Number of spectral points searched for net gain.
    false_alarm : float, optional
        Wanted probability that pure noise (net absorbance exactly 0) shows gain anywhere.

    Returns
    -------
    float
        k = max(3, Φ⁻¹(1 − false_alarm / n_points)) (one-sided Bonferroni bound).

    Examples
    --------
    >>> round(k_sigma_for(300), 2), round(k_sigma_for(18000), 2), round(k_sigma_for(1), 2)
    (4.5, 5.31, 3.09)
    """
    n = max(int(n_points), 1)
    return max(MIN_K_SIGMA, float(norm.isf(false_alarm / n)))

_NO_GROUND_STATE = (
    "no ground-state spectrum: net gain undefined (A0 + dA needs the ground-state "
    "absorbance A0 of the same film); give the TA measurement a `ground_state` "
    "absorption file to obtain gain bandwidth and lifetime"
)


@dataclass(frozen=True, eq=False)
class TAGainResult:
    """Everything :func:`analyze_ta_gain` found (Estimates plus arrays for figures).

    Attributes
    ----------
    delay_ps : ndarray of shape (D,)
    energy_eV : ndarray of shape (M,)
    net_od : ndarray of shape (D, M)
        A₀ + ΔA (OD), ``nan`` where A₀ is not covered or the chirp shift left the data.
    ground_state_od : ndarray of shape (M,)
    noise : Estimate
        σ of ΔA (OD).
    bandwidth : Estimate
        ``gain_bandwidth_meV``.
    lifetime : Estimate
        ``gain_lifetime_ns``.
    gain_region_eV : list of (float, float)
        Gain regions at ``bandwidth_delay_ps``.
    peak_energy_eV : ndarray of shape (D,)
        Energy of the strongest net gain at each delay (``nan`` without gain).
    bandwidth_delay_ps : float
    k_sigma : float or None
        As requested (None: the Bonferroni default of each search, in each Estimate's details).
    messages : tuple of str
        Caveats (partial overlap, noise fallback…).
    """

    delay_ps: np.ndarray
    energy_eV: np.ndarray
    net_od: np.ndarray
    ground_state_od: np.ndarray
    noise: Estimate
    bandwidth: Estimate
    lifetime: Estimate
    gain_region_eV: list
    peak_energy_eV: np.ndarray
    bandwidth_delay_ps: float
    k_sigma: float | None
    messages: tuple = field(default_factory=tuple)


def _crossing(x0, y0, x1, y1, level):
    """x where the straight line through (x0, y0), (x1, y1) reaches ``level``."""
    return x0 + (level - y0) * (x1 - x0) / (y1 - y0)


def _interpolation_error(x_in, y_in, x_out, y_out, far, level, x_lin):
    """(|linear − quadratic| crossing of ``level``, quadratic crossing), the quadratic
    through a third point ``far``; (Δx/√12, linear crossing) when there is no third point
    or no root in the interval."""
    spacing = abs(x_out - x_in)
    if far is None:
        return spacing / math.sqrt(12), x_lin
    xs = np.array([far[0], x_in, x_out]) - x_in
    coef = np.polyfit(xs, np.array([far[1], y_in, y_out]) - level, 2)
    roots = np.roots(coef)
    roots = roots[np.abs(roots.imag) < 1e-12 * max(1.0, spacing)].real + x_in
    lo, hi = min(x_in, x_out), max(x_in, x_out)
    roots = roots[(roots >= lo) & (roots <= hi)]
    if roots.size == 0:
        return spacing / math.sqrt(12), x_lin
    x_quad = float(roots[np.argmin(np.abs(roots - x_lin))])
    return abs(x_quad - x_lin), x_quad


def gain_regions(energy_eV, net_spectrum_od, *, noise_od, k_sigma=None, edge_level_od=None):
    """Energy intervals where the net absorbance is significantly negative.

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
        Probe energies (eV), ascending.
    net_spectrum_od : ndarray of shape (M,)
        A₀ + ΔA at one delay (OD); ``nan`` points are treated as "not gain".
    noise_od : float
        σ of the spectrum (OD).
    k_sigma : float, optional
        Significance factor k: gain means A₀ + ΔA < −k σ. Default
        :func:`k_sigma_for` the number of finite points.
    edge_level_od : float, optional
        When given (e.g. 0), each significant region is widened to where the spectrum
        crosses this level (the contract's A₀ + ΔA < 0): the edges are those crossings.
        Default: the edges are the crossings of −kσ.

    Returns
    -------
    list of dict
        One per region: ``lo_eV``, ``hi_eV``, ``lo_stderr_eV``, ``hi_stderr_eV``,
        ``lo_open``/``hi_open`` (True when the region runs into the end of the grid or
        into a ``nan``, the edge is then the last point and the width a lower bound).

    Notes
    -----
    Regions are runs of points below −kσ (significant gain). Their edges are the crossings
    of the level L (``edge_level_od``, else −kσ): the run is extended outwards while the
    spectrum stays below L, and the crossing is linear between the grid points on either
    side. Edge uncertainty: σ_edge² = (σ / |slope|)² + δ², with the slope from
    those two points and δ the interpolation term: the distance between the linear
    crossing and that of the parabola through those two points and the next one inside
    the region (falls back to the grid-resolution term ΔE/√12 when there is no such
    point or the parabola has no crossing in the interval).

    Examples
    --------
    >>> e = np.linspace(1.0, 2.0, 11)
    >>> r = gain_regions(e, 0.3 * np.abs(e - 1.5) - 0.1, noise_od=0.01, k_sigma=3)
    >>> round(r[0]["lo_eV"], 3), round(r[0]["hi_eV"], 3)
    (1.267, 1.733)
    """
    e = np.asarray(energy_eV, dtype=float)
    s = np.asarray(net_spectrum_od, dtype=float)
    if k_sigma is None:
        k_sigma = k_sigma_for(int(np.count_nonzero(np.isfinite(s))))
    level = -float(k_sigma) * float(noise_od)
    inside = np.isfinite(s) & (s < level)
    regions = []
    if not np.any(inside):
        return regions
    idx = np.flatnonzero(np.diff(np.concatenate([[0], inside.astype(int), [0]])))
    runs = []
    if edge_level_od is not None:
        level = float(edge_level_od)
        below = np.isfinite(s) & (s < level)
        for start, stop in zip(idx[::2], idx[1::2]):
            while start > 0 and below[start - 1]:
                start -= 1
            while stop < s.size and below[stop]:
                stop += 1
            if (start, stop) not in runs:  # two significant runs joined below the level
                runs.append((start, stop))
    else:
        runs = list(zip(idx[::2], idx[1::2]))
    for start, stop in runs:  # s[start:stop] is one region below the level
        reg: dict[str, Any] = {}
        for side, i_in, i_out in (("lo", start, start - 1), ("hi", stop - 1, stop)):
            if i_out < 0 or i_out >= e.size or not np.isfinite(s[i_out]):
                reg[f"{side}_eV"] = float(e[i_in])
                reg[f"{side}_stderr_eV"] = 0.0
                reg[f"{side}_open"] = True
                continue
            x = _crossing(e[i_in], s[i_in], e[i_out], s[i_out], level)
            slope = (s[i_out] - s[i_in]) / (e[i_out] - e[i_in])
            i_far = i_in + (i_in - i_out)  # one more point inside the region
            far = (e[i_far], s[i_far]) if 0 <= i_far < e.size and np.isfinite(s[i_far]) else None
            interp, _ = _interpolation_error(e[i_in], s[i_in], e[i_out], s[i_out], far, level, x)
            reg[f"{side}_eV"] = float(x)
            reg[f"{side}_stderr_eV"] = float(math.hypot(noise_od / abs(slope), interp))
            reg[f"{side}_open"] = False
        regions.append(reg)
    return regions


def gain_bandwidth_meV(delay_ps, energy_eV, net_od, *, noise_od, bandwidth_delay_ps=10.0,
                       k_sigma=None) -> Estimate:
    """Total width in energy (meV) of the net-gain region(s) at one delay.

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
        Delays (ps), any order.
    energy_eV : ndarray of shape (M,)
        Probe energies (eV), any order.
    net_od : ndarray of shape (D, M)
        A₀ + ΔA (OD), see :func:`net_absorbance`.
    noise_od : float
        σ of ΔA (OD), see :func:`~multiphoton.analysis.ta_map.delta_a_noise`.
    bandwidth_delay_ps : float, optional
        Delay (ps) at which the bandwidth is taken (default 10); the spectrum there is
        interpolated linearly between the two nearest delays.
    k_sigma : float, optional
        Significance factor of the criterion A₀ + ΔA < −kσ; default
        :func:`k_sigma_for` the number of finite points searched (``details["k_sigma"]``).

    Returns
    -------
    Estimate
        value in meV; ``success=False`` with the reason when there is no net gain.
        ``details["regions_eV"]`` lists [lo, hi] of each region, ``open_edge`` whether one
        runs into the end of the usable window; ``bandwidth_delay_ps``, ``k_sigma`` and
        ``noise_od`` record the criterion.

    Notes
    -----
    W = Σ_regions (E_hi − E_lo), edges from :func:`gain_regions` (crossings of −kσ: the
    width of *detectable* gain; the contract's A₀ + ΔA < 0 is not measurable where a
    gain tail is shallower than the noise, and the simulator's truth uses the same −kσ);
    stderr² = Σ_edges σ_edge². A region touching the end of the probe window or of the
    ground-state coverage is cut there: the width is then a lower bound (``message``).

    Examples
    --------
    >>> e = np.linspace(1.0, 2.0, 101)
    >>> net = np.vstack([0.3 * np.abs(e - 1.5) - 0.1] * 2)
    >>> est = gain_bandwidth_meV([0.0, 20.0], e, net, noise_od=0.001, k_sigma=3)
    >>> round(est.value)  # region where 0.3|E - 1.5| - 0.1 < -0.003
    647
    """
    d, e, v = sort_ta_map(delay_ps, energy_eV, net_od)
    _check_noise(noise_od)
    spec = spectrum_at_delay(d, v, bandwidth_delay_ps)
    if k_sigma is None:
        k_sigma = k_sigma_for(int(np.count_nonzero(np.isfinite(spec))))
    regions = gain_regions(e, spec, noise_od=noise_od, k_sigma=k_sigma)
    details = {"bandwidth_delay_ps": float(bandwidth_delay_ps), "k_sigma": float(k_sigma),
               "noise_od": float(noise_od)}
    if not regions:
        return Estimate(
            value=float("nan"), stderr=float("nan"), method="net-absorbance-threshold", unit="meV",
            success=False,
            message=(f"no net gain at {bandwidth_delay_ps:g} ps: A0 + dA never below "
                     f"-{k_sigma:g} x noise ({k_sigma * noise_od:.2g} OD)"),
            details=details,
        )
    width = sum(r["hi_eV"] - r["lo_eV"] for r in regions)
    var = sum(r["lo_stderr_eV"] ** 2 + r["hi_stderr_eV"] ** 2 for r in regions)
    open_edges = any(r["lo_open"] or r["hi_open"] for r in regions)
    details["regions_eV"] = [[r["lo_eV"], r["hi_eV"]] for r in regions]
    details["open_edge"] = open_edges
    msg = ("a gain region reaches the end of the usable probe window: the bandwidth is a lower bound"
           if open_edges else "")
    return Estimate(value=1e3 * width, stderr=1e3 * math.sqrt(var), method="net-absorbance-threshold",
                    unit="meV", message=msg, details=details)


def _check_noise(noise_od):
    if not (np.isfinite(noise_od) and noise_od >= 0):
        raise InputError(f"`noise_od` must be a finite number >= 0 (OD), got {noise_od!r}.")


def gain_lifetime_ns(delay_ps, energy_eV, net_od, *, noise_od, k_sigma=None,
                     t0_ps=0.0) -> Estimate:
    """Latest delay with net gain anywhere in the spectrum, in ns.

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
        Delays (ps), any order.
    energy_eV : ndarray of shape (M,)
        Probe energies (eV), any order.
    net_od : ndarray of shape (D, M)
        A₀ + ΔA (OD).
    noise_od : float
        σ of ΔA (OD).
    k_sigma : float, optional
        Significance factor of the criterion A₀ + ΔA < −kσ; default
        :func:`k_sigma_for` the number of finite points searched (``details["k_sigma"]``).
    t0_ps : float, optional
        Time zero (ps); only delays ≥ t0 count, and the lifetime is measured from t0.

    Returns
    -------
    Estimate
        value in ns (delays are in ps: divided by 1000). ``success=False`` with the reason
        when there is no gain at any delay. When gain persists to the last delay the
        value is that delay and ``message`` says it is a lower bound (``details["open"]``).
        ``details``: ``k_sigma``, ``noise_od``, ``t0_ps`` (the criterion),
        ``last_gain_delay_ps`` and ``next_delay_ps`` (the bracketing delays),
        ``linear_crossing_ps``, and the stderr terms ``noise_term_ps`` and ``interpolation_ps``.

    Notes
    -----
    m(t) = min_E [A₀ + ΔA](t, E), refined by a least-squares parabola over the 7 points
    around the lowest one (the raw minimum of n noisy points is biased low by about
    σ√(2 ln n), which would make the lifetime too long). With t_k the last delay where m < L = −kσ and t_{k+1}
    the next one, the lifetime is the crossing of L between t_k and t_{k+1} by the
    parabola through (t_{k−1}, m_{k−1}), (t_k, m_k), (t_{k+1}, m_{k+1}) (the linear
    crossing τ_lin = t_k + (L − m_k)(t_{k+1} − t_k)/(m_{k+1} − m_k) when there is no
    t_{k−1}; the chord of a decaying gain curve crosses late).
    stderr² = (σ / |ṁ|)² + δ², ṁ the slope of that segment and δ = |τ_quad − τ_lin| (the
    interpolation uncertainty; (t_{k+1} − t_k)/√12 without t_{k−1}).
    The crossing is that of *detectable* gain (level −kσ, not 0): the minimum of a
    spectrum near zero is biased low by the noise, so a zero crossing would run to the last
    delay; the simulator's truth uses the same −kσ.

    Examples
    --------
    >>> d = np.array([0.0, 1000.0, 2000.0, 3000.0])
    >>> net = np.array([[-0.4, 0.1], [-0.2, 0.1], [0.0, 0.1], [0.2, 0.1]])
    >>> round(gain_lifetime_ns(d, [1.9, 2.0], net, noise_od=0.0).value, 3)
    2.0
    """
    d, e, v = sort_ta_map(delay_ps, energy_eV, net_od)
    _check_noise(noise_od)
    keep = d >= t0_ps
    d, v = d[keep], v[keep]
    if k_sigma is None:
        k_sigma = k_sigma_for(int(np.count_nonzero(np.isfinite(v))))
    level = -float(k_sigma) * float(noise_od)
    details = {"k_sigma": float(k_sigma), "noise_od": float(noise_od), "t0_ps": float(t0_ps)}
    if d.size == 0:
        raise InputError(f"no delays at or after t0 = {t0_ps:g} ps; check `t0_ps` and `delay_ps`.")
    m = np.array([_local_minimum(e, row) for row in v])
    gain = np.isfinite(m) & (m < level)
    if not np.any(gain):
        return Estimate(value=float("nan"), stderr=float("nan"), method="last-gain-delay", unit="ns",
                        success=False,
                        message=(f"no net gain at any delay: A0 + dA never below -{k_sigma:g} x noise "
                                 f"({k_sigma * noise_od:.2g} OD)"),
                        details=details)
    k = int(np.flatnonzero(gain)[-1])
    details["last_gain_delay_ps"] = float(d[k])
    if k == d.size - 1 or not np.isfinite(m[k + 1]):
        return Estimate(value=float(d[k] - t0_ps) / 1e3,
                        stderr=float(d[k] - d[k - 1]) / 1e3 / math.sqrt(12) if k > 0 else float("nan"),
                        method="last-gain-delay", unit="ns",
                        message="net gain persists to the last usable delay: the gain lifetime is a lower bound",
                        details={**details, "open": True})
    t_lin = _crossing(d[k], m[k], d[k + 1], m[k + 1], level)
    slope = (m[k + 1] - m[k]) / (d[k + 1] - d[k])
    noise_term = noise_od / abs(slope)
    far = (d[k - 1], m[k - 1]) if k >= 1 and np.isfinite(m[k - 1]) else None
    interp_term, t_cross = _interpolation_error(d[k], m[k], d[k + 1], m[k + 1], far, level, t_lin)
    stderr_ps = math.hypot(noise_term, interp_term)
    details.update(next_delay_ps=float(d[k + 1]), interpolation_ps=float(interp_term),
                   linear_crossing_ps=float(t_lin),
                   noise_term_ps=float(noise_term))
    return Estimate(value=float(t_cross - t0_ps) / 1e3, stderr=float(stderr_ps) / 1e3, method="last-gain-delay",
                    unit="ns", details=details)


def _local_minimum(e, row, half=3):
    """Minimum of one spectrum, refined by a least-squares parabola over the 2·half+1
    points around the lowest point (the raw minimum of n noisy points is biased low by
    about σ√(2 ln n); the parabola averages that down). Falls back to the raw minimum
    when the vertex lies outside the window or the parabola opens downwards."""
    ok = np.isfinite(row)
    if not np.any(ok):
        return np.nan
    j = int(np.nanargmin(row))
    lo, hi = max(j - half, 0), min(j + half + 1, row.size)
    x, y = e[lo:hi], row[lo:hi]
    good = np.isfinite(y)
    if np.count_nonzero(good) < 5:
        return float(row[j])
    c2, c1, c0 = np.polyfit(x[good] - e[j], y[good], 2)
    if c2 <= 0:
        return float(row[j])
    xv = -c1 / (2 * c2)
    if not (x[0] - e[j] <= xv <= x[-1] - e[j]):
        return float(row[j])
    return float(c0 - c1**2 / (4 * c2))


def gain_peak_energy(delay_ps, energy_eV, net_od, *, noise_od, k_sigma=None):
    """Energy of the strongest net gain at each delay.

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
    energy_eV : ndarray of shape (M,)
    net_od : ndarray of shape (D, M)
        A₀ + ΔA (OD).
    noise_od : float
    k_sigma : float, optional

    Returns
    -------
    delay_ps : ndarray of shape (D,), ascending
    peak_energy_eV : ndarray of shape (D,)
        argmin_E of A₀ + ΔA where that minimum is below −kσ, else ``nan``.

    Examples
    --------
    >>> gain_peak_energy([0.0, 1.0], [1.9, 2.0], [[-0.2, -0.5], [0.1, 0.2]], noise_od=0.01)[1].tolist()
    [2.0, nan]
    """
    d, e, v = sort_ta_map(delay_ps, energy_eV, net_od)
    if k_sigma is None:
        k_sigma = k_sigma_for(e.size)
    level = -float(k_sigma) * float(noise_od)
    out = np.full(d.size, np.nan)
    for i, row in enumerate(v):
        if np.any(np.isfinite(row)):
            j = int(np.nanargmin(row))
            if row[j] < level:
                out[i] = e[j]
    return d, out


# ---------------------------------------------------------------------------
# the whole analysis


def analyze_ta_gain(delay_ps, energy_eV, dA, *, ground_energy_eV, ground_absorbance_od,
                    bandwidth_delay_ps=10.0, k_sigma=None, t0_ps=0.0, margin_ps=0.3,
                    t0_coeffs_ps=None, energy_ref_eV=0.0) -> TAGainResult:
    """Gain bandwidth, gain lifetime and gain-peak energy from a TA map and A₀.

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
        Delays (ps), any order.
    energy_eV : ndarray of shape (M,)
        Probe energies (eV), any order.
    dA : ndarray of shape (D, M)
        ΔA (OD).
    ground_energy_eV, ground_absorbance_od : ndarray of shape (N,) or None
        Ground-state absorbance of the same film. ``None`` raises: net gain is undefined.
    bandwidth_delay_ps : float, optional
        Delay of the bandwidth (ps), default 10.
    k_sigma : float, optional
        Significance factor; default per search, see :func:`k_sigma_for`.
    t0_ps, margin_ps : float, optional
        Time zero and the margin before it for the noise estimate (ps).
    t0_coeffs_ps : sequence of float, optional
        When given, chirp correction by :func:`correct_chirp` first.
    energy_ref_eV : float, optional
        Expansion energy of the chirp polynomial.

    Returns
    -------
    TAGainResult
        ``noise`` has the ``details`` of :func:`noise_level` (``n_delays``, ``n_points``,
        ``t0_ps``, ``margin_ps`` or ``fallback``) plus, when the ground-state spectrum is
        noisy, ``delta_a_noise_od`` and ``ground_state_noise_od`` (combined in quadrature);
        ``bandwidth`` those of :func:`gain_bandwidth_meV` (``bandwidth_delay_ps``,
        ``k_sigma``, ``noise_od``, ``regions_eV``, ``open_edge``); ``lifetime`` those of
        :func:`gain_lifetime_ns` (``last_gain_delay_ps``, ``next_delay_ps``, ``open``,
        ``linear_crossing_ps``, ``noise_term_ps``, ``interpolation_ps``).

    Raises
    ------
    InputError
        No ground-state spectrum, non-overlapping energy ranges, bad shapes.

    Examples
    --------
    >>> d = np.array([-2.0, -1.0, 10.0, 1000.0]); e = np.linspace(1.8, 2.2, 41)
    >>> dA = np.vstack([0 * e, 0 * e, -0.3 + 0 * e, 0 * e]) + 0.0005 * np.cos(40 * e)
    >>> r = analyze_ta_gain(d, e, dA, ground_energy_eV=e, ground_absorbance_od=0.2 + 0 * e)
    >>> round(r.bandwidth.value), round(r.lifetime.value, 2)
    (400, 0.34)
    """
    if ground_energy_eV is None or ground_absorbance_od is None:
        raise InputError(_NO_GROUND_STATE)
    d, e, a = sort_ta_map(delay_ps, energy_eV, dA)
    messages = []
    if t0_coeffs_ps is not None:
        a = correct_chirp(d, e, a, t0_coeffs_ps=t0_coeffs_ps, energy_ref_eV=energy_ref_eV)
    gs = ground_state_on_grid(e, ground_energy_eV, ground_absorbance_od)
    if gs.message:
        messages.append(gs.message)
    noise = delta_a_noise(d, e, a, t0_ps=t0_ps, margin_ps=margin_ps)
    if noise.message:
        messages.append(noise.message)
    # A₀ + ΔA carries the ground-state spectrum's own noise too, and it is the same at every
    # delay: a downward spike of A₀ where A₀ ≈ 0 would otherwise read as gain that never
    # decays. Its noise adds in quadrature (along ascending ground-state energy).
    ground_order = np.argsort(np.asarray(ground_energy_eV, dtype=float), kind="stable")
    a0 = np.asarray(ground_absorbance_od, dtype=float)[ground_order]
    a0_noise = _ground_state_noise(a0[np.isfinite(a0)])
    if a0_noise > 0:
        total = float(np.hypot(noise.value, a0_noise))
        noise = replace(noise, value=total, details={**dict(noise.details), "delta_a_noise_od": noise.value,
                                                     "ground_state_noise_od": a0_noise})
    net = net_absorbance(gs.absorbance_od, a)
    bw = gain_bandwidth_meV(d, e, net, noise_od=noise.value, bandwidth_delay_ps=bandwidth_delay_ps,
                            k_sigma=k_sigma)
    lt = gain_lifetime_ns(d, e, net, noise_od=noise.value, k_sigma=k_sigma, t0_ps=t0_ps)
    caveat = "; ".join(messages)
    if caveat:
        bw = _with_message(bw, caveat)
        lt = _with_message(lt, caveat)
    _, peak = gain_peak_energy(d, e, net, noise_od=noise.value, k_sigma=k_sigma)
    regions = [tuple(r) for r in bw.details.get("regions_eV", [])]
    return TAGainResult(
        delay_ps=d, energy_eV=e, net_od=net, ground_state_od=np.asarray(gs.absorbance_od),
        noise=noise, bandwidth=bw, lifetime=lt, gain_region_eV=regions, peak_energy_eV=peak,
        bandwidth_delay_ps=float(bandwidth_delay_ps), k_sigma=None if k_sigma is None else float(k_sigma),
        messages=tuple(messages),
    )


def _ground_state_noise(a0) -> float:
    """White-noise σ of an absorption spectrum with sharp band-edge lines.

    Residuals from a cubic Savitzky–Golay smooth over 7 points, σ = 1.4826·MAD(r)/√(1 − h₀)
    (h₀ = 1/3 the smoother's central weight; var(r) = σ²(1 − h₀) for a projection
    smoother). Second differences (:func:`~multiphoton.analysis.noise.point_noise`) read
    the curvature of excitonic lines on a 5 meV grid as noise: ×2 on the simulator's
    films, which pushed the −kσ gain edges inwards (bandwidth −2 %, lifetime −6 %).
    Falls back to :func:`point_noise` below 9 points.
    """
    from scipy.signal import savgol_filter
    from scipy.stats import median_abs_deviation

    if a0.size < 5:
        return 0.0
    if a0.size < 9:
        return float(point_noise(a0))
    resid = a0 - savgol_filter(a0, 7, 3)
    h0 = float(savgol_filter(np.eye(7)[3], 7, 3, mode="constant")[3])
    return float(1.4826 * median_abs_deviation(resid[3:-3]) / math.sqrt(1.0 - h0))


def _with_message(est: Estimate, extra: str) -> Estimate:
    msg = f"{est.message}; {extra}" if est.message else extra
    return replace(est, message=msg)
