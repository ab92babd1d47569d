"""Decay model functions for time-resolved photoluminescence (pure numpy/scipy).

Model functions only; fitting lives in :mod:`multiphoton.analysis.decay` (and decay_batch, biexciton).

* :func:`exp_conv_gauss` — one exponential convolved with a Gaussian instrument
  response (IRF), finite for any IRF width through ``scipy.special.erfcx``.
* :func:`multi_exp_conv_gauss` — a sum of such components plus a constant background.
* :func:`stretched_exp_conv_gauss` — a stretched exponential, convolved numerically.
* :func:`exp_conv_irf` / :func:`multi_exp_conv_irf` — exponentials convolved with a
  *measured* IRF on the same uniform time grid, shifted by a fitted sub-bin offset
  (linear interpolation).

Amplitude convention: ``amplitude`` is the height at ``t0_ns`` of the exponential
*before* convolution; the IRF has unit area, so the convolved curve keeps the area
``amplitude * tau_ns``.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import signal, special

from ..errors import InputError

__all__ = [
    "FWHM_PER_SIGMA",
    "exp_conv_gauss",
    "multi_exp_conv_gauss",
    "stretched_exp_conv_gauss",
    "shift_irf",
    "exp_conv_irf",
    "multi_exp_conv_irf",
]

FWHM_PER_SIGMA: float = 2.0 * math.sqrt(2.0 * math.log(2.0))
"""FWHM of a Gaussian in units of its standard deviation (≈ 2.3548)."""

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)


def _exp_gauss_unit(d, tau_ns, sigma_ns):
    """Unit-amplitude exp(−d/τ)·H(d) convolved with a unit-area Gaussian of std σ.

    Returns (f, g): the convolved decay and the Gaussian IRF itself at ``d``. ``tau_ns``
    and ``sigma_ns`` may be arrays broadcasting against ``d`` (batched fits).
    Hand-written because scipy has no exponentially-modified Gaussian with the erfcx
    switch needed for sharp IRFs (pyglotaran's decay kernel does the same).
    Only the band |x| < 6 around the rise needs erfcx: for x ≤ −6, erfc(x) = 2 to double
    precision and f = exp(−d/τ + σ²/2τ²); for x ≥ 6 (d < −8σ) f and g are < 1e-14 and set 0.
    """
    d = np.asarray(d, dtype=float)
    if np.ndim(sigma_ns) == 0 and sigma_ns <= 0.0:
        f = np.where(d >= 0.0, np.exp(-np.clip(d, 0.0, None) / tau_ns), 0.0)
        return f, np.zeros_like(d)
    shape = np.broadcast_shapes(d.shape, np.shape(tau_ns), np.shape(sigma_ns))
    d = np.broadcast_to(d, shape)
    k = 1.0 / np.asarray(tau_ns, dtype=float)
    s = np.asarray(sigma_ns, dtype=float)
    x = (k * s - d / s) * (1.0 / _SQRT2)
    f = np.zeros(shape)
    g = np.zeros(shape)
    tail = x <= -6.0
    # exponent <= -σ²/2τ² in the tail, no overflow
    f[tail] = np.exp(np.broadcast_to(0.5 * (k * s) ** 2, shape)[tail]
                     - (np.broadcast_to(k, shape) * d)[tail])
    band = (~tail) & (x < 6.0)
    if np.any(band):
        xb, db = x[band], d[band]
        kb, sb = np.broadcast_to(k, shape)[band], np.broadcast_to(s, shape)[band]
        gauss = np.exp(-0.5 * (db / sb) ** 2)
        # x >= 0: exp·erfc = exp(−d²/2σ²)·erfcx(x); x < 0: exp(E)·(2 − erfc(−x)), erfc(−x) via erfcx
        e = gauss * special.erfcx(np.abs(xb))
        neg = xb < 0
        fb = 0.5 * e
        fb[neg] = np.exp(0.5 * (kb[neg] * sb[neg]) ** 2 - kb[neg] * db[neg]) - 0.5 * e[neg]
        f[band] = fb
        g[band] = gauss / (sb * _SQRT2PI)
    return f, g


def _exp_gauss_partials(d, tau_ns, sigma_ns):
    """f and its analytic partial derivatives ∂f/∂τ, ∂f/∂t0, ∂f/∂σ (unit amplitude).

    With k = 1/τ and g the Gaussian IRF: ∂f/∂d = g − k f, ∂f/∂k = (kσ² − d) f − σ² g,
    ∂f/∂σ = σ ∂²f/∂d² = −(d/σ) g − σ k g + σ k² f.
    """
    f, g = _exp_gauss_unit(d, tau_ns, sigma_ns)
    k = 1.0 / np.asarray(tau_ns, dtype=float)
    s2 = sigma_ns**2
    df_dk = (k * s2 - d) * f - s2 * g
    df_dtau = -df_dk * k * k
    df_dt0 = k * f - g
    if np.ndim(sigma_ns) or sigma_ns > 0.0:
        df_ds = -(d / sigma_ns) * g - sigma_ns * k * g + sigma_ns * k * k * f
    else:
        df_ds = np.zeros_like(f)
    return f, df_dtau, df_dt0, df_ds


def _check_positive(name, value):
    if not (np.isfinite(value) and value > 0):
        raise InputError(f"{name} must be a finite number > 0, got {value!r}.")


def exp_conv_gauss(time_ns, *, amplitude, tau_ns, t0_ns, irf_fwhm_ns):
    """Exponential decay convolved with a Gaussian instrument response.

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Times in ns (any order; the output follows it).
    amplitude : float
        Height of the unconvolved exponential at ``t0_ns`` (counts).
    tau_ns : float
        Decay time in ns, > 0.
    t0_ns : float
        Time zero (centre of the Gaussian IRF) in ns.
    irf_fwhm_ns : float
        FWHM of the Gaussian IRF in ns; 0 gives the bare exponential times a step.

    Returns
    -------
    ndarray of shape (T,)
        Model counts.

    Notes
    -----
    With d = t − t0, σ = FWHM / (2√(2 ln 2)) and x = (σ/τ − d/σ)/√2,

    .. math:: f(t) = \\frac{A}{2} e^{-d/τ + σ^2/2τ^2}\\,\\mathrm{erfc}(x)
                   = \\frac{A}{2} e^{-d^2/2σ^2}\\,\\mathrm{erfcx}(x).

    The first form is used for x < 0, the second for x ≥ 0, so the result stays finite
    for IRFs much sharper than τ, where exp·erfc alone overflows to inf·0 = NaN.

    References
    ----------
    .. [1] pyglotaran, ``glotaran/builtin/megacomplexes/decay/decay_matrix_gaussian_irf.py``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([-1.0, 0.0, 5.0, 1e4])
    >>> y = exp_conv_gauss(t, amplitude=100.0, tau_ns=5.0, t0_ns=0.0, irf_fwhm_ns=1e-6)
    >>> [round(float(v), 3) for v in y]
    [0.0, 50.0, 36.788, 0.0]
    """
    _check_positive("tau_ns", tau_ns)
    if not (np.isfinite(irf_fwhm_ns) and irf_fwhm_ns >= 0):
        raise InputError(f"irf_fwhm_ns must be finite and >= 0, got {irf_fwhm_ns!r}.")
    t = np.asarray(time_ns, dtype=float)
    f, _ = _exp_gauss_unit(t - t0_ns, float(tau_ns), irf_fwhm_ns / FWHM_PER_SIGMA)
    return amplitude * f


def multi_exp_conv_gauss(time_ns, *, amplitudes, taus_ns, t0_ns, irf_fwhm_ns, background=0.0):
    """Sum of exponentials convolved with a Gaussian IRF, plus a constant background.

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Times in ns.
    amplitudes, taus_ns : sequence of float, length n
        Component amplitudes (counts at t0) and decay times (ns).
    t0_ns, irf_fwhm_ns : float
        Time zero and Gaussian IRF FWHM in ns.
    background : float
        Constant offset (counts per bin).

    Returns
    -------
    ndarray of shape (T,)

    Notes
    -----
    f(t) = b + Σᵢ Aᵢ (exp(−(t−t0)/τᵢ) H(t−t0)) ⊗ G(t; FWHM), see :func:`exp_conv_gauss`.

    Examples
    --------
    >>> y = multi_exp_conv_gauss([0.0, 2.0], amplitudes=[1.0, 1.0], taus_ns=[1.0, 2.0],
    ...                          t0_ns=0.0, irf_fwhm_ns=0.0, background=0.5)
    >>> [round(float(v), 4) for v in y]
    [2.5, 1.0032]
    """
    amplitudes = np.atleast_1d(np.asarray(amplitudes, dtype=float))
    taus = np.atleast_1d(np.asarray(taus_ns, dtype=float))
    if amplitudes.shape != taus.shape:
        raise InputError(
            f"amplitudes ({amplitudes.size}) and taus_ns ({taus.size}) must have the same length."
        )
    t = np.asarray(time_ns, dtype=float)
    out = np.full(t.shape, float(background))
    for a, tau in zip(amplitudes, taus):
        out += exp_conv_gauss(t, amplitude=a, tau_ns=tau, t0_ns=t0_ns, irf_fwhm_ns=irf_fwhm_ns)
    return out


def stretched_exp_conv_gauss(time_ns, *, amplitude, tau_ns, beta, t0_ns, irf_fwhm_ns, background=0.0):
    """Stretched exponential A exp(−((t−t0)/τ)^β) H(t−t0) convolved with a Gaussian IRF.

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Times in ns (any order, not necessarily uniform).
    amplitude, tau_ns, beta : float
        Height at t0, characteristic time (ns) and stretching exponent 0 < β ≤ 1 (up to 2 allowed).
    t0_ns, irf_fwhm_ns : float
        Time zero and Gaussian IRF FWHM (ns).
    background : float
        Constant offset.

    Returns
    -------
    ndarray of shape (T,)

    Notes
    -----
    No closed form exists, so the convolution is numerical: the decay is sampled on a
    uniform grid anchored at t0 with step h = min(median Δt, FWHM/20), convolved with the
    sampled unit-area Gaussian (``scipy.signal.fftconvolve``) and linearly interpolated onto
    ``time_ns``. For β = 1 it agrees with :func:`exp_conv_gauss` to ~1e-3 relative.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(-2, 20, 221)
    >>> a = stretched_exp_conv_gauss(t, amplitude=1.0, tau_ns=3.0, beta=1.0, t0_ns=0.0, irf_fwhm_ns=0.5)
    >>> b = exp_conv_gauss(t, amplitude=1.0, tau_ns=3.0, t0_ns=0.0, irf_fwhm_ns=0.5)
    >>> bool(np.max(np.abs(a - b)) < 2e-3)
    True
    """
    _check_positive("tau_ns", tau_ns)
    if not (np.isfinite(beta) and 0 < beta <= 2):
        raise InputError(f"beta must be in (0, 2], got {beta!r}.")
    t = np.asarray(time_ns, dtype=float)
    if t.size == 0:
        return np.zeros(0)
    sigma = irf_fwhm_ns / FWHM_PER_SIGMA
    ts = np.sort(t)
    dt = float(np.median(np.diff(ts))) if t.size > 1 else tau_ns / 20.0
    h = dt if sigma <= 0 else min(dt, irf_fwhm_ns / 20.0)
    h = max(h, 1e-6 * tau_ns)
    half = 6.0 * sigma
    k_lo = math.floor((ts[0] - half - t0_ns) / h) - 1
    k_hi = math.ceil((ts[-1] + half - t0_ns) / h) + 1
    grid = t0_ns + h * np.arange(k_lo, k_hi + 1)
    d = grid - t0_ns
    decay = np.where(d >= 0, np.exp(-(np.clip(d, 0, None) / tau_ns) ** beta), 0.0)
    if sigma > 0:
        # the step sits on a grid point: weight it ½ (trapezoid rule for the convolution integral)
        decay[d == 0] = 0.5
        m = int(math.ceil(half / h))
        kern = np.exp(-0.5 * (h * np.arange(-m, m + 1) / sigma) ** 2)
        kern /= kern.sum()
        decay = signal.fftconvolve(decay, kern, mode="same")
    return background + amplitude * np.interp(t, grid, decay)


def _check_uniform(time_ns, what="time_ns"):
    t = np.asarray(time_ns, dtype=float)
    dt = np.diff(t)
    if t.size < 2 or np.any(dt <= 0) or not np.allclose(dt, dt[0], rtol=1e-6, atol=0):
        raise InputError(
            f"{what} must be strictly increasing and uniformly spaced to convolve with a "
            "measured IRF; resample the trace and the IRF onto one uniform grid."
        )
    return float(dt[0])


def shift_irf(time_ns, irf_counts, *, shift_ns):
    """The measured IRF moved later by ``shift_ns`` (linear interpolation, zero outside).

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Uniform, increasing time grid in ns.
    irf_counts : ndarray of shape (T,)
        IRF on that grid.
    shift_ns : float
        Shift in ns (positive = later); sub-bin values interpolate linearly.

    Returns
    -------
    ndarray of shape (T,)
        irf(t − shift_ns).

    Examples
    --------
    >>> [float(v) for v in shift_irf([0.0, 1.0, 2.0, 3.0], [0.0, 2.0, 0.0, 0.0], shift_ns=0.5)]
    [0.0, 1.0, 1.0, 0.0]
    """
    t = np.asarray(time_ns, dtype=float)
    irf = np.asarray(irf_counts, dtype=float)
    if t.ndim != 1 or irf.shape != t.shape:
        raise InputError(f"irf_counts must be on the time grid: shapes {irf.shape} and {t.shape} differ.")
    if np.any(np.diff(t) <= 0):  # numpy.interp would silently return nonsense
        raise InputError("time_ns must be strictly increasing to shift the IRF; sort the trace and IRF.")
    return np.interp(t - shift_ns, t, irf, left=0.0, right=0.0)


def _exp_irf_unit(irf_norm, tau_ns, dt_ns, *, with_derivative=False):
    """Discrete convolution Σ_j w_(i−j) irf[j] q^(i−j), q = exp(−Δt/τ), w_0 = ½, w_n>0 = 1.

    ``scipy.signal.lfilter`` implements y[i] = q y[i−1] + x[i] in O(T), which is exactly
    the convolution with the sampled exponential kernel q^n; the lag-0 term is then halved
    (trapezoid rule for the convolution integral, error O(Δt²) instead of O(Δt)). The
    τ-derivative uses the kernel n q^n Δt/τ² (second-order recursion).
    """
    q = math.exp(-dt_ns / tau_ns)
    y = signal.lfilter([1.0], [1.0, -q], irf_norm) - 0.5 * irf_norm
    if not with_derivative:
        return y
    nq = signal.lfilter([0.0, q], [1.0, -2.0 * q, q * q], irf_norm)
    return y, nq * dt_ns / tau_ns**2


def exp_conv_irf(time_ns, *, amplitude, tau_ns, irf_counts, shift_ns=0.0):
    """Exponential convolved with a measured IRF (same uniform grid), shifted by ``shift_ns``.

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Uniform, increasing time grid in ns.
    amplitude : float
        Height of the unconvolved exponential (counts); the IRF is normalised to unit sum.
    tau_ns : float
        Decay time, ns.
    irf_counts : ndarray of shape (T,)
        Measured IRF on ``time_ns`` (background-free, not all zero).
    shift_ns : float
        Delay of the IRF relative to the data, ns (sub-bin by linear interpolation).

    Returns
    -------
    ndarray of shape (T,)

    Notes
    -----
    y[i] = A Σ_{j ≤ i} w_{i−j} irf(t_j − shift) q^{i−j}, q = exp(−Δt/τ), Σ irf = 1, w₀ = ½
    and w_n = 1 otherwise: the trapezoid-rule discretisation of A·(exp(−t/τ)H(t)) ⊗ IRF
    (the step of the decay falls inside the IRF's bin, hence the half weight).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(6.0)
    >>> y = exp_conv_irf(t, amplitude=1.0, tau_ns=1.0, irf_counts=[0, 1, 0, 0, 0, 0])
    >>> [round(float(v), 4) for v in y]
    [0.0, 0.5, 0.3679, 0.1353, 0.0498, 0.0183]
    """
    return multi_exp_conv_irf(
        time_ns, amplitudes=[amplitude], taus_ns=[tau_ns], irf_counts=irf_counts, shift_ns=shift_ns
    )


def multi_exp_conv_irf(time_ns, *, amplitudes, taus_ns, irf_counts, shift_ns=0.0, background=0.0):
    """Sum of exponentials convolved with a shifted measured IRF, plus a constant background.

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Uniform, increasing time grid in ns.
    amplitudes, taus_ns : sequence of float, length n
        Amplitudes (counts) and decay times (ns).
    irf_counts : ndarray of shape (T,)
        Measured IRF on the same grid.
    shift_ns, background : float
        IRF shift (ns) and constant offset (counts).

    Returns
    -------
    ndarray of shape (T,)

    Examples
    --------
    >>> y = multi_exp_conv_irf([0.0, 1.0, 2.0], amplitudes=[2.0], taus_ns=[1e9],
    ...                        irf_counts=[1.0, 0.0, 0.0], background=1.0)
    >>> [round(float(v), 6) for v in y]
    [2.0, 3.0, 3.0]
    """
    t = np.asarray(time_ns, dtype=float)
    dt = _check_uniform(t)
    irf = np.asarray(irf_counts, dtype=float)
    if irf.shape != t.shape:
        raise InputError(
            f"irf_counts has shape {irf.shape} but time_ns has {t.shape}; give the IRF on the "
            "same time grid as the decay."
        )
    shifted = shift_irf(t, irf, shift_ns=shift_ns)
    total = shifted.sum()
    if not total > 0:
        raise InputError("irf_counts sums to zero after shifting; check the IRF and shift_ns.")
    shifted = shifted / total
    out = np.full(t.shape, float(background))
    for a, tau in zip(np.atleast_1d(amplitudes), np.atleast_1d(taus_ns)):
        _check_positive("tau_ns", tau)
        out += a * _exp_irf_unit(shifted, float(tau), dt)
    return out
