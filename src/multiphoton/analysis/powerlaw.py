"""Order of a multiphoton process: slope of log(integrated PL) vs log(fluence), with
saturated points found and excluded.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ..errors import InputError
from ..results import Estimate

__all__ = ["power_law_order", "find_saturation", "local_slope_mask"]

_MIN_POINTS = 3
_SELECTIONS = ("curvature", "local-slope", "auto")


def _check(fluence_mJ_cm2, integrated):
    f = np.asarray(fluence_mJ_cm2, dtype=float)
    y = np.asarray(integrated, dtype=float)
    if f.ndim != 1 or f.shape != y.shape:
        raise InputError("fluence_mJ_cm2 and integrated must be 1-D arrays of the same length.")
    if f.size < _MIN_POINTS:
        raise InputError(f"a power-law order needs at least {_MIN_POINTS} fluences, got {f.size}.")
    if np.any(~np.isfinite(f)) or np.any(f <= 0):
        raise InputError("fluence_mJ_cm2 must be finite and > 0 for a log-log fit.")
    if np.any(~np.isfinite(y)) or np.any(y <= 0):
        raise InputError(
            "integrated PL must be finite and > 0 at every fluence for a log-log fit; "
            "subtract the background correctly or drop the empty spectra."
        )
    order = np.argsort(f)
    return f[order], y[order], order


def find_saturation(fluence_mJ_cm2, integrated, *, min_points: int = 5, n_sigma: float = 2.0):
    """Mask (True = below saturation) of the points on the low-fluence power law.

    For n = F, F−1, … down to ``min_points``, the lowest n points are fitted in log–log
    space with a parabola z = a + b·x + c·x²; the largest n whose curvature c is not
    significantly negative (c > −t·se(c), t the one-sided Student-t quantile at the
    confidence of ``n_sigma`` Gaussian sigmas) is kept. Saturation bends the log–log
    curve down over the whole upper range, which a curvature test sees even where each
    point alone deviates little from a line that has adapted to it.

    ``n_sigma = 2`` is a compromise measured on simulated two-photon series with 3 %
    noise: 2 % of unsaturated series lose a point, and the order of saturating series
    is biased low by ≈ 0.03 from onset points too close to linear to be told apart.

    Returns
    -------
    ndarray of bool, shape (F,)
        In the input order; all True when there are fewer than ``min_points`` points.
    """
    f, y, order = _check(fluence_mJ_cm2, integrated)
    x, z = np.log10(f), np.log10(y)
    n_used = f.size
    for n in range(f.size, min_points - 1, -1):
        xs = x[:n] - x[:n].mean()
        design = np.column_stack([np.ones(n), xs, xs**2])
        coef, *_ = np.linalg.lstsq(design, z[:n], rcond=None)
        dof = n - 3
        resid = z[:n] - design @ coef
        s2 = float(resid @ resid) / dof
        cov = s2 * np.linalg.inv(design.T @ design)
        se_c = float(np.sqrt(cov[2, 2]))
        t_crit = stats.t.ppf(stats.norm.cdf(n_sigma), dof)
        n_used = n
        if not coef[2] < -t_crit * se_c:
            break
    else:
        n_used = min_points
    mask_sorted = np.arange(f.size) < n_used
    mask = np.empty_like(mask_sorted)
    mask[order] = mask_sorted
    return mask


def local_slope_mask(fluence_mJ_cm2, integrated, *, fraction: float = 0.95):
    """Mask (True = below saturation) of the lowest run of points whose local slope stays
    at least ``fraction`` of the process order.

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
        Pump fluence, mJ/cm², > 0, any order.
    integrated : ndarray of shape (F,)
        Integrated emission (any unit), > 0.
    fraction : float, optional
        Smallest local slope kept, as a fraction of the order n₀ (default 0.95).

    Returns
    -------
    ndarray of bool, shape (F,)
        In the input order. The lowest point is always kept.

    Notes
    -----
    Local slope at point i: the central difference (zᵢ₊₁ − zᵢ₋₁)/(xᵢ₊₁ − xᵢ₋₁) of
    z = log₁₀ I against x = log₁₀ F (one-sided at the ends). The order n₀ is the integer
    nearest the least-squares slope of the three lowest points (a multiphoton process has an
    integer order at low fluence; at least 1). Points are kept from the lowest up to the
    first whose local slope falls below ``fraction`` · n₀. The simulator's ``pl_order`` truth
    applies the same rule to the noiseless series (docs/quantities.md).

    Examples
    --------
    >>> f = np.array([0.1, 0.2, 0.4, 0.8, 1.6])
    >>> local_slope_mask(f, f**2 / (1 + (f / 2.0) ** 2)).tolist()
    [True, True, True, False, False]
    """
    f, y, order = _check(fluence_mJ_cm2, integrated)
    if not 0 < fraction <= 1:
        raise InputError(f"fraction must be in (0, 1]; got {fraction!r}.")
    x, z = np.log10(f), np.log10(y)
    n0 = max(1.0, float(np.round(np.polyfit(x[:3], z[:3], 1)[0])))
    local = np.gradient(z, x, edge_order=1) if f.size > 2 else np.full(f.size, n0)
    # np.gradient's interior points on an uneven grid are second-order weighted; the plain
    # central difference over both neighbours is what the truth uses (same on an even grid)
    local[1:-1] = (z[2:] - z[:-2]) / (x[2:] - x[:-2])
    low = np.flatnonzero(local < fraction * n0)
    low = low[low > 0]
    n_used = int(low[0]) if low.size else f.size
    mask = np.empty(f.size, bool)
    mask[order] = np.arange(f.size) < n_used
    return mask


def _ols_slope(x, z):
    xc = x - x.mean()
    return float(xc @ z / (xc @ xc))


def _selection_model_error(x, z, sz, n_used, fraction=0.95):
    """σ of the slope from the local-slope cut: √Σ pₜ Δₜ² over the two neighbouring cuts.

    x, z sorted log₁₀ values, sz the σ of z. Δₜ: slope change when the last kept point is
    dropped or the first dropped one kept; pₜ: probability that noise puts that point's local
    slope on the other side of the cut, Φ(−|l − cut|/σ_l).
    """
    from scipy.stats import norm

    n0 = max(1.0, float(np.round(np.polyfit(x[:3], z[:3], 1)[0])))
    cut = fraction * n0
    base = _ols_slope(x[:n_used], z[:n_used])
    var = 0.0
    for i, n_new in ((n_used - 1, n_used - 1), (n_used, n_used + 1)):
        if not (1 <= i < x.size and n_new >= _MIN_POINTS):
            continue
        lo, hi = (i - 1, i + 1) if i + 1 < x.size else (i - 1, i)
        local = (z[hi] - z[lo]) / (x[hi] - x[lo])
        s_local = math.hypot(sz[hi], sz[lo]) / (x[hi] - x[lo])
        p = float(norm.cdf(-abs(local - cut) / s_local))
        var += p * (_ols_slope(x[:n_new], z[:n_new]) - base) ** 2
    return math.sqrt(var)


def power_law_order(fluence_mJ_cm2, integrated, *, exclude_saturated: bool = True, integrated_stderr=None,
                    selection: str = "curvature") -> Estimate:
    """Slope of log₁₀(integrated) vs log₁₀(fluence) over the points below saturation.

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
        Pump fluence, mJ/cm², > 0.
    integrated : ndarray of shape (F,)
        Integrated emission (any unit), > 0.
    exclude_saturated : bool
        Leave out the saturated points (``selection``).
    integrated_stderr : ndarray of shape (F,), optional
        One-σ noise of each integral (e.g. :func:`multiphoton.analysis.spectra.integrated_intensity_stderr`);
        the slope's stderr is then that noise propagated through the least-squares slope.
        Without it, the residual-scatter stderr.
    selection : {"curvature", "local-slope", "auto"}, optional
        How saturated points are found: the curvature test of :func:`find_saturation`
        (default), :func:`local_slope_mask` (the rule of the simulator's truth), or
        ``"auto"``: the local slopes when ``integrated_stderr`` makes their noise ≤ 0.02
        (a fifth of the 5 % margin of order 2), else the curvature test.

    Returns
    -------
    Estimate
        ``value`` the order (slope), ``stderr`` its ordinary-least-squares standard
        error; ``params`` holds the intercept; ``details``: ``used`` the mask of points
        used (input order), ``n_used`` and ``n_saturated`` their counts, and
        ``residual_var_log10`` the residual variance of the log₁₀ fit, ``selection`` the rule
        and ``stderr_contains``; with ``integrated_stderr`` also ``noise_stderr`` and
        ``selection_model_error`` (the two parts of ``stderr``).

    Notes
    -----
    Least squares on log₁₀ values (multiplicative noise is homoscedastic in log space).
    Without ``integrated_stderr`` the slope's standard error is from the residual scatter,
    which also holds the curvature of points just below saturation; with it, σ_z =
    σ_I/(I ln 10) is propagated through the (unweighted) slope Σ aᵢ zᵢ, aᵢ = (xᵢ − x̄)/Sₓₓ,
    and the stderr is the noise (the order's truth is the slope of the same line through
    the noiseless points, curvature included) plus, for the local-slope selection, its model
    error √Σ pₜΔₜ²: Δₜ the slope change when the cut moves by one point either way, pₜ the
    probability that noise moved it (normal local-slope noise), in quadrature.

    Examples
    --------
    >>> f = np.array([0.2, 0.4, 0.8, 1.6, 3.2])
    >>> round(power_law_order(f, 5.0 * f**2 * (1 + 0.01 * np.array([1, -1, 0, 1, -1]))).value, 2)
    2.0
    """
    if selection not in _SELECTIONS:
        raise InputError(f"selection {selection!r} is not known; use one of {', '.join(_SELECTIONS)}.")
    s = None
    if integrated_stderr is not None:
        s = np.asarray(integrated_stderr, dtype=float)
        if s.shape != np.shape(fluence_mJ_cm2) or np.any(~np.isfinite(s)) or np.any(s <= 0):
            raise InputError("integrated_stderr must be finite, > 0 and one per fluence.")
    f, y, order = _check(fluence_mJ_cm2, integrated)
    s = None if s is None else s[order]
    if selection == "auto":
        selection = "curvature"
        if s is not None and f.size > 2:
            lx, sz = np.log10(f), s / (y * np.log(10.0))
            noise = np.hypot(sz[2:], sz[:-2]) / (lx[2:] - lx[:-2])
            if float(np.max(noise)) <= 0.02:
                selection = "local-slope"
    if not exclude_saturated:
        mask = np.ones(f.size, bool)
    else:
        mask = local_slope_mask(f, y) if selection == "local-slope" else find_saturation(f, y)
    method = "loglog-ols" if s is None else "loglog-ols-propagated"
    if mask.sum() < _MIN_POINTS:
        return Estimate(value=float("nan"), stderr=float("nan"), method=method, success=False,
                        message=f"only {int(mask.sum())} points below saturation; need {_MIN_POINTS}")
    x, z = np.log10(f[mask]), np.log10(y[mask])
    dof = x.size - 2
    used = np.empty(f.size, bool)
    used[order] = mask
    details = {"used": used.tolist(), "n_used": int(mask.sum()), "n_saturated": int((~mask).sum()),
               "selection": selection if exclude_saturated else "none"}
    if s is None:
        res = stats.linregress(x, z)
        resid = z - (res.intercept + res.slope * x)
        red = float(np.sum(resid**2) / dof) if dof > 0 else float("nan")
        return Estimate(
            value=float(res.slope), stderr=float(res.stderr) if dof > 0 else float("nan"), method=method,
            unit="", reduced_chi2=None, residuals=resid,
            params={"intercept_log10": (float(res.intercept), float(res.intercept_stderr))},
            details={**details, "residual_var_log10": red,
                     "stderr_contains": ["noise"]})
    # unweighted slope (the truth's line through the same points: on a curved series a
    # weighted fit would tilt towards the precise upper points), its stderr the propagated
    # noise: slope = Σ aᵢ zᵢ, aᵢ = (xᵢ − x̄)/Σ(x − x̄)², var = Σ aᵢ² σ_zᵢ²
    sz = s[mask] / (y[mask] * np.log(10.0))
    xc = x - x.mean()
    a = xc / float(xc @ xc)
    slope = float(a @ z)
    icpt = float(z.mean() - slope * x.mean())
    b = 1.0 / x.size - x.mean() * a  # intercept = Σ bᵢ zᵢ
    resid = z - (icpt + slope * x)
    red = float(np.sum((resid / sz) ** 2) / dof) if dof > 0 else float("nan")
    noise = float(np.sqrt(np.sum((a * sz) ** 2)))
    contains = ["noise"]
    sel = 0.0
    if exclude_saturated and selection == "local-slope":
        sel = _selection_model_error(np.log10(f), np.log10(y), s / (y * np.log(10.0)), int(mask.sum()))
        contains.append("model error")
    return Estimate(
        value=slope, stderr=math.hypot(noise, sel), method=method, unit="", reduced_chi2=red,
        residuals=resid, params={"intercept_log10": (icpt, float(np.sqrt(np.sum((b * sz) ** 2))))},
        details={**details, "residual_var_log10": float(np.sum(resid**2) / dof) if dof > 0 else float("nan"),
                 "noise_stderr": noise, "selection_model_error": sel, "stderr_contains": contains})
