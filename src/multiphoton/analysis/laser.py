"""Lasing modes in cavity emission spectra, laser threshold and linewidth.

Pure functions on arrays. A lasing mode is a peak much narrower than the smooth
photoluminescence (PL) band it sits on and well above the noise; each mode is fitted
with a Lorentzian (or Voigt) plus a quadratic background (lmfit models). The laser
threshold is the zero crossing of a straight line fitted to the lasing-line intensity
above threshold (data contract, ``laser_threshold_mJ_cm2``).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from lmfit.models import GaussianModel, LorentzianModel, QuadraticModel, VoigtModel
from scipy.ndimage import median_filter
from scipy.signal import find_peaks, peak_widths
from uncertainties import correlated_values

from ..errors import InputError
from ..results import Estimate
from .noise import point_noise

__all__ = [
    "LasingMode",
    "LaserSeriesResult",
    "find_lasing_modes",
    "line_intensity",
    "laser_threshold",
    "analyze_laser_series",
]


@dataclass(frozen=True)
class LasingMode:
    """One fitted lasing mode.

    Attributes
    ----------
    energy : Estimate
        Mode centre (eV).
    fwhm : Estimate
        Full width at half maximum (meV).
    q : Estimate
        Quality factor Q = E / ΔE (dimensionless).
    area : float
        Fitted line area (counts·eV, spectrum units × eV).
    prominence : float
        Peak height above the smooth background in noise units (σ).
    """

    energy: Estimate
    fwhm: Estimate
    q: Estimate
    area: float
    prominence: float


@dataclass(frozen=True, eq=False)
class LaserSeriesResult:
    """Result of :func:`analyze_laser_series` (Estimates plus arrays for figures).

    Attributes
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,), ascending
    line_intensity : ndarray of shape (F,)
        Background-subtracted intensity integrated over the lasing line.
    above : ndarray of shape (F,), bool
        Points used in the above-threshold line.
    threshold : Estimate
        ``laser_threshold_mJ_cm2``.
    linewidth : Estimate
        ``laser_linewidth_meV``.
    mode_eV : ndarray of shape (K,)
        Mode energies found in the highest-fluence spectrum.
    line_eV : float
        Energy of the line whose intensity is followed (``nan`` without lasing).
    fit : tuple of float
        (slope, intercept) of line intensity vs fluence above threshold.
    """

    fluence_mJ_cm2: np.ndarray
    line_intensity: np.ndarray
    above: np.ndarray
    threshold: Estimate
    linewidth: Estimate
    mode_eV: np.ndarray
    line_eV: float
    fit: tuple = field(default=(float("nan"), float("nan")))


def _spectrum(energy_eV, counts):
    e = np.asarray(energy_eV, dtype=float)
    c = np.asarray(counts, dtype=float)
    if e.ndim != 1 or e.size < 7:
        raise InputError(f"`energy_eV` must be a 1-D array of at least 7 points, got shape {e.shape}.")
    if c.shape[-1:] != e.shape:
        raise InputError(f"`counts` has shape {c.shape}; its last axis must match `energy_eV` ({e.size}).")
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(c))):
        raise InputError("`energy_eV` and `counts` must be finite; remove NaN rows.")
    if np.unique(e).size != e.size:
        raise InputError("`energy_eV` contains repeated values; average the duplicate points.")
    order = np.argsort(e)
    return e[order], c[..., order]


def _index_to_energy(e, positions):
    return np.interp(positions, np.arange(e.size), e)


def find_lasing_modes(energy_eV, counts, *, k_sigma=6.0, max_width_ratio=0.1,
                      background_window_eV=0.01, model="lorentzian") -> list[LasingMode]:
    """Find and fit lasing modes: narrow peaks well above a smooth PL background.

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
        Photon energies (eV), any order.
    counts : ndarray of shape (M,)
        Emission spectrum (per eV).
    k_sigma : float, optional
        A mode must rise at least ``k_sigma`` noise σ above the smooth background
        (``scipy.signal.find_peaks`` prominence and height test).
    max_width_ratio : float, optional
        A mode's FWHM must be below this fraction of the PL band's FWHM.
    background_window_eV : float, optional
        Width of the running median that estimates the smooth PL background.
    model : {"lorentzian", "gaussian", "voigt", "auto"}, optional
        lmfit line shape (plus a quadratic local background: the PL under the line);
        ``"auto"`` fits all three and keeps the one of lowest BIC (a Lorentzian fitted
        to a Gaussian line reads its FWHM ≈ 6 % low); the method then names the shape
        chosen (``"auto:gaussian-fit"``).

    Returns
    -------
    list of LasingMode
        Sorted by energy; empty when no peak qualifies.

    Notes
    -----
    Noise σ from :func:`~multiphoton.analysis.noise.point_noise`. Background B = running median of the
    spectrum over ``background_window_eV``; PL FWHM = half-maximum width of B around
    its maximum (the whole window if B has no half-maximum crossing). Candidates from
    ``find_peaks(counts, prominence=kσ)``, widths at half the height above B
    (``peak_widths`` with that height as the prominence); kept when
    counts − B > kσ at the peak and width < ``max_width_ratio`` × PL FWHM, and again when
    the fitted line's height and FWHM pass the same two tests. Each is fitted
    over ±5 widths; a fit narrower than the local grid step is dropped, and fits within
    half a FWHM of each other are one line (the more prominent kept). With several modes,
    each is fitted again over a window ending halfway to the nearest other mode (a
    neighbour's flank is not background). Q = E/ΔE with its stderr from the fit's covariance (correlated
    ``uncertainties``).

    Examples
    --------
    >>> e = np.linspace(1.7, 1.9, 2001)
    >>> c = 100 * np.exp(-((e - 1.8) / 0.04) ** 2) + 500 / (1 + ((e - 1.81) / 0.0004) ** 2)
    >>> m = find_lasing_modes(e, c + np.random.default_rng(0).normal(0, 1, e.size))
    >>> len(m), round(m[0].energy.value, 4), round(m[0].fwhm.value, 2)
    (1, 1.81, 0.81)
    """
    e, c = _spectrum(energy_eV, counts)
    if c.ndim != 1:
        raise InputError(f"`counts` must be one spectrum of shape ({e.size},), got {c.shape}.")
    if model not in _LINE_MODELS:
        raise InputError(f"`model` must be one of {', '.join(_LINE_MODELS)}, got {model!r}.")
    sigma = point_noise(c)
    if sigma == 0:
        sigma = float(np.finfo(float).eps * max(1.0, np.max(np.abs(c))))
    spacing = float(np.median(np.diff(e)))
    size = max(5, int(round(background_window_eV / spacing)) | 1)
    bg = median_filter(c, size=size, mode="nearest")
    pl_fwhm = _band_fwhm_eV(e, bg)
    peaks, _ = find_peaks(c, prominence=k_sigma * sigma)
    if peaks.size == 0:
        return []
    # widths at half the height above the smooth background (not at half the prominence:
    # a line on top of the PL band would get the band's prominence and width)
    height = np.maximum(c[peaks] - bg[peaks], np.finfo(float).tiny)
    lb = np.maximum(peaks - size, 0)
    rb = np.minimum(peaks + size, c.size - 1)
    with warnings.catch_warnings():
        # a peak no higher than the background has width 0 (scipy warns; its warning class is
        # private); `keep` drops it below
        warnings.filterwarnings("ignore", message="some peaks have a width of 0")
        widths, _, left, right = peak_widths(c, peaks, rel_height=0.5, prominence_data=(height, lb, rb))
    width_eV = _index_to_energy(e, right) - _index_to_energy(e, left)
    keep = ((c[peaks] - bg[peaks]) > k_sigma * sigma) & (width_eV < max_width_ratio * pl_fwhm)
    found = _fit_candidates(e, c, bg, sigma, pl_fwhm, peaks[keep], widths[keep], width_eV[keep], model, k_sigma,
                            max_width_ratio, None)
    if len(found) < 2:
        return [m for _, m in found]
    # a second line within ±5 widths pulls the centre (and the width) towards it: refit each
    # mode with its window ending halfway to the nearest other mode found
    at = np.array([p for p, _ in found])
    refit = []
    for p, m in found:
        half = int(np.abs(at[at != p] - p).min() // 2)
        w_pts = m.fwhm.value / 1e3 / float(np.median(np.diff(e[max(p - 2, 0):p + 3])))
        again = _fit_candidates(e, c, bg, sigma, pl_fwhm, [p], [w_pts], [m.fwhm.value / 1e3], model, k_sigma,
                                max_width_ratio, half)
        refit.append(again[0] if again else (p, m))
    return _distinct(sorted((m for _, m in refit), key=lambda m: m.energy.value))


def _fit_candidates(e, c, bg, sigma, pl_fwhm, peaks, widths, width_eV, model, k_sigma, max_width_ratio,
                    max_half):
    """Fit each candidate peak; [(index, LasingMode)] of those that pass, one per line."""
    modes = []
    for p, w_pts, w_eV in zip(peaks, widths, width_eV):
        p = int(p)
        mode = _fit_mode(e, c, p, float(w_pts), float(w_eV), model, max_half)
        # the fitted line must pass the same tests (a noisy PL top can fool the raw width),
        # and be resolved: a fitted FWHM below the local grid step is a noise spike
        step = float(np.diff(e[max(p - 1, 0):p + 2]).min())
        if mode is not None and (mode[4] > k_sigma * sigma
                                 and step <= mode[1].value / 1e3 < max_width_ratio * pl_fwhm):
            modes.append((p, LasingMode(energy=mode[0], fwhm=mode[1], q=mode[2], area=mode[3],
                                        prominence=float((c[p] - bg[p]) / sigma))))
    modes.sort(key=lambda pm: pm[1].energy.value)
    out = []
    for pm in modes:  # fits of two candidates within half a FWHM: one line, the more prominent kept
        if out and abs(pm[1].energy.value - out[-1][1].energy.value) * 1e3 < 0.5 * max(pm[1].fwhm.value,
                                                                                     out[-1][1].fwhm.value):
            if pm[1].prominence > out[-1][1].prominence:
                out[-1] = pm
            continue
        out.append(pm)
    return out


def _distinct(modes):
    """Modes sorted by energy, those within half a FWHM of a kept one dropped (the more
    prominent kept)."""
    out = []
    for m in modes:
        if out and abs(m.energy.value - out[-1].energy.value) * 1e3 < 0.5 * max(m.fwhm.value, out[-1].fwhm.value):
            if m.prominence > out[-1].prominence:
                out[-1] = m
            continue
        out.append(m)
    return out


def _band_fwhm_eV(e, bg):
    j = int(np.argmax(bg))
    half = bg[j] / 2 + np.min(bg) / 2
    lo = np.flatnonzero(bg[:j] < half)
    hi = np.flatnonzero(bg[j:] < half)
    left = e[lo[-1]] if lo.size else e[0]
    right = e[j + hi[0]] if hi.size else e[-1]
    return float(max(right - left, np.median(np.diff(e))))


_LINE_MODELS = ("lorentzian", "gaussian", "voigt", "auto")
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


def _fit_mode(e, c, p, w_pts, w_eV, model, max_half=None):
    """One line fit (see :func:`_fit_shape`); ``"auto"``: the shape of lowest BIC."""
    if model != "auto":
        fit = _fit_shape(e, c, p, w_pts, w_eV, model, max_half)
        return None if fit is None else fit[:5]
    fits = [f for f in (_fit_shape(e, c, p, w_pts, w_eV, m, max_half) for m in ("lorentzian", "gaussian", "voigt"))
            if f is not None]
    if not fits:
        return None
    best = min(fits, key=lambda f: f[5])
    energy, width = best[0], best[1]
    tag = f"auto:{energy.method}"
    return (replace(energy, method=tag), replace(width, method=tag), *best[2:5])


def _fit_shape(e, c, p, w_pts, w_eV, model, max_half=None):
    half = max(int(math.ceil(5 * w_pts)), 4)
    if max_half is not None:  # stop short of a neighbouring mode (its flank is not background)
        half = max(min(half, int(max_half)), 4)
    lo, hi = max(p - half, 0), min(p + half + 1, e.size)
    # fit on a local axis u = (E − E_peak) in meV: well-conditioned (an intercept at E = 0
    # and a sub-meV width in eV make the covariance matrix singular)
    x = (e[lo:hi] - e[p]) * 1e3
    y = c[lo:hi]
    if x.size < 6:
        return None
    line = {"lorentzian": LorentzianModel, "gaussian": GaussianModel, "voigt": VoigtModel}[model]()
    mod = line + QuadraticModel()
    base = float(np.mean([y[0], y[-1]]))
    w = max(w_eV * 1e3, 1e-3)
    sig = {"lorentzian": w / 2, "gaussian": w / _FWHM_PER_SIGMA, "voigt": w / 3.6}[model]
    params = mod.make_params(center=0.0, sigma=sig, amplitude=(c[p] - base) * math.pi * sig,
                             a=0.0, b=0.0, c=base)
    # no bounds on the centre: lmfit's bound transform has a zero finite-difference step at
    # the midpoint of symmetric bounds, which loses the covariance; checked after the fit
    params["sigma"].set(min=1e-6, max=(x[-1] - x[0]))
    if model == "voigt":
        params["gamma"].set(value=sig, vary=True, expr="", min=0.0)
    # counting noise grows with the signal: weights 1/√y (relative; the covariance is scaled
    # by the residuals). The linewidth's RMS z of 2.4 (docs/calibration.md before issue 14's
    # fixes) came from spurious candidates (sub-grid noise spikes, duplicate fits of one line)
    # pulling the line found, not from the weights: with those removed (find_lasing_modes),
    # 40 drawn laser series give RMS z 1.19 weighted, 1.4 unweighted.
    floor = max(float(np.max(np.abs(y))) * 1e-3, np.finfo(float).tiny)
    res = mod.fit(y, params, x=x, weights=1.0 / np.sqrt(np.maximum(y, floor)))
    if not res.success or res.covar is None:
        return None
    # correlated ufloats of the varied parameters (ModelResult.uvars is not always set)
    uv = dict(zip(res.var_names, correlated_values([res.params[n].value for n in res.var_names],
                                                   res.covar)))
    center = e[p] + uv["center"] / 1e3  # eV
    if model == "lorentzian":
        fwhm_meV = 2.0 * uv["sigma"]
    elif model == "gaussian":
        fwhm_meV = _FWHM_PER_SIGMA * uv["sigma"]
    else:  # lmfit VoigtModel's own fwhm expression (Olivero & Longbothum approximation)
        g, sg = uv["gamma"], uv["sigma"]
        fwhm_meV = 1.0692 * g + (0.8664 * g**2 + 5.545083 * sg**2) ** 0.5
    fwhm = fwhm_meV / 1e3
    if not (fwhm.n > 0 and math.isfinite(fwhm.s) and math.isfinite(center.s)
            and x[0] <= uv["center"].n <= x[-1]):
        return None
    q = center / fwhm
    rchi = float(res.redchi)
    energy = Estimate.from_ufloat(center, method=f"{model}-fit", unit="eV", reduced_chi2=rchi)
    width = Estimate.from_ufloat(1e3 * fwhm, method=f"{model}-fit", unit="meV", reduced_chi2=rchi)
    qual = Estimate.from_ufloat(q, method="E/FWHM", unit="")
    peak_height = float(res.params["height"].value) if "height" in res.params else float(
        mod.left.eval(res.params, x=np.array([uv["center"].n]))[0])
    return (energy, width, qual, float(res.params["amplitude"].value) / 1e3, peak_height,  # area in counts·eV
            float(res.bic))


def line_intensity(energy_eV, counts, *, center_eV, half_window_eV):
    """Background-subtracted intensity integrated over one emission line.

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
        Photon energies (eV), any order.
    counts : ndarray of shape (M,) or (F, M)
        Spectrum or spectra (per eV).
    center_eV, half_window_eV : float
        The line window [center − half, center + half] (eV).

    Returns
    -------
    float or ndarray of shape (F,)
        ∫ (counts − baseline) dE over the window, trapezoid rule, in counts·eV; the
        baseline is a parabola least-squares fitted to the two flanks between one and two
        half-widths from the centre (the PL under the line, with its curvature). The
        line's own wings in the window and the flanks make the result a fixed fraction of
        the line area (≈ 0.85 for ± 3 FWHM of a Lorentzian), the same at every fluence.

    Examples
    --------
    >>> e = np.linspace(1.0, 2.0, 1001)
    >>> round(float(line_intensity(e, 3.0 + np.exp(-((e - 1.5) / 0.01) ** 2),
    ...                            center_eV=1.5, half_window_eV=0.1)), 4)
    0.0177
    """
    e, c = _spectrum(energy_eV, counts)
    dist = np.abs(e - center_eV)
    inside = dist <= half_window_eV
    flank = (dist > half_window_eV) & (dist <= 2 * half_window_eV)
    left = flank & (e < center_eV)
    right = flank & (e > center_eV)
    if np.count_nonzero(inside) < 5 or np.count_nonzero(left) < 2 or np.count_nonzero(right) < 2:
        raise InputError(
            f"the line window {center_eV:.4f} ± {half_window_eV:.4f} eV needs at least 5 spectral points "
            "inside and 2 on each flank (out to twice the half-width, within the spectrum); "
            "use a finer spectral grid or a line away from the spectrum's ends."
        )
    x = e[inside]
    y = c[..., inside]
    # quadratic baseline through both flanks: the PL under the line, with its curvature
    # (numpy.polynomial fits every spectrum at once: the flank values are columns)
    xf = e[flank] - center_eV
    yf = np.atleast_2d(c[..., flank])
    coef = np.polynomial.polynomial.polyfit(xf, yf.T, 2)  # (3, S)
    base = np.polynomial.polynomial.polyval(x - center_eV, coef)  # (S, W)
    out = np.trapezoid(np.atleast_2d(y) - base, x, axis=-1)
    return out if c.ndim > 1 else float(out[0])


def _line_fit(x, y, sigma):
    """Weighted straight line y = a x + b with covariance (numpy.polyfit)."""
    if sigma is None:
        coef, cov = np.polyfit(x, y, 1, cov=True)  # scaled by the residual scatter
    else:
        coef, cov = np.polyfit(x, y, 1, w=1.0 / sigma, cov="unscaled")
    return coef, cov


def laser_threshold(fluence_mJ_cm2, line_intensity, *, intensity_stderr=None, min_below=2,
                    min_above=3) -> Estimate:
    """Laser threshold: zero crossing of the line fitted to the intensity above threshold.

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
        Pump fluences (mJ/cm²), any order, no repeats.
    line_intensity : ndarray of shape (F,)
        Lasing-line intensity (background subtracted).
    intensity_stderr : ndarray of shape (F,), optional
        One-σ uncertainty of each intensity; without it the fit covariance is scaled by
        the residual scatter.
    min_below, min_above : int, optional
        Fewest points on the sub-threshold trend and on the above-threshold line.

    Returns
    -------
    Estimate
        value in mJ/cm²; ``params`` hold ``slope`` and ``intercept``; ``details`` hold
        ``above`` (bool per sorted fluence), ``n_above``, ``fit`` ([slope, intercept] above
        threshold) and ``below_fit`` (the sub-threshold line). ``success=False`` with the
        reason when no threshold can be identified.

    Notes
    -----
    Points above threshold: every split of the sorted fluences into a lower run of ≥
    ``min_below`` and an upper run of ≥ ``min_above`` points is tried; each run gets its
    own least-squares line and the split with the smallest total squared residual wins
    (a two-segment "hinge" by exhaustive search). A threshold needs the upper slope to
    exceed the lower one by more than 3 of its standard errors. The upper points are
    then fitted with I = a F + b (weighted, covariance C) and F_th = −b/a, with
    σ² = J C Jᵀ, J = (b/a², −1/a), evaluated with ``uncertainties`` so the a–b
    correlation is kept.

    References
    ----------
    Diroll et al., Nanoscale 2023 (Fig. 4c: threshold from the line above threshold).

    Examples
    --------
    >>> f = np.array([0.2, 0.4, 0.6, 0.8, 1.2, 1.6, 2.0, 2.4])
    >>> i = np.where(f > 1.0, 50 * (f - 1.0), 0.5 * f) + np.array([0, .1, -.1, 0, .2, -.2, .1, 0])
    >>> est = laser_threshold(f, i)
    >>> round(est.value, 2), est.details["above"]
    (1.0, [False, False, False, False, True, True, True, True])
    """
    x = np.asarray(fluence_mJ_cm2, dtype=float)
    y = np.asarray(line_intensity, dtype=float)
    if x.ndim != 1 or y.shape != x.shape:
        raise InputError(f"`fluence_mJ_cm2` {x.shape} and `line_intensity` {y.shape} must be 1-D of equal length.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InputError("`fluence_mJ_cm2` and `line_intensity` must be finite.")
    if np.unique(x).size != x.size:
        raise InputError("`fluence_mJ_cm2` contains repeated values; average the repeated points.")
    s = None
    if intensity_stderr is not None:
        s = np.asarray(intensity_stderr, dtype=float)
        if s.shape != x.shape or np.any(~np.isfinite(s)) or np.any(s <= 0):
            raise InputError("`intensity_stderr` must be finite, > 0 and one per fluence.")
    order = np.argsort(x)
    x, y = x[order], y[order]
    s = None if s is None else s[order]
    method = "line-above-threshold"
    n = x.size
    if n < min_below + min_above:
        return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit="mJ/cm2",
                        success=False,
                        message=(f"only {n} fluences: need at least {min_below} below and "
                                 f"{min_above} above threshold"))
    best = None
    for split in range(min_below, n - min_above + 1):
        sse = 0.0
        for sl in (slice(0, split), slice(split, n)):
            w = None if s is None else 1.0 / s[sl]
            _, res, *_ = np.polyfit(x[sl], y[sl], 1, w=w, full=True)
            sse += float(res[0]) if res.size else 0.0
        if best is None or sse < best[0]:
            best = (sse, split)
    split = best[1]
    above = np.zeros(n, bool)
    above[split:] = True
    (a, b), cov = _line_fit(x[above], y[above], None if s is None else s[above])
    below_coef, below_cov = (np.polyfit(x[~above], y[~above], 1), None)
    if (~above).sum() > 2:
        below_coef, below_cov = _line_fit(x[~above], y[~above], None if s is None else s[~above])
    slope_diff_err = math.sqrt(cov[0, 0] + (below_cov[0, 0] if below_cov is not None else 0.0))
    details = {"above": above.tolist(), "fit": [float(a), float(b)],
               "below_fit": [float(below_coef[0]), float(below_coef[1])],
               "n_above": int(above.sum())}
    if not (a > 0 and a - below_coef[0] > 3 * slope_diff_err):
        return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit="mJ/cm2",
                        success=False, details=details,
                        message=("no threshold: the line intensity does not rise above its "
                                 "sub-threshold trend (slope above threshold not significantly larger)"))
    ua, ub = correlated_values([a, b], cov)
    th = -ub / ua
    resid = y[above] - (a * x[above] + b)
    dof = int(above.sum()) - 2
    rchi = None
    if dof > 0:
        scale = 1.0 if s is None else s[above]
        rchi = float(np.sum((resid / scale) ** 2) / dof)
        if s is None:
            rchi = None  # scatter-scaled covariance: χ² carries no information
    return Estimate.from_ufloat(th, method=method, unit="mJ/cm2", reduced_chi2=rchi, residuals=resid,
                    params={"slope": (float(ua.n), float(ua.s)), "intercept": (float(ub.n), float(ub.s))},
                    details=details)


def _first_lasing_line(modes_per):
    """The highest-fluence mode found without a gap down to the lowest fluence."""
    best = None
    for top in modes_per[-1]:
        gate = 3 * top.fwhm.value / 1e3
        first = len(modes_per) - 1
        for i in range(len(modes_per) - 2, -1, -1):
            if any(abs(m.energy.value - top.energy.value) <= gate for m in modes_per[i]):
                first = i
            else:
                break
        key = (first, -top.area)
        if best is None or key < best[0]:
            best = (key, top, first)
    return best[1], best[2]


def analyze_laser_series(fluence_mJ_cm2, energy_eV, counts, *, k_sigma=6.0, max_width_ratio=0.1,
                         background_window_eV=0.01, window_fwhm=3.0, model="lorentzian",
                         linewidth_model="auto") -> LaserSeriesResult:
    """Laser threshold and linewidth from emission spectra vs pump fluence.

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
        Pump fluences (mJ/cm²), any order, no repeats.
    energy_eV : ndarray of shape (M,)
        Photon energies (eV), any order.
    counts : ndarray of shape (F, M)
        Spectra (per eV).
    k_sigma, max_width_ratio, background_window_eV, model
        Passed to :func:`find_lasing_modes`.
    window_fwhm : float, optional
        Half-width of the line-intensity window in units of the line FWHM.
    linewidth_model : {"auto", "lorentzian", "gaussian", "voigt"}, optional
        Line shape of the linewidth fit (default ``"auto"``: lowest BIC of the three).

    Returns
    -------
    LaserSeriesResult
        ``threshold`` has the ``details`` of :func:`laser_threshold` (``above``,
        ``n_above``, ``fit``, ``below_fit``); ``linewidth`` holds ``fluence_mJ_cm2``, the
        fluence of the spectrum it was fitted in.

    Notes
    -----
    The followed line is, among the modes of the highest-fluence spectrum, the one that
    is found continuously down to the lowest fluence (the first line to lase; ties go to
    the larger area); a narrow peak at low fluence that is absent at the top is ignored. Its intensity at every fluence is
    :func:`line_intensity` over ± ``window_fwhm`` FWHM (at least ±3 grid steps) and the
    threshold is :func:`laser_threshold`. The linewidth is the fitted FWHM of that line
    at the lowest fluence above threshold (the next one up when the line cannot be
    fitted there, which ``message`` then says).

    Examples
    --------
    >>> e = np.linspace(1.7, 1.9, 801); f = np.array([0.5, 0.8, 1.0, 1.3, 1.6, 2.0])
    >>> pl = 100 * np.exp(-((e - 1.8) / 0.04) ** 2)
    >>> line = 2000 * np.clip(f - 1.1, 0, None)[:, None] / (1 + ((e - 1.8) / 0.0005) ** 2)
    >>> noise = np.random.default_rng(3).normal(0, 1, (f.size, e.size))
    >>> r = analyze_laser_series(f, e, f[:, None] * pl + line + noise)
    >>> round(r.threshold.value, 2), round(r.linewidth.value, 1)
    (1.1, 1.0)
    """
    e, c = _spectrum(energy_eV, counts)
    f = np.asarray(fluence_mJ_cm2, dtype=float)
    if c.ndim != 2 or c.shape[0] != f.size:
        raise InputError(f"`counts` must have shape (len(fluence_mJ_cm2), len(energy_eV)) = ({f.size}, {e.size}), got {c.shape}.")
    if not np.all(np.isfinite(f)) or np.unique(f).size != f.size:
        raise InputError("`fluence_mJ_cm2` must be finite without repeats.")
    order = np.argsort(f)
    f, c = f[order], c[order]
    kw = dict(k_sigma=k_sigma, max_width_ratio=max_width_ratio,
              background_window_eV=background_window_eV, model=model)
    modes_per = [find_lasing_modes(e, spec, **kw) for spec in c]
    nan = float("nan")
    if not modes_per[-1]:
        reason = ("no lasing line: no peak narrower than the PL band "
                  f"(FWHM < {max_width_ratio:g} x PL FWHM, > {k_sigma:g} sigma above background) "
                  "in the highest-fluence spectrum")
        fail = Estimate(value=nan, stderr=nan, method="line-above-threshold", unit="mJ/cm2", success=False,
                        message=reason)
        lw = Estimate(value=nan, stderr=nan, method=f"{model}-fit", unit="meV", success=False, message=reason)
        return LaserSeriesResult(f, np.full(f.size, nan), np.zeros(f.size, bool), fail, lw,
                                 np.array([]), nan)
    line, first = _first_lasing_line(modes_per)
    center = line.energy.value
    spacing = float(np.median(np.diff(e)))
    half = max(window_fwhm * line.fwhm.value / 1e3, 3 * spacing)
    intensity = line_intensity(e, c, center_eV=center, half_window_eV=half)
    th = laser_threshold(f, intensity)
    above = np.array(th.details.get("above", [False] * f.size), bool)
    mode_eV = np.array([m.energy.value for m in modes_per[-1]])
    fit = tuple(th.details.get("fit", (nan, nan)))
    if not th.success:
        lw = Estimate(value=nan, stderr=nan, method=f"{model}-fit", unit="meV", success=False,
                      message=f"no linewidth: {th.message}")
        return LaserSeriesResult(f, intensity, above, th, lw, mode_eV, center, fit)
    lw = None
    skipped = []
    for i in np.flatnonzero(above):
        found = modes_per[i] if linewidth_model == model else find_lasing_modes(
            e, c[i], **{**kw, "model": linewidth_model})
        near = [m for m in found if abs(m.energy.value - center) <= half]
        if near:
            m = min(near, key=lambda m: abs(m.energy.value - center))
            msg = ""
            if skipped:
                msg = (f"line not resolved at {', '.join(f'{x:g}' for x in skipped)} mJ/cm2; "
                       f"linewidth taken at {f[i]:g} mJ/cm2")
            lw = Estimate(value=m.fwhm.value, stderr=m.fwhm.stderr, method=m.fwhm.method, unit="meV",
                          reduced_chi2=m.fwhm.reduced_chi2, message=msg,
                          params={"energy_eV": (m.energy.value, m.energy.stderr), "Q": (m.q.value, m.q.stderr)},
                          details={"fluence_mJ_cm2": float(f[i])})
            break
        skipped.append(float(f[i]))
    if lw is None:
        lw = Estimate(value=nan, stderr=nan, method=f"{model}-fit", unit="meV", success=False,
                      message="the lasing line could not be fitted at any fluence above threshold")
    return LaserSeriesResult(f, intensity, above, th, lw, mode_eV, center, fit)
