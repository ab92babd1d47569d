"""Net optical gain from transient absorption: bandwidth, lifetime, gain-peak energy.

Pure functions on arrays. A transient-absorption (TA) map ΔA(t, E) (OD) measured on
``delay_ps`` × ``energy_eV`` plus the ground-state absorbance A₀(E) of the same film
give the net absorbance A₀ + ΔA; where it is negative the film amplifies light.
Without A₀ net gain is undefined and nothing here claims any.

Noise criterion (used everywhere): a spectral point shows net gain only when
A₀ + ΔA < −k·σ, with σ the ΔA noise level (:func:`noise_level`). By default k is set
by a Bonferroni bound so that noise alone claims gain somewhere among the N points
searched with probability below ``FALSE_ALARM`` (0.1 %): k = max(3, Φ⁻¹(1 − 0.001/N))
(k ≈ 4.5 for one spectrum of 300 points, ≈ 5.3 for a map of 60 × 300). A fixed
``k_sigma`` may be passed instead. See docs/gain-laser-stability.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import norm

from ..errors import InputError
from ..results import Estimate
from .noise import point_noise

__all__ = [
    "GroundStateOnGrid",
    "TAGainResult",
    "sort_ta_map",
    "ground_state_on_grid",
    "correct_chirp",
    "net_absorbance",
    "spectrum_at_delay",
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
class GroundStateOnGrid:
    """Ground-state absorbance interpolated onto a TA energy grid.

    Attributes
    ----------
    absorbance_od : ndarray of shape (M,)
        A₀ on the TA grid (OD); ``nan`` outside the ground-state energy range.
    covered : ndarray of shape (M,), bool
        True where the TA energy lies inside the ground-state energy range.
    message : str
        Empty for full overlap, otherwise says which part of the TA grid is used.
    """

    absorbance_od: np.ndarray
    covered: np.ndarray
    message: str = ""


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


# ---------------------------------------------------------------------------
# input checks


def _axis(name: str, values) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size < 2:
        raise InputError(f"`{name}` must be a 1-D array of at least 2 values, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"`{name}` contains NaN or infinite values; remove those rows.")
    if np.unique(arr).size != arr.size:
        raise InputError(f"`{name}` contains repeated values; average or remove the duplicate rows.")
    return arr


def sort_ta_map(delay_ps, energy_eV, values):
    """Return copies of a TA map with both axes ascending.

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
        Pump-probe delays (ps), any order, no repeats.
    energy_eV : ndarray of shape (M,)
        Probe photon energies (eV), any order, no repeats.
    values : ndarray of shape (D, M)
        The map (ΔA or A₀ + ΔA, OD). ``nan`` is allowed (e.g. after chirp correction).

    Returns
    -------
    delay_ps, energy_eV, values : ndarray
        Sorted copies; inputs are never modified.

    Examples
    --------
    >>> d, e, v = sort_ta_map([1.0, 0.0], [2.0, 1.0], [[1, 2], [3, 4]])
    >>> v.tolist()
    [[4.0, 3.0], [2.0, 1.0]]
    """
    d = _axis("delay_ps", delay_ps)
    e = _axis("energy_eV", energy_eV)
    v = np.asarray(values, dtype=float)
    if v.shape != (d.size, e.size):
        raise InputError(
            f"the TA map must have shape (len(delay_ps), len(energy_eV)) = ({d.size}, {e.size}), "
            f"got {v.shape}; transpose it if rows are energies."
        )
    if np.any(np.isinf(v)):
        raise InputError("the TA map contains infinite values; replace them by NaN or remove them.")
    od, oe = np.argsort(d), np.argsort(e)
    return d[od], e[oe], v[np.ix_(od, oe)]


# ---------------------------------------------------------------------------
# building blocks


def ground_state_on_grid(energy_eV, ground_energy_eV, ground_absorbance_od) -> GroundStateOnGrid:
    """Interpolate the ground-state absorbance A₀ onto the TA energy grid.

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
        TA probe energies (eV), any order.
    ground_energy_eV : ndarray of shape (N,)
        Energies of the absorption spectrum (eV), any order.
    ground_absorbance_od : ndarray of shape (N,)
        Ground-state absorbance (base 10, OD) of the same film.

    Returns
    -------
    GroundStateOnGrid
        A₀ at ``energy_eV`` (same order as given); ``nan`` outside the absorption range,
        with a message when the overlap is only partial.

    Raises
    ------
    InputError
        When the two energy ranges do not overlap at all.

    Notes
    -----
    Linear interpolation (``numpy.interp``); no extrapolation.

    Examples
    --------
    >>> g = ground_state_on_grid([1.9, 2.0, 2.1], [1.95, 2.0, 2.2], [0.1, 0.2, 0.4])
    >>> g.absorbance_od.round(3).tolist(), g.covered.tolist()
    ([nan, 0.2, 0.3], [False, True, True])
    """
    e = _axis("energy_eV", energy_eV)
    ge = _axis("ground_energy_eV", ground_energy_eV)
    ga = np.asarray(ground_absorbance_od, dtype=float)
    if ga.shape != ge.shape:
        raise InputError(
            f"ground-state `absorbance` has shape {ga.shape} but `energy_eV` has {ge.shape}; "
            "they must have one value per energy."
        )
    if not np.all(np.isfinite(ga)):
        raise InputError("ground-state `absorbance` contains NaN or infinite values; remove those rows.")
    order = np.argsort(ge)
    ge, ga = ge[order], ga[order]
    covered = (e >= ge[0]) & (e <= ge[-1])
    if not np.any(covered):
        raise InputError(
            f"the ground-state spectrum ({ge[0]:.3f}–{ge[-1]:.3f} eV) does not overlap the TA "
            f"probe range ({e.min():.3f}–{e.max():.3f} eV); measure the absorption over the "
            "probe window."
        )
    a0 = np.full(e.shape, np.nan)
    a0[covered] = np.interp(e[covered], ge, ga)
    msg = ""
    if not np.all(covered):
        msg = (
            f"ground-state spectrum covers only {e[covered].min():.3f}–{e[covered].max():.3f} eV "
            f"of the TA probe range {e.min():.3f}–{e.max():.3f} eV; net gain is evaluated on the "
            "overlap only"
        )
    a0.setflags(write=False)
    covered.setflags(write=False)
    return GroundStateOnGrid(a0, covered, msg)


def correct_chirp(delay_ps, energy_eV, dA, *, t0_coeffs_ps, energy_ref_eV=0.0):
    """Shift each energy column of a TA map so that time zero is the same at every energy.

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
        Delays (ps), ascending.
    energy_eV : ndarray of shape (M,)
        Probe energies (eV).
    dA : ndarray of shape (D, M)
        ΔA (OD).
    t0_coeffs_ps : sequence of float
        Coefficients c₀, c₁, … (ps, ps/eV, …) of t₀(E) = Σ cₖ (E − E_ref)ᵏ.
    energy_ref_eV : float, optional
        Expansion energy E_ref (eV); 0 means a polynomial in the absolute energy.

    Returns
    -------
    ndarray of shape (D, M)
        ΔA_corr(t, E) = ΔA(t + t₀(E), E), by linear interpolation along delay;
        ``nan`` where t + t₀(E) falls outside the measured delays.

    Examples
    --------
    >>> out = correct_chirp([0.0, 1.0, 2.0], [2.0], [[0.0], [1.0], [2.0]], t0_coeffs_ps=[0.5])
    >>> out[:, 0].tolist()
    [0.5, 1.5, nan]
    """
    d = np.asarray(delay_ps, dtype=float)
    e = np.asarray(energy_eV, dtype=float)
    a = np.asarray(dA, dtype=float)
    if a.shape != (d.size, e.size):
        raise InputError(f"`dA` must have shape ({d.size}, {e.size}), got {a.shape}.")
    if np.any(np.diff(d) <= 0):
        raise InputError("`delay_ps` must be strictly increasing for chirp correction; sort the map first.")
    coeffs = np.atleast_1d(np.asarray(t0_coeffs_ps, dtype=float))
    if coeffs.size == 0 or not np.all(np.isfinite(coeffs)):
        raise InputError("`t0_coeffs_ps` must be a non-empty list of finite numbers (ps, ps/eV, …).")
    t0 = np.polynomial.polynomial.polyval(e - energy_ref_eV, coeffs)
    out = np.empty_like(a)
    for j in range(e.size):
        out[:, j] = np.interp(d + t0[j], d, a[:, j], left=np.nan, right=np.nan)
    return out


def net_absorbance(ground_state_od, dA):
    """Net absorbance A₀ + ΔA (OD).

    Parameters
    ----------
    ground_state_od : ndarray of shape (M,)
        A₀ on the TA energy grid (OD).
    dA : ndarray of shape (D, M)
        ΔA (OD).

    Returns
    -------
    ndarray of shape (D, M)

    Examples
    --------
    >>> net_absorbance([0.2, 0.1], [[-0.3, 0.0]]).round(2).tolist()
    [[-0.1, 0.1]]
    """
    a0 = np.asarray(ground_state_od, dtype=float)
    a = np.asarray(dA, dtype=float)
    if a.ndim != 2 or a.shape[1] != a0.size:
        raise InputError(
            f"`dA` of shape {a.shape} does not match `ground_state_od` of {a0.size} energies."
        )
    return a0[None, :] + a


def spectrum_at_delay(delay_ps, values, at_delay_ps):
    """Spectrum at any delay by linear interpolation between the two nearest delays.

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
        Delays (ps), ascending.
    values : ndarray of shape (D, M)
        Map (OD).
    at_delay_ps : float
        Wanted delay (ps), inside the measured range.

    Returns
    -------
    ndarray of shape (M,)

    Examples
    --------
    >>> spectrum_at_delay([0.0, 10.0], [[0.0, 1.0], [1.0, 3.0]], 5.0).tolist()
    [0.5, 2.0]
    """
    d = np.asarray(delay_ps, dtype=float)
    v = np.asarray(values, dtype=float)
    t = float(at_delay_ps)
    if not d[0] <= t <= d[-1]:
        raise InputError(
            f"delay {t:g} ps is outside the measured delays {d[0]:g}–{d[-1]:g} ps; "
            "choose `bandwidth_delay_ps` inside that range."
        )
    i = int(np.clip(np.searchsorted(d, t, side="right") - 1, 0, d.size - 2))
    w = (t - d[i]) / (d[i + 1] - d[i])
    return (1.0 - w) * v[i] + w * v[i + 1]


def noise_level(delay_ps, energy_eV, dA, *, t0_ps=0.0, margin_ps=0.3, n_late=5) -> Estimate:
    """Noise σ of ΔA (OD), from the delays before time zero, or a fallback.

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
        Delays (ps), any order.
    energy_eV : ndarray of shape (M,)
        Probe energies (eV), any order.
    dA : ndarray of shape (D, M)
        ΔA (OD).
    t0_ps : float, optional
        Time zero (ps).
    margin_ps : float, optional
        Only delays < t0 − margin are used (keeps the rising edge out).
    n_late : int, optional
        Number of latest delays used by the fallback.

    Returns
    -------
    Estimate
        value σ (OD), method ``"pre-time-zero-std"`` or ``"second-difference-mad"``.

    Notes
    -----
    Preferred: with at least two delays before t₀ − margin, the pooled standard
    deviation about each energy's own pre-time-zero mean (which absorbs scattered pump
    light or long-lived signal from the previous pulse):
    σ² = Σ (ΔA − ΔĀ_E)² / (N − M_used). stderr ≈ σ / √(2 dof).

    Fallback (no such delays): the robust scale of the second difference along energy at
    the ``n_late`` latest delays, σ = 1.4826 · MAD(ΔA[j−1] − 2ΔA[j] + ΔA[j+1]) / √6
    (white noise of σ gives second differences of σ√6; smooth signal largely cancels).
    It assumes uncorrelated noise between neighbouring energies and a signal smooth on the
    grid scale, and says so in ``message``. stderr ≈ 1.17 σ/√n (asymptotic MAD
    efficiency; an approximation since neighbouring second differences are correlated).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> est = noise_level(np.arange(-5.0, 5.0), np.linspace(1.8, 2.2, 200),
    ...                   rng.normal(0.0, 1e-3, (10, 200)))
    >>> est.method, round(est.value * 1e3, 1)
    ('pre-time-zero-std', 1.0)
    """
    d, e, a = sort_ta_map(delay_ps, energy_eV, dA)
    pre = d < t0_ps - margin_ps
    block = a[pre]
    cols = np.sum(np.isfinite(block), axis=0) >= 2 if block.size else np.zeros(e.size, bool)
    if np.count_nonzero(pre) >= 2 and np.any(cols):
        b = block[:, cols]
        resid = b - np.nanmean(b, axis=0)
        n = int(np.sum(np.isfinite(resid)))
        dof = n - int(np.count_nonzero(cols))
        sigma = math.sqrt(np.nansum(resid**2) / dof)
        return Estimate(
            value=sigma,
            stderr=sigma / math.sqrt(2 * dof),
            method="pre-time-zero-std",
            unit="OD",
            details={"n_delays": int(np.count_nonzero(pre)), "n_points": n, "t0_ps": t0_ps,
                     "margin_ps": margin_ps},
        )
    if e.size < 5:
        raise InputError(
            "no delays before time zero and fewer than 5 probe energies: the ΔA noise "
            "cannot be estimated; measure a few delays before time zero."
        )
    late = a[-min(int(n_late), d.size):]
    n_d2 = int(np.count_nonzero(np.isfinite(np.diff(late, n=2, axis=1))))
    if n_d2 < 3:
        raise InputError("too few finite ΔA values at the latest delays to estimate the noise.")
    sigma = point_noise(late, axis=1)
    msg = (
        f"no delays before t0 - margin ({t0_ps - margin_ps:g} ps): noise taken as the robust "
        f"scale (MAD) of the second difference along energy at the {late.shape[0]} latest delays"
    )
    return Estimate(
        value=sigma,
        stderr=1.17 * sigma / math.sqrt(n_d2),
        method="second-difference-mad",
        unit="OD",
        message=msg,
        details={"n_delays": int(late.shape[0]), "n_points": n_d2, "fallback": True},
    )


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


def gain_regions(energy_eV, net_spectrum_od, *, noise_od, k_sigma=None):
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

    Returns
    -------
    list of dict
        One per region: ``lo_eV``, ``hi_eV``, ``lo_stderr_eV``, ``hi_stderr_eV``,
        ``lo_open``/``hi_open`` (True when the region runs into the end of the grid or
        into a ``nan``, the edge is then the last point and the width a lower bound).

    Notes
    -----
    Edges are the crossings of the level L = −kσ, linear between the grid points on
    either side. Edge uncertainty: σ_edge² = (σ / |slope|)² + δ², with the slope from
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
    for start, stop in zip(idx[::2], idx[1::2]):  # inside[start:stop] is one run
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
        σ of ΔA (OD), see :func:`noise_level`.
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
        ``details["regions_eV"]`` lists [lo, hi] of each region.

    Notes
    -----
    W = Σ_regions (E_hi − E_lo), edges from :func:`gain_regions`;
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
        value is that delay and ``message`` says it is a lower bound.

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
    The crossing is that of *detectable* gain (level −kσ, not 0): it lies earlier than
    the zero crossing by about kσ / |ṁ|.

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
    noise = noise_level(d, e, a, t0_ps=t0_ps, margin_ps=margin_ps)
    if noise.message:
        messages.append(noise.message)
    # A₀ + ΔA carries the ground-state spectrum's own noise too, and it is the same at every
    # delay: a downward spike of A₀ where A₀ ≈ 0 would otherwise read as gain that never
    # decays. Its point-to-point noise (robust MAD of second differences) adds in quadrature.
    a0 = np.asarray(ground_absorbance_od, dtype=float)
    a0_noise = point_noise(a0[np.isfinite(a0)]) if np.count_nonzero(np.isfinite(a0)) >= 5 else 0.0
    if a0_noise > 0:
        from dataclasses import replace

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


def _with_message(est: Estimate, extra: str) -> Estimate:
    from dataclasses import replace

    msg = f"{est.message}; {extra}" if est.message else extra
    return replace(est, message=msg)
