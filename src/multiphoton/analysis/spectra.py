"""Emission spectra: integrated intensity, peak energy, linewidth, normalisation.

Pure functions on arrays (energy axis in eV, counts per eV). Used by the PL, ASE and
laser analyses and by Table 1.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import interpolate, signal

from ..errors import InputError
from ..results import Estimate
from .noise import point_noise

__all__ = ["wing_baseline", "prepare_spectra", "integrated_intensity", "integrated_intensity_stderr", "peak_energy", "fwhm_meV", "normalize", "noise_level"]

_MIN_POINTS = 7


def _check_spectrum(energy_eV, counts, *, ndim1=True):
    e = np.array(energy_eV, dtype=float)
    y = np.array(counts, dtype=float)
    if e.ndim != 1:
        raise InputError(f"energy_eV must be 1-D, got shape {e.shape}.")
    if y.shape[-1:] != e.shape or (ndim1 and y.ndim != 1):
        want = "(M,)" if ndim1 else "(..., M)"
        raise InputError(f"counts must have shape {want} with M = {e.size} (len(energy_eV)), "
                         f"got {y.shape}.")
    if e.size < _MIN_POINTS:
        raise InputError(f"a spectrum needs at least {_MIN_POINTS} points, got {e.size}.")
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(y))):
        raise InputError("energy_eV and counts must be finite; remove NaN/inf points.")
    order = np.argsort(e, kind="stable")
    e = e[order]
    y = y[..., order]
    if np.any(np.diff(e) <= 0):
        raise InputError("energy_eV has repeated values; each energy must appear once.")
    return e, y


def integrated_intensity(energy_eV, counts):
    """Area under the spectrum (trapezoid rule over the last axis).

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
        Energy axis in eV, any order.
    counts : ndarray of shape (..., M)
        Spectral density per eV.

    Returns
    -------
    float or ndarray of shape (...)
        ∫ counts dE (counts × eV).

    Examples
    --------
    >>> round(integrated_intensity([1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6], [1, 1, 1, 1, 1, 1, 1]), 6)
    0.6
    """
    e, y = _check_spectrum(energy_eV, counts, ndim1=False)
    out = np.trapezoid(y, e, axis=-1)
    return float(out) if np.ndim(out) == 0 else out


def integrated_intensity_stderr(energy_eV, counts, *, window: int = 9):
    """Counting-noise standard error of :func:`integrated_intensity`, from the data.

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
        Energy axis in eV, any order.
    counts : ndarray of shape (..., M)
        Spectral density per eV (counts, or counts times a smooth Jacobian).
    window : int, optional
        Points of the Savitzky–Golay smooth (cubic) the noise is measured against.

    Returns
    -------
    float or ndarray of shape (...)
        σ of ∫ counts dE, in counts × eV; NaN for a spectrum with fewer than ``window``
        points or no signal.

    Notes
    -----
    Shot-noise-like variance model var(cᵢ) = g · ĉᵢ, ĉ the Savitzky–Golay smooth
    (``scipy.signal.savgol_filter``, cubic, ``window`` points) and g one gain per spectrum
    (1 for raw counts per bin; the Jacobian λ²/hc, nearly constant over a band, for spectra
    converted from per-nm). g is measured from the points above 2 % of the maximum:
    g = mean(rᵢ²), spikes beyond 5 robust σ (1.4826 · MAD) left out, with
    rᵢ = (cᵢ − ĉᵢ)/√(ĉᵢ (1 − h₀)), h₀ the filter's central
    coefficient (the residual of a linear smoother has variance σ²(1 − h₀)). Then
    σ² = g Σ wᵢ² ĉᵢ with wᵢ the trapezoid weights. Detector read noise is not modelled
    (negligible for spectra of thousands of counts).

    Examples
    --------
    >>> e = np.linspace(1.7, 2.1, 401)
    >>> clean = 4e4 * np.exp(-0.5 * ((e - 1.9) / 0.03) ** 2)
    >>> rng = np.random.default_rng(0)
    >>> draws = np.array([integrated_intensity(e, rng.poisson(clean)) for _ in range(200)])
    >>> ratio = integrated_intensity_stderr(e, rng.poisson(clean)) / draws.std()
    >>> bool(0.85 < ratio < 1.15)
    True
    """
    from scipy.signal import savgol_coeffs, savgol_filter

    from .noise import MAD_TO_SIGMA

    e, y = _check_spectrum(energy_eV, counts, ndim1=False)
    order = np.argsort(e)
    e, y = e[order], y[..., order]
    if e.size < window:
        out = np.full(y.shape[:-1], np.nan)
        return float(out) if out.ndim == 0 else out
    smooth = savgol_filter(y, window, 3, axis=-1)
    h0 = float(savgol_coeffs(window, 3)[window // 2])
    w = np.zeros(e.size)
    d = np.diff(e)
    w[:-1] += d / 2
    w[1:] += d / 2
    flat_s, flat_y = smooth.reshape(-1, e.size), y.reshape(-1, e.size)
    out = np.full(flat_s.shape[0], np.nan)
    for i, (sm, yy) in enumerate(zip(flat_s, flat_y)):
        top = float(np.max(sm))
        sel = sm > 0.02 * top
        if not (top > 0 and np.count_nonzero(sel) >= 5):
            continue
        r = (yy[sel] - sm[sel]) / np.sqrt(sm[sel] * (1.0 - h0))
        # mean square (efficient) after dropping spikes beyond 5 robust sigmas
        robust = MAD_TO_SIGMA * float(np.median(np.abs(r - np.median(r))))
        r = r[np.abs(r) <= 5.0 * robust] if robust > 0 else r
        gain = float(np.mean(r**2))
        out[i] = math.sqrt(gain * float(np.sum(w**2 * np.clip(sm, 0.0, None))))
    out = out.reshape(y.shape[:-1])
    return float(out) if out.ndim == 0 else out


def normalize(counts, *, energy_eV=None, method="max"):
    """Spectra divided by their maximum (or area) along the last axis; a new array.

    Parameters
    ----------
    counts : ndarray of shape (..., M)
    energy_eV : ndarray of shape (M,), optional
        Needed for ``method="area"``.
    method : {"max", "area"}

    Returns
    -------
    ndarray of shape (..., M)

    Examples
    --------
    >>> normalize([1.0, 4.0, 2.0]).tolist()
    [0.25, 1.0, 0.5]
    """
    y = np.array(counts, dtype=float)
    if method == "max":
        scale = np.max(y, axis=-1, keepdims=True)
    elif method == "area":
        if energy_eV is None:
            raise InputError("normalize(method='area') needs energy_eV.")
        e = np.asarray(energy_eV, dtype=float)
        order = np.argsort(e)
        scale = np.trapezoid(y[..., order], e[order], axis=-1)[..., None]
    else:
        raise InputError(f"method {method!r} is not known; use 'max' or 'area'.")
    if np.any(~np.isfinite(scale)) or np.any(scale <= 0):
        raise InputError("cannot normalize a spectrum whose maximum/area is <= 0 or not finite.")
    return y / scale


noise_level = point_noise
"""Robust noise σ of a smooth spectrum (the one estimator, :func:`~multiphoton.analysis.noise.point_noise`)."""


def _uniform(e, y):
    """Resample onto a uniform grid with the same number of points (for Savitzky–Golay).

    A cubic spline keeps the second derivative continuous (linear interpolation would add
    kinks at every sample that the second-derivative method would pick up).
    """
    de = np.diff(e)
    if np.allclose(de, de[0], rtol=1e-6, atol=0):
        return e, y
    grid = np.linspace(e[0], e[-1], e.size)
    return grid, interpolate.CubicSpline(e, y)(grid)


def _robust_width(y):
    """FWHM in points of the dominant line, robust to sparse/noisy data; and the smoothed copy.

    Starts from the second moment of the positive part (2.355 × its standard deviation),
    then alternates: smooth with a cubic Savitzky–Golay window of a quarter of the width
    (at least 5 points; SG preserves a line's width to second order), measure the width
    at half maximum of the smoothed copy — until it changes by < 10 % (≤ 5 rounds). A
    narrow line on a broad one (ASE on PL) is found because the width shrinks each round.
    Returns (width_pts, smoothed, window).
    """
    yp = np.clip(y, 0.0, None)
    tot = yp.sum()
    x = np.arange(y.size)
    if tot > 0:
        mean = np.sum(x * yp) / tot
        width = max(2.3548 * math.sqrt(np.sum((x - mean) ** 2 * yp) / tot), 3.0)
    else:
        width = 3.0
    ys, wl = y, 1
    for _ in range(5):
        wl = max(5, int(width / 4) | 1)
        ys = signal.savgol_filter(y, wl, 3) if wl <= y.size else y
        new = float(_half_max_width_pts(ys))
        done = abs(new - width) < 0.1 * width
        width = new
        if done:
            break
    return width, ys, wl


def _half_max_width_pts(y):
    ipk = int(np.argmax(y))
    half = 0.5 * y[ipk]
    lo = ipk
    while lo > 0 and y[lo] > half:
        lo -= 1
    hi = ipk
    while hi < y.size - 1 and y[hi] > half:
        hi += 1
    return max(hi - lo, 3)


def _edge_maximum(e, y, method):
    """A failed Estimate when the (smoothed) maximum lies at the edge of the data, else None."""
    k = max(3, y.size // 50)
    ys = np.convolve(y, np.ones(k) / k, mode="same") if y.size > 2 * k else y
    ipk = int(np.argmax(ys[k // 2: y.size - k // 2])) + k // 2 if y.size > 2 * k else int(np.argmax(y))
    imax = int(np.argmax(y))
    if min(ipk, imax) <= k // 2 + 1 or max(ipk, imax) >= y.size - 2 - k // 2:
        i = imax if imax in (0, y.size - 1) else ipk
        side = "low" if i < y.size // 2 else "high"
        return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit="eV", success=False,
                        message=(f"the maximum is at the {side}-energy edge of the data ({e[i]:.4f} eV, "
                                 f"point {i + 1} of {y.size}): no peak inside the spectrum (a rising "
                                 "background, a Raman or laser line, or a cut spectrum); widen the range"),
                        details={"edge_eV": float(e[i])})
    return None


def peak_energy(energy_eV, counts, *, method="second-derivative", fraction=0.5,
                lineshape="gaussian") -> Estimate:
    """Energy of the emission maximum, in eV.

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
        Energy axis in eV (any order, M ≥ 7).
    counts : ndarray of shape (M,)
        Spectrum (per eV).
    method : {"second-derivative", "peak-fit"}
        ``"second-derivative"``: minimum of the Savitzky–Golay second derivative (the
        paper's method); ``"peak-fit"``: lmfit Gaussian or pseudo-Voigt fitted to the
        points above ``fraction`` of the maximum around it.
    fraction : float
        Peak-fit region: contiguous points above this fraction of the maximum.
    lineshape : {"gaussian", "pseudo-voigt"}
        Peak-fit line shape.

    Returns
    -------
    Estimate
        Peak energy in eV. ``details``: for the second derivative ``windows_points`` (the
        Savitzky–Golay widths) and ``peaks_eV`` (the minimum found with each); for the peak
        fit ``fit_range_eV`` (first and last energy fitted) and ``lineshape``, and when the
        fit fails ``last_iterate_eV`` (where the optimiser stopped). A maximum at the edge
        of the data (within max(3, M/50) points of it) fails with ``edge_eV``: there is no
        peak inside the spectrum; so does a peak fit whose region above ``fraction`` reaches
        the data's edge (it would extrapolate) or whose centre ends outside its window.

    Notes
    -----
    Second derivative: on a uniform grid (cubic-spline resampling if needed), for five
    Savitzky–Golay windows (cubic, widths 1/3, 0.45, 0.6, 0.8 and 1 × the FWHM in points,
    at least 5 points; the minimum of d²y/dE² of a symmetric line stays at its centre for
    any symmetric smoothing, while short windows amplify noise) the minimum of d²y/dE²
    within the region above half maximum is located and refined by a parabola through
    its three neighbours. Value: mean over windows; stderr: standard deviation over
    windows combined in quadrature with the grid step/√12.
    Peak fit: least squares by lmfit, stderr from its covariance (scaled by χ²_red).

    References
    ----------
    .. [1] B. T. Diroll et al., Nanoscale (2023), Table 2 footnote b.

    Examples
    --------
    >>> import numpy as np
    >>> e = np.linspace(1.8, 2.1, 301)
    >>> y = np.exp(-0.5 * ((e - 1.925) / 0.03) ** 2)
    >>> round(peak_energy(e, y).value, 4)
    1.925
    >>> noisy = y + np.random.default_rng(0).normal(0, 0.01, e.size)  # a fit needs a residual
    >>> round(peak_energy(e, noisy, method="peak-fit").value, 3)
    1.925
    """
    e, y = _check_spectrum(energy_eV, counts)
    if not np.max(y) > 0:
        raise InputError("counts has no positive value; there is no peak to locate.")
    edge = _edge_maximum(e, y, method)
    if edge is not None:
        return edge
    if method == "second-derivative":
        return _peak_second_derivative(e, y)
    if method == "peak-fit":
        return _peak_fit(e, y, fraction=fraction, lineshape=lineshape)
    raise InputError(f"method {method!r} is not known; use 'second-derivative' or 'peak-fit'.")


def _peak_second_derivative(e, y):
    eu, yu = _uniform(e, y)
    step = eu[1] - eu[0]
    width, ysm, _ = _robust_width(yu)
    windows = sorted({max(5, int(round(width * f)) | 1) for f in (1 / 3, 0.45, 0.6, 0.8, 1.0)})
    windows = [wl for wl in windows if wl <= yu.size] or [5]
    ipk = int(np.argmax(ysm))
    half = 0.5 * ysm[ipk]
    lo, hi = ipk, ipk
    while lo > 0 and ysm[lo] > half:
        lo -= 1
    while hi < yu.size - 1 and ysm[hi] > half:
        hi += 1
    peaks = []
    for wl in windows:
        d2 = signal.savgol_filter(yu, wl, 3, deriv=2, delta=step)
        seg = slice(max(lo, 1), min(hi, yu.size - 2) + 1)
        i = seg.start + int(np.argmin(d2[seg]))
        a, b, c = d2[i - 1], d2[i], d2[i + 1]
        den = a - 2 * b + c
        off = 0.5 * (a - c) / den if den > 0 else 0.0
        peaks.append(eu[i] + np.clip(off, -1, 1) * step)
    peaks = np.array(peaks)
    stderr = math.sqrt(np.var(peaks, ddof=1 if peaks.size > 1 else 0) + step**2 / 12.0)
    return Estimate(value=float(peaks.mean()), stderr=stderr, method="second-derivative",
                    unit="eV", details={"windows_points": windows, "peaks_eV": peaks.tolist()})


def _peak_fit(e, y, *, fraction, lineshape):
    import lmfit

    ipk = int(np.argmax(y))
    lo, hi = ipk, ipk
    while lo > 0 and y[lo - 1] > fraction * y[ipk]:
        lo -= 1
    while hi < y.size - 1 and y[hi + 1] > fraction * y[ipk]:
        hi += 1
    if hi - lo + 1 < 5:
        lo, hi = max(ipk - 3, 0), min(ipk + 3, y.size - 1)
    if lo == 0 or hi == y.size - 1:
        side = "low" if lo == 0 else "high"
        return Estimate(value=float("nan"), stderr=float("nan"), method="peak-fit", unit="eV",
                        success=False, details={"edge_eV": float(e[0] if lo == 0 else e[-1])},
                        message=(f"the line does not fall below {fraction:g} of its maximum on the "
                                 f"{side}-energy side within the data: a fit would extrapolate "
                                 "beyond the data"))
    x, z = e[lo:hi + 1], y[lo:hi + 1]
    if x.size < 5:
        return Estimate(value=float("nan"), stderr=float("nan"), method="peak-fit", unit="eV",
                        success=False, message="fewer than 5 points around the maximum")
    if lineshape == "gaussian":
        model = lmfit.models.GaussianModel()
    elif lineshape == "pseudo-voigt":
        model = lmfit.models.PseudoVoigtModel()
    else:
        raise InputError(f"lineshape {lineshape!r} is not known; use 'gaussian' or 'pseudo-voigt'.")
    top = float(np.max(np.abs(z)))
    z = z / top  # fit a unit-height line: lmfit's covariance fails for amplitudes ~1e5
    params = model.guess(z, x=x)
    # unbounded: lmfit's bound transform loses the centre's error bar when it starts at the
    # window's midpoint; a centre outside the window is refused below instead
    params["center"].set(value=e[ipk])
    # weights 1/σ with σ the point-to-point noise of the spectrum itself (in its own units,
    # counts or counts per eV), so that χ²_red is ≈ 1 for a line shape that fits; the
    # centre's stderr is unchanged (lmfit scales the covariance by χ²_red either way)
    sigma = point_noise(y) / top
    res = model.fit(z, params, x=x, weights=None if not sigma > 0 else np.full(z.size, 1.0 / sigma))
    center = res.params["center"]
    stderr = center.stderr if center.stderr is not None else float("nan")
    details = {"fit_range_eV": [float(x[0]), float(x[-1])], "lineshape": lineshape}
    if res.success and not (x[0] < center.value < x[-1]):
        return Estimate(value=float("nan"), stderr=float("nan"), method="peak-fit", unit="eV",
                        success=False, reduced_chi2=float(res.redchi),
                        message=f"the fitted centre ({center.value:.4f} eV) is outside its fit window",
                        details={**details, "last_iterate_eV": float(center.value)})
    if not (bool(res.success) and np.isfinite(stderr)):
        why = (f"peak fit did not converge: {res.message}" if not res.success else
               "peak fit: the centre's standard error could not be estimated")
        return Estimate(value=float("nan"), stderr=float("nan"), method="peak-fit", unit="eV",
                        success=False, reduced_chi2=float(res.redchi), message=why,
                        details={**details, "last_iterate_eV": float(center.value)})
    dof = max(x.size - len(res.params), 1)
    misfit = ""
    if sigma > 0 and res.redchi > 1.0 + 5.0 * math.sqrt(2.0 / dof) and res.redchi > 3.0:
        better = "pseudo-voigt" if lineshape == "gaussian" else "a sum of lines (shoulder or second band)"
        misfit = (f"the {lineshape} line shape misfits the peak (reduced chi2 {res.redchi:.3g} with the "
                  f"spectrum's own noise); try {better}")
    return Estimate(value=float(center.value), stderr=float(stderr), method="peak-fit", message=misfit,
                    unit="eV", reduced_chi2=float(res.redchi),
                    residuals=np.asarray(res.residual),
                    params={"sigma_eV": (float(res.params["sigma"].value),
                                         float(res.params["sigma"].stderr or np.nan))},
                    details=details)


def fwhm_meV(energy_eV, counts) -> Estimate:
    """Full width at half maximum in meV (interpolated half-maximum crossings).

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
        Energy axis in eV (any order).
    counts : ndarray of shape (M,)
        Spectrum with one dominant peak.

    Returns
    -------
    Estimate
        FWHM in meV; ``success=False`` when a half-maximum crossing lies outside the data or
        the smoothed peak is less than 5 times its noise. ``details``: ``left_eV`` and
        ``right_eV``, the half-maximum crossings.

    Notes
    -----
    The maximum, the half-maximum level and the crossings come from a smoothed copy (cubic
    Savitzky–Golay over a quarter of the FWHM, at least 5 points, the width found
    iteratively so that sparse photon-counting spectra and a narrow ASE line on a broad PL
    band are both handled). Walking outward from the maximum, the first samples below half
    maximum on each side are linearly interpolated with their inner neighbours. Stderr:
    for each crossing σ_E = √(σ² + (σ/2)²)/|slope| with σ the noise of the smoothed curve
    (from the residual raw − smoothed over the line), added in quadrature, plus the grid
    step/√12 per side.

    Examples
    --------
    >>> import numpy as np
    >>> e = np.linspace(1.8, 2.1, 601)
    >>> y = np.exp(-0.5 * ((e - 1.95) / 0.02) ** 2)
    >>> round(fwhm_meV(e, y).value, 2)
    47.1
    """
    e, y = _check_spectrum(energy_eV, counts)
    if not np.max(y) > 0:
        raise InputError("counts has no positive value; there is no peak to measure.")
    _, ys, wl = _robust_width(y)
    ipk = int(np.argmax(ys))
    half = 0.5 * ys[ipk]
    # noise of the smoothed curve: σ_raw from the residual y − ys over the line
    # (var(residual) = σ²(1 − Σc²) for a Savitzky–Golay projection c), times √Σc²
    gain2 = float(np.sum(signal.savgol_coeffs(wl, 3) ** 2)) if wl >= 5 and wl <= y.size else 1.0
    on_line = ys > 0.25 * ys[ipk]
    resid = (y - ys)[on_line]
    sigma_raw = float(np.std(resid) / math.sqrt(max(1.0 - gain2, 1e-6))) if resid.size > 2 else 0.0
    sigma = sigma_raw * math.sqrt(gain2) if gain2 < 1.0 else noise_level(y)
    if sigma > 0 and ys[ipk] < 5.0 * sigma:
        return Estimate(value=float("nan"), stderr=float("nan"), method="half-max-crossings",
                        unit="meV", success=False,
                        message=f"peak only {ys[ipk] / sigma:.1f} times the noise of the smoothed "
                                "spectrum (need 5); the width cannot be read — integrate longer")
    i = ipk
    while i > 0 and ys[i] > half:
        i -= 1
    j = ipk
    while j < y.size - 1 and ys[j] > half:
        j += 1
    if ys[i] > half or ys[j] > half:
        return Estimate(value=float("nan"), stderr=float("nan"), method="half-max-crossings",
                        unit="meV", success=False,
                        message="the spectrum does not fall below half maximum on both sides of "
                                "the peak within the data; widen the energy range")

    def cross(a, b):
        slope = (ys[b] - ys[a]) / (e[b] - e[a])
        x = e[a] + (half - ys[a]) / slope
        err = math.sqrt(sigma**2 * 1.25) / abs(slope) if slope != 0 else float("inf")
        return x, err, abs(e[b] - e[a])

    left, el, sl = cross(i, i + 1)
    right, er, sr = cross(j - 1, j)
    value = (right - left) * 1e3
    stderr = math.sqrt(el**2 + er**2 + (sl**2 + sr**2) / 12.0) * 1e3
    return Estimate(value=float(value), stderr=float(stderr), method="half-max-crossings",
                    unit="meV", details={"left_eV": float(left), "right_eV": float(right)})


def wing_baseline(energy_eV, counts, *, fraction=0.05):
    """A linear baseline through the spectrum's wings (its outer ``fraction`` of points).

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
        Energy axis in eV (any order).
    counts : ndarray of shape (M,)
        Spectrum.
    fraction : float
        Share of the points at each end taken as wing (at least 3).

    Returns
    -------
    baseline : ndarray of shape (M,)
        On ``energy_eV``'s order.
    details : dict
        ``kind`` ("linear", "constant" or "none"), ``wings_eV`` (the two wing centres),
        ``levels`` (their mean counts).

    Notes
    -----
    The line passes through the mean of each wing. A wing above half the spectrum's maximum
    holds the line itself, not a baseline: then the other wing gives a constant, and when
    both are, no baseline is estimated (``kind = "none"``).

    Examples
    --------
    >>> import numpy as np
    >>> e = np.linspace(1.8, 2.2, 201)
    >>> y = np.exp(-0.5 * ((e - 2.0) / 0.02) ** 2) + 0.1 + 0.5 * (e - 1.8)
    >>> b, d = wing_baseline(e, y)
    >>> d["kind"], round(float(b[100]), 2)
    ('linear', 0.2)
    """
    e, y = _check_spectrum(energy_eV, counts)
    order = np.argsort(np.asarray(energy_eV, dtype=float), kind="stable")
    k = max(3, int(round(fraction * e.size)))
    el, er = float(e[:k].mean()), float(e[-k:].mean())
    yl, yr = float(y[:k].mean()), float(y[-k:].mean())
    top = float(np.max(y))
    ok_l, ok_r = yl < 0.5 * top, yr < 0.5 * top
    if ok_l and ok_r:
        base, kind = yl + (yr - yl) * (e - el) / (er - el), "linear"
    elif ok_l or ok_r:
        base, kind = np.full(e.size, yl if ok_l else yr), "constant"
    else:
        base, kind = np.zeros(e.size), "none"
    out = np.empty(e.size)
    out[order] = base
    return out, {"kind": kind, "wings_eV": [el, er], "levels": [yl, yr]}


def prepare_spectra(energy_eV, counts, *, background=None, baseline="wings", integration_eV=None):
    """Spectra with their background or baseline removed, restricted to an integration window.

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
        Energy axis, eV, ascending.
    counts : ndarray of shape (M,) or (F, M)
        One spectrum or a series.
    background : (energy_eV (K,), counts (K,)) or None
        A measured dark/background spectrum, interpolated onto ``energy_eV`` and subtracted
        from every spectrum (then no baseline is estimated).
    baseline : {"wings", "none"}
        Without ``background``: ``"wings"`` subtracts :func:`wing_baseline` of each spectrum
        (the detector offset), ``"none"`` leaves the counts as they are.
    integration_eV : (float, float) or None
        Keep only lo ≤ E ≤ hi (every integrated quantity then uses this window).

    Returns
    -------
    energy_eV : ndarray of shape (M',)
    counts : ndarray of shape like ``counts`` with M' points
    details : dict
        ``baseline`` ("background", "linear", "constant", "none"; one per spectrum of a series
        as a list), ``integration_eV``.

    Raises
    ------
    InputError
        A background that does not cover the energy axis, an integration window holding
        fewer than 7 points, an unknown ``baseline``.

    Examples
    --------
    >>> import numpy as np
    >>> e = np.linspace(1.8, 2.2, 201)
    >>> y = np.exp(-0.5 * ((e - 2.0) / 0.02) ** 2) + 0.3
    >>> e2, y2, d = prepare_spectra(e, y, integration_eV=(1.9, 2.1))
    >>> d["baseline"], round(float(y2.min()), 3), e2.size
    ('linear', 0.0, 101)
    """
    e = np.asarray(energy_eV, dtype=float)
    c = np.array(counts, dtype=float)
    single = c.ndim == 1
    c2 = c[None, :] if single else c
    if baseline not in ("wings", "none"):
        raise InputError(f"baseline {baseline!r} is not known; use 'wings' or 'none'.")
    if background is not None:
        be, bc = (np.asarray(a, dtype=float) for a in background)
        order = np.argsort(be)
        be, bc = be[order], bc[order]
        if be[0] > e[0] + 1e-9 or be[-1] < e[-1] - 1e-9:
            raise InputError(f"the background spectrum covers {be[0]:.4g}-{be[-1]:.4g} eV, not the "
                             f"spectrum's {e[0]:.4g}-{e[-1]:.4g} eV; record it over the same range.")
        c2 = c2 - np.interp(e, be, bc)[None, :]
        kinds = ["background"] * c2.shape[0]
    elif baseline == "wings":
        kinds = []
        rows = []
        for row in c2:
            b, how = wing_baseline(e, row)
            rows.append(row - b)
            kinds.append(how["kind"])
        c2 = np.array(rows)
    else:
        kinds = ["none"] * c2.shape[0]
    if integration_eV is not None:
        lo, hi = float(integration_eV[0]), float(integration_eV[1])
        keep = (e >= lo) & (e <= hi)
        if np.count_nonzero(keep) < _MIN_POINTS:
            raise InputError(f"integration_eV [{lo}, {hi}] holds {np.count_nonzero(keep)} points; at least "
                             f"{_MIN_POINTS} are needed (the data cover {e[0]:.4g}-{e[-1]:.4g} eV).")
        e, c2 = e[keep], c2[:, keep]
    details = {"baseline": kinds[0] if single else kinds,
               "integration_eV": None if integration_eV is None else [float(integration_eV[0]),
                                                                      float(integration_eV[1])]}
    return e, (c2[0] if single else c2), details
