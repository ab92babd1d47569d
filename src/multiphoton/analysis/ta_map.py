"""Transient-absorption maps: sorting, ground state on the probe grid, chirp, ΔA noise.

Pure functions on arrays: a TA map ΔA(t, E) (OD) on ``delay_ps`` × ``energy_eV``, the
ground-state absorbance A₀(E) of the same film interpolated onto its energy grid, chirp
correction, the net absorbance A₀ + ΔA and the noise σ of ΔA (:func:`delta_a_noise`).
The gain criteria built on them live in :mod:`multiphoton.analysis.gain`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..results import Estimate
from .noise import point_noise

__all__ = [
    "GroundStateOnGrid",
    "sort_ta_map",
    "ground_state_on_grid",
    "correct_chirp",
    "net_absorbance",
    "spectrum_at_delay",
    "delta_a_noise",
]


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


def delta_a_noise(delay_ps, energy_eV, dA, *, t0_ps=0.0, margin_ps=0.3, n_late=5) -> Estimate:
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
        ``details``: ``n_delays`` and ``n_points`` (delays and values used), ``t0_ps`` and
        ``margin_ps`` (pre-time-zero), or ``fallback`` True (second difference).

    Notes
    -----
    Preferred: with at least two delays before t₀ − margin, the pooled standard
    deviation about each energy's own pre-time-zero mean (which absorbs scattered pump
    light or long-lived signal from the previous pulse):
    σ² = Σ (ΔA − ΔĀ_E)² / (N − M_used). stderr ≈ σ / √(2 dof).

    Fallback (no such delays): the robust scale of the second difference along energy at
    the ``n_late`` latest delays, σ = 1.4826 · MAD(ΔA[j−1] − 2ΔA[j] + ΔA[j+1]) / √6 (point_noise)
    (white noise of σ gives second differences of σ√6; smooth signal largely cancels).
    It assumes uncorrelated noise between neighbouring energies and a signal smooth on the
    grid scale, and says so in ``message``. stderr ≈ 1.17 σ/√n (asymptotic MAD
    efficiency; an approximation since neighbouring second differences are correlated).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> est = delta_a_noise(np.arange(-5.0, 5.0), np.linspace(1.8, 2.2, 200),
    ...                     rng.normal(0.0, 1e-3, (10, 200)))
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
