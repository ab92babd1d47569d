"""Amplified-spontaneous-emission thresholds and excitons per particle at threshold.

* :func:`ase_threshold` — continuous two-segment (hinge) linear fit of integrated
  emission against fluence, breakpoint fitted with its stderr (the paper's intersection of
  linear fits below and above threshold, done as one least-squares problem).
* :func:`linewidth_threshold` — second method: onset of linewidth narrowing (hinge fit of
  FWHM against fluence).
* :func:`excitons_two_photon` — ⟨N⟩ = g σ₂ J²/τ (an alias of
  :func:`multiphoton.models.excitation.mean_excitons_two_photon`).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from ..errors import InputError
from ..results import Estimate
from ..models.excitation import mean_excitons_two_photon

__all__ = ["ase_threshold", "linewidth_threshold", "excitons_two_photon", "hinge",
           "MIN_POINTS_PER_SIDE"]

MIN_POINTS_PER_SIDE = 5
"""Fewest fluences required on each side of a threshold (the project's issue: a series with
fewer than 5 points above or below is reported as a warning, not a number). Each segment
has 2 parameters; 5 points leave 3 degrees of freedom per side, enough to see curvature or
an outlier rather than fit it away."""


def hinge(fluence_mJ_cm2, *, threshold_mJ_cm2, intercept, slope_below, slope_above):
    """Continuous two-segment line: y = a + b F below F_th, a + b F_th + b' (F − F_th) above.

    Examples
    --------
    >>> hinge([0.0, 1.0, 2.0], threshold_mJ_cm2=1.0, intercept=1.0, slope_below=1.0,
    ...       slope_above=3.0).tolist()
    [1.0, 2.0, 5.0]
    """
    f = np.asarray(fluence_mJ_cm2, dtype=float)
    return (intercept + slope_below * f
            + (slope_above - slope_below) * np.clip(f - threshold_mJ_cm2, 0.0, None))


def _check_xy(x, y, xname, yname):
    f = np.array(x, dtype=float)
    v = np.array(y, dtype=float)
    if f.ndim != 1 or v.shape != f.shape:
        raise InputError(f"{xname} and {yname} must be 1-D arrays of the same length, got "
                         f"{f.shape} and {v.shape}.")
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(v))):
        raise InputError(f"{xname} and {yname} must be finite.")
    if np.any(f < 0):
        raise InputError(f"{xname} must be >= 0.")
    order = np.argsort(f, kind="stable")
    f, v = f[order], v[order]
    if np.any(np.diff(f) <= 0):
        raise InputError(f"{xname} has repeated values; average repeated points first.")
    return f, v


def _hinge_fit(f, y, sigma, *, min_side, sign, quantity, method):
    """Fit the hinge; returns an Estimate (success=False with the reason when unsupported)."""
    n = f.size
    w = 1.0 / sigma

    def failed(msg, **details):
        return Estimate(value=float("nan"), stderr=float("nan"), method=method,
                        unit="mJ/cm2", success=False, message=msg, details=details)

    if n < 2 * min_side:
        return failed(f"{quantity}: only {n} fluences; a threshold needs at least {min_side} "
                      f"below and {min_side} above it ({2 * min_side} in all). Measure more "
                      "fluences.")

    def linear(fth):
        a = np.column_stack([np.ones(n), f, np.clip(f - fth, 0.0, None)]) * w[:, None]
        coef, *_ = np.linalg.lstsq(a, y * w, rcond=None)
        return coef, float(np.sum((a @ coef - y * w) ** 2))

    # profile the breakpoint over every gap between data points (≥ 2 points each side)
    cands = []
    for k in range(2, n - 1):
        for fth in np.linspace(f[k - 1], f[k], 6)[:-1]:
            coef, sse = linear(fth)
            cands.append((sse, fth, coef))
    sse0, fth0, coef0 = min(cands, key=lambda c: c[0])

    def resid(p):
        return (hinge(f, threshold_mJ_cm2=p[3], intercept=p[0], slope_below=p[1],
                      slope_above=p[1] + p[2]) - y) * w

    p0 = np.r_[coef0, fth0]
    sol = optimize.least_squares(resid, p0, method="lm", x_scale="jac")
    p = sol.x
    # the hinge is not differentiable at data points; keep the profile optimum if LM wandered
    if not (f[0] < p[3] < f[-1]) or np.sum(resid(p) ** 2) > sse0 * (1 + 1e-9):
        p = p0
    fth = float(p[3])
    n_below = int(np.count_nonzero(f < fth))
    n_above = int(np.count_nonzero(f > fth))
    r = resid(p)
    dof = max(n - 4, 1)
    chi2 = float(np.sum(r**2) / dof)
    # Jacobian (analytic) of the weighted model w.r.t. (a, b, c, F_th)
    above = (f > fth).astype(float)
    jac = np.column_stack([np.ones(n), f, np.clip(f - fth, 0.0, None), -p[2] * above]) * w[:, None]
    cov = np.linalg.pinv(jac.T @ jac) * chi2
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    details = {"n_below": n_below, "n_above": n_above, "min_points_per_side": min_side}
    params = {"intercept": (float(p[0]), float(se[0])),
              "slope_below": (float(p[1]), float(se[1])),
              "slope_above": (float(p[1] + p[2]), float(math.sqrt(max(cov[1, 1] + cov[2, 2]
                                                                      + 2 * cov[1, 2], 0.0)))),
              "slope_change": (float(p[2]), float(se[2]))}
    if not (sign * p[2] > 3.0 * se[2]):
        kind = "increase" if sign > 0 else "decrease"
        return failed(f"{quantity}: no significant slope {kind} at the breakpoint (change "
                      f"{p[2]:.3g} ± {se[2]:.3g}); no threshold in this fluence range.", **details)
    if n_below < min_side or n_above < min_side:
        return failed(f"{quantity}: the best breakpoint ({fth:.3g} mJ/cm2) has {n_below} "
                      f"fluences below and {n_above} above; at least {min_side} are needed on "
                      "each side. Measure more fluences "
                      + ("above" if n_above < min_side else "below") + " the threshold.",
                      **details)
    return Estimate(value=fth, stderr=float(se[3]), method=method, unit="mJ/cm2",
                    reduced_chi2=chi2, residuals=r / w, params=params, details=details)


def ase_threshold(fluence_mJ_cm2, integrated, *, sigma=None, relative_noise=True,
                  min_points_per_side=MIN_POINTS_PER_SIDE) -> Estimate:
    """ASE threshold: breakpoint of a continuous two-segment linear fit of emission vs fluence.

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
        Pump fluence, mJ/cm² (any order).
    integrated : ndarray of shape (F,)
        Integrated emission (any unit).
    sigma : ndarray of shape (F,), optional
        One-σ uncertainty of ``integrated``; default: proportional to the value
        (``relative_noise=True``, constant fractional noise such as pump fluctuations,
        floored at 1 % of the largest value) or equal for all (``relative_noise=False``).
        The overall scale is always set by the fit (covariance × χ²_red).
    min_points_per_side : int
        Fewest fluences below and above the breakpoint (≥ 3); default 5.

    Returns
    -------
    Estimate
        Threshold in mJ/cm² (method ``"hinge-fit"``); ``params`` hold intercept,
        ``slope_below``, ``slope_above`` (integrated per mJ/cm², linear axes). ``success``
        is False, with the reason, when fewer than ``min_points_per_side`` fluences lie on
        a side of the best breakpoint or the slope does not increase significantly (> 3σ).
        ``details``: ``n_below`` and ``n_above``, the fluences on each side of the
        breakpoint, and ``min_points_per_side``.

    Notes
    -----
    y = a + b F + c·max(F − F_th, 0): below threshold the line a + bF, above it a line of
    slope b + c, continuous at F_th — the intersection of the two linear fits. The
    breakpoint is profiled over a grid between all data points (linear least squares for
    a, b, c at each), then refined with all four parameters by Levenberg–Marquardt; its
    stderr comes from the covariance of (a, b, c, F_th).

    References
    ----------
    .. [1] B. T. Diroll et al., Nanoscale (2023), Fig. 3b.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.linspace(0.2, 3.0, 15)
    >>> y = 10 * f + 90 * np.clip(f - 1.5, 0, None)
    >>> round(ase_threshold(f, y * (1 + 0.01 * np.sin(7 * f))).value, 2)
    1.5
    """
    f, y = _check_xy(fluence_mJ_cm2, integrated, "fluence_mJ_cm2", "integrated")
    if not (isinstance(min_points_per_side, (int, np.integer)) and min_points_per_side >= 3):
        raise InputError(f"min_points_per_side must be an integer >= 3, got {min_points_per_side!r}.")
    if sigma is not None:
        s = np.asarray(sigma, dtype=float)
        if s.shape != np.shape(integrated) or np.any(~(s > 0)):
            raise InputError("sigma must have the shape of integrated and be > 0 everywhere.")
        s = s[np.argsort(np.asarray(fluence_mJ_cm2, dtype=float), kind="stable")]
    elif relative_noise:
        s = np.maximum(np.abs(y), 0.01 * np.max(np.abs(y)))
        if not np.all(s > 0):
            raise InputError("integrated is zero everywhere; there is no emission to analyse.")
    else:
        s = np.ones_like(y)
    return _hinge_fit(f, y, s, min_side=int(min_points_per_side), sign=+1,
                      quantity="ase_threshold", method="hinge-fit")


def linewidth_threshold(fluence_mJ_cm2, fwhm_meV, *, fwhm_stderr_meV=None,
                        min_points_per_side=MIN_POINTS_PER_SIDE) -> Estimate:
    """ASE threshold from the onset of linewidth narrowing (hinge fit of FWHM vs fluence).

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
        Pump fluence, mJ/cm².
    fwhm_meV : ndarray of shape (F,)
        Emission FWHM in meV at each fluence.
    fwhm_stderr_meV : ndarray of shape (F,), optional
        Its uncertainty (equal weights when absent).
    min_points_per_side : int
        As in :func:`ase_threshold`.

    Returns
    -------
    Estimate
        Onset fluence in mJ/cm² (method ``"linewidth-narrowing-onset"``), ``details`` as
        :func:`ase_threshold` (``n_below``, ``n_above``, ``min_points_per_side``); when
        bracketed, ``details`` hold ``bracket_mJ_cm2`` (the two fluences),
        ``reference_fwhm_meV`` (median width of the reference points) and ``drop_meV``
        (the narrowing required).

    Notes
    -----
    Only the points up to the narrowest line are used (beyond it the width saturates at
    the ASE linewidth and is no longer linear in fluence); on those the same continuous
    hinge as :func:`ase_threshold` is fitted, requiring a significant slope *decrease*.
    When the narrowing is a step (a narrow ASE line overtaking the broad PL between two
    fluences) the hinge cannot describe it; the onset is then bracketed (method
    ``"linewidth-narrowing-bracket"``): the first fluence, after at least
    ``min_points_per_side`` reference points, whose FWHM is below the median of those by
    more than max(3σ, 5 %) — with at least ``min_points_per_side`` such points — and the
    fluence before it; value their midpoint, stderr gap/√12.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.linspace(0.2, 2.6, 13)
    >>> w = 80 - 40 * np.clip(f - 1.2, 0, None) + 0.3 * np.sin(9 * f)
    >>> round(linewidth_threshold(f, w).value, 1)
    1.2
    """
    f, w = _check_xy(fluence_mJ_cm2, fwhm_meV, "fluence_mJ_cm2", "fwhm_meV")
    if fwhm_stderr_meV is not None:
        s = np.asarray(fwhm_stderr_meV, dtype=float)[np.argsort(np.asarray(fluence_mJ_cm2,
                                                                          dtype=float),
                                                               kind="stable")]
        if np.any(~(s > 0)):
            raise InputError("fwhm_stderr_meV must be > 0 everywhere.")
    else:
        s = np.ones_like(w)
    last = int(np.argmin(w)) + 1
    est = _hinge_fit(f[:last], w[:last], s[:last], min_side=int(min_points_per_side), sign=-1,
                     quantity="linewidth narrowing onset", method="linewidth-narrowing-onset")
    if est.success:
        return est
    return _bracket_onset(f, w, s if fwhm_stderr_meV is not None else None,
                          min_side=int(min_points_per_side), hinge_message=est.message)


def _bracket_onset(f, w, s, *, min_side, hinge_message):
    """Onset of an abrupt narrowing: between the last sub-threshold width and the next."""
    ref = w[:min_side]
    w_ref = float(np.median(ref))
    if s is not None:
        noise = float(np.median(s[:min_side]))
    else:
        noise = float(np.median(np.abs(ref - w_ref)) / 0.6745)
    drop = max(3.0 * noise, 0.05 * w_ref)
    narrow = np.nonzero(w < w_ref - drop)[0]
    narrow = narrow[narrow >= min_side]
    method = "linewidth-narrowing-bracket"
    if narrow.size == 0 or f.size - narrow[0] < min_side:
        n_above = 0 if narrow.size == 0 else int(f.size - narrow[0])
        return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit="mJ/cm2",
                        success=False,
                        message=(f"linewidth narrowing onset: {n_above} narrowed spectra (need at "
                                 f"least {min_side} above and {min_side} below); hinge fit: "
                                 f"{hinge_message}"))
    j = int(narrow[0])
    lo, hi = f[j - 1], f[j]
    return Estimate(value=float(0.5 * (lo + hi)), stderr=float((hi - lo) / math.sqrt(12.0)),
                    method=method, unit="mJ/cm2",
                    message="abrupt narrowing: onset bracketed by two fluences (uniform "
                            "uncertainty over the gap)",
                    details={"bracket_mJ_cm2": [float(lo), float(hi)], "reference_fwhm_meV": w_ref,
                             "drop_meV": drop})


excitons_two_photon = mean_excitons_two_photon
"""⟨N⟩ = g σ₂ J²/τ at a threshold fluence: alias of
:func:`multiphoton.models.excitation.mean_excitons_two_photon` (floats, arrays, UFloats)."""
