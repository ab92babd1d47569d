"""Open-aperture Z-scan: the two-photon absorption coefficient β and σ₂ without a reference dye.

Pure array functions. A Gaussian beam (1/e² intensity radius w₀ at the focus, Rayleigh
range z_R) is scanned through a thin sample of length L; two-photon absorption removes
a fraction of the pulse that grows towards the focus. The normalised transmittance
T(z) gives q₀ = β I₀ L_eff, hence β from the pulse energy, the waist and the pulse
shape, and σ₂ = β hν / N from the particle number density N.
"""
from __future__ import annotations

import functools
import math

import numpy as np
from scipy import optimize

from ..constants import AVOGADRO_PER_MOL, ELEMENTARY_CHARGE_C, GM_CM4_S, LN10
from ..errors import InputError
from ..results import Estimate
from ..units import PULSE_SHAPES

__all__ = [
    "pulse_time_nodes",
    "open_aperture_transmittance",
    "peak_intensity_W_cm2",
    "effective_length_cm",
    "fit_open_aperture",
    "sigma2_from_beta_GM",
]

_NODES = 24


def pulse_time_nodes(pulse_shape: str = "gaussian", *, order: int = _NODES):
    """Quadrature of the peak-normalised temporal profile p(t) (p(0) = 1).

    Parameters
    ----------
    pulse_shape : {"gaussian", "sech2", "rect"}
    order : int, optional
        Number of nodes.

    Returns
    -------
    p : ndarray of shape (order,)
        p(t_i) at the nodes.
    w : ndarray of shape (order,)
        Weights in units of the pulse FWHM, so that Σ w g(p) = ∫ g(p(t)) dt / τ.

    Notes
    -----
    Gaussian: p = exp(−4 ln2 t²/τ²), Gauss–Hermite nodes (exact for the series below);
    sech²: p = sech²(2 arccosh(√2) t/τ), Gauss–Legendre on tanh-mapped time;
    rect: p = 1 on |t| < τ/2 (one node of weight 1).

    Examples
    --------
    >>> p, w = pulse_time_nodes("gaussian")
    >>> round(float(np.sum(w * p)), 6)  # ∫p dt / τ = √(π / 4 ln 2)
    1.064467
    """
    if pulse_shape not in PULSE_SHAPES:
        raise InputError(f"pulse_shape {pulse_shape!r} is not known; use one of {', '.join(PULSE_SHAPES)}.")
    p, w = _nodes(pulse_shape, int(order))
    return p.copy(), w.copy()


@functools.lru_cache(maxsize=16)
def _nodes(pulse_shape: str, order: int):
    if pulse_shape == "rect":
        return np.ones(1), np.ones(1)
    if pulse_shape == "gaussian":
        x, w = np.polynomial.hermite.hermgauss(int(order))
        # p = exp(-x²) with t = x τ / (2√ln2): ∫ g dt / τ = Σ w e^{x²}… use the Hermite weight directly
        p = np.exp(-x**2)
        return p, w * np.exp(x**2) / (2.0 * math.sqrt(math.log(2.0)))
    # sech²: p = 1 - s² with s = tanh(a t/τ), a = 2 arccosh(√2); dt = τ ds / (a (1 - s²))
    a = 2.0 * math.acosh(math.sqrt(2.0))
    s, w = np.polynomial.legendre.leggauss(int(order))
    p = 1.0 - s**2
    return p, w / (a * p)


def _ln1p_over(q):
    """ln(1 + q)/q, finite at q → 0 (the spatial integral of a Gaussian beam)."""
    q = np.asarray(q, dtype=float)
    small = np.abs(q) < 1e-6
    safe = np.where(small, 1.0, q)
    return np.where(small, 1.0 - q / 2.0 + q**2 / 3.0, np.log1p(safe) / safe)


def open_aperture_transmittance(z_mm, q0, *, focus_mm: float = 0.0, rayleigh_mm: float = 1.0,
                                pulse_shape: str = "gaussian") -> np.ndarray:
    """Normalised open-aperture transmittance T(z) of a thin two-photon absorber.

    Parameters
    ----------
    z_mm : ndarray of shape (Z,)
        Sample position, mm.
    q0 : float
        On-axis peak q₀ = β I₀ L_eff at the focus (≥ 0; any size, not only q₀ < 1).
    focus_mm, rayleigh_mm : float
        Focus position z₀ and Rayleigh range z_R, mm.
    pulse_shape : {"gaussian", "sech2", "rect"}

    Returns
    -------
    ndarray of shape (Z,)
        Transmittance normalised to 1 far from the focus.

    Notes
    -----
    With q(z, t) = q₀ p(t) / (1 + x²), x = (z − z₀)/z_R, the radial integral over a
    Gaussian spatial profile is exactly ln(1 + q)/q (Sheik-Bahae et al. 1990, eq. 40),
    and the energy transmittance is T = ∫ ln(1 + q(t)) dt / ∫ q(t) dt. The time integral
    is done by quadrature (:func:`pulse_time_nodes`), exact for any q₀; for a Gaussian
    pulse and q₀ < 1 it equals Σₘ (−q)^m/(m + 1)^{3/2} (tested), which diverges for q ≥ 1.

    References
    ----------
    M. Sheik-Bahae, A. A. Said, T.-H. Wei, D. J. Hagan, E. W. Van Stryland, "Sensitive
    measurement of optical nonlinearities using a single beam", IEEE J. Quantum Electron.
    26, 760 (1990).

    Examples
    --------
    >>> t = open_aperture_transmittance([0.0, 100.0], 0.5, rayleigh_mm=1.0)
    >>> [round(float(v), 4) for v in t]
    [0.8598, 1.0]
    """
    z = np.asarray(z_mm, dtype=float)
    pulse_time_nodes(pulse_shape, order=1)  # validates the shape
    p, w = _nodes(pulse_shape, _NODES)
    q = float(q0) / (1.0 + ((z - focus_mm) / rayleigh_mm) ** 2)
    qp = q[:, None] * p[None, :]
    # ∫ ln(1+q p) dt / ∫ q p dt = Σ w p·f(qp) / Σ w p with f(x) = ln(1+x)/x
    return (p[None, :] * _ln1p_over(qp)) @ w / (p @ w)


def peak_intensity_W_cm2(pulse_energy_nJ, beam_waist_um, pulse_fwhm_fs, pulse_shape: str = "gaussian"):
    """On-axis peak intensity I₀ = 2E / (π w₀² τ ∫p dt/τ) at the focus (W/cm²).

    Floats and ``uncertainties`` numbers.

    Examples
    --------
    >>> f"{peak_intensity_W_cm2(50.0, 20.0, 60.0):.4e}"
    '1.2460e+11'
    """
    p, w = pulse_time_nodes(pulse_shape)
    area_cm2 = math.pi * (beam_waist_um * 1e-4) ** 2 / 2.0
    return pulse_energy_nJ * 1e-9 / (area_cm2 * pulse_fwhm_fs * 1e-15 * float(p @ w))


def effective_length_cm(path_cm, linear_absorbance=0.0):
    """L_eff = (1 − e^{−αL})/α, α = ln10 · A / L (cm); L when A = 0.

    Examples
    --------
    >>> round(effective_length_cm(0.1, 0.0), 6), round(effective_length_cm(0.1, 0.1), 6)
    (0.1, 0.089322)
    """
    a = float(getattr(linear_absorbance, "nominal_value", linear_absorbance))
    if not float(getattr(path_cm, "nominal_value", path_cm)) > 0 or not a >= 0:
        raise InputError(f"path_cm must be > 0 and linear_absorbance >= 0; got {path_cm!r}, {linear_absorbance!r}.")
    if a == 0.0:
        return path_cm
    od = LN10 * linear_absorbance
    return path_cm * (1.0 - math.e ** (-od)) / od  # works on ufloats too (float ** UFloat)


def _model_and_slope(z, q0, z0, zr, shape):
    """T(z) and ∂T/∂q at q = q₀/(1 + x²) (for the analytic Jacobian of the fit)."""
    p, w = _nodes(shape, _NODES)
    x = (z - z0) / zr
    q = q0 / (1.0 + x**2)
    y = q[:, None] * p[None, :]
    f = _ln1p_over(y)
    small = np.abs(y) < 1e-4
    safe = np.where(small, 1.0, y)
    df = np.where(small, -0.5 + 2.0 * y / 3.0, (1.0 / (1.0 + safe) - f) / safe)  # d/dy [ln(1+y)/y]
    norm = float(p @ w)
    return (p[None, :] * f) @ w / norm, (p[None, :] ** 2 * df) @ w / norm, x


def fit_open_aperture(z_mm, transmittance, *, pulse_shape: str = "gaussian", focus_mm: float | None = None,
                      rayleigh_mm: float | None = None) -> Estimate:
    """Fit q₀ (and the focus z₀, Rayleigh range z_R unless given) to an open-aperture scan.

    Parameters
    ----------
    z_mm : ndarray of shape (Z,)
        Sample positions, mm (any order).
    transmittance : ndarray of shape (Z,)
        Normalised transmittance (1 far from focus).
    pulse_shape : {"gaussian", "sech2", "rect"}
    focus_mm, rayleigh_mm : float, optional
        Fixed z₀ / z_R (mm); fitted when None.

    Returns
    -------
    Estimate
        q₀ (dimensionless), method ``"zscan-open-aperture"``; ``params`` hold
        ``focus_mm``, ``rayleigh_mm`` (value, stderr; stderr 0 when given);
        ``residuals`` (T − model, in the order given); ``details``: ``noise`` (the
        per-point noise estimated from the residuals), ``n_points``, ``fixed``
        (the names of the parameters given), ``stderr_contains``.

    Notes
    -----
    Least squares (scipy ``least_squares``, trust region) with equal weights; the noise
    is unknown and estimated from the residuals, so stderr = √(diag((JᵀJ)⁻¹) · χ²/(Z − p)).
    Fails when the dip is not resolved (q₀ below 3 stderr) or the scan does not
    reach the wings (|z − z₀| < 3 z_R everywhere).

    Examples
    --------
    >>> z = np.linspace(-20, 20, 201)
    >>> t = open_aperture_transmittance(z, 0.6, focus_mm=0.5, rayleigh_mm=2.0)
    >>> round(fit_open_aperture(z, t).value, 6)
    0.6
    """
    z = np.asarray(z_mm, dtype=float)
    t = np.asarray(transmittance, dtype=float)
    if z.ndim != 1 or z.shape != t.shape:
        raise InputError(f"z_mm and transmittance must be 1-D of one length; got {z.shape} and {t.shape}.")
    if z.size < 8 or not (np.all(np.isfinite(z)) and np.all(np.isfinite(t))):
        raise InputError(f"a Z-scan fit needs at least 8 finite points; got {z.size}.")
    fixed = tuple(n for n, v in (("focus_mm", focus_mm), ("rayleigh_mm", rayleigh_mm)) if v is not None)
    span = float(z.max() - z.min())
    i_min = int(np.argmin(t))
    depth = max(1.0 - float(t[i_min]), 1e-3)
    z0_g = float(z[i_min]) if focus_mm is None else float(focus_mm)
    below = z[t < 1.0 - depth / 2.0]
    zr_g = (float(below.max() - below.min()) / 2.0 if below.size > 1 else span / 20) if rayleigh_mm is None else None
    q_g = min(2.0 * depth, 5.0)
    names = ["q0"] + (["focus_mm"] if focus_mm is None else []) + (["rayleigh_mm"] if rayleigh_mm is None else [])
    x0 = [q_g] + ([z0_g] if focus_mm is None else []) + ([max(zr_g, span / 200)] if rayleigh_mm is None else [])
    lo = [0.0] + ([z.min()] if focus_mm is None else []) + ([span / 1000] if rayleigh_mm is None else [])
    hi = [np.inf] + ([z.max()] if focus_mm is None else []) + ([span] if rayleigh_mm is None else [])

    def unpack(x):
        k = 1
        z0 = focus_mm if focus_mm is not None else x[k]
        k += focus_mm is None
        zr = rayleigh_mm if rayleigh_mm is not None else x[k]
        return x[0], z0, zr

    def resid(x):
        return _model_and_slope(z, *unpack(x), pulse_shape)[0] - t

    def jac(x):
        q0, z0, zr = unpack(x)
        _, dt_dq, u = _model_and_slope(z, q0, z0, zr, pulse_shape)
        den = 1.0 + u**2
        cols = [dt_dq / den]
        if focus_mm is None:
            cols.append(dt_dq * q0 * 2.0 * u / (zr * den**2))
        if rayleigh_mm is None:
            cols.append(dt_dq * q0 * 2.0 * u**2 / (zr * den**2))
        return np.stack(cols, axis=1)

    sol = optimize.least_squares(resid, np.clip(x0, lo, hi), jac=jac, bounds=(lo, hi), x_scale="jac",
                                 method="trf")
    dof = z.size - len(names)
    chi2 = float(sol.fun @ sol.fun)
    noise = math.sqrt(chi2 / dof)
    try:
        cov = np.linalg.inv(sol.jac.T @ sol.jac) * noise**2
        err = np.sqrt(np.diag(cov))
    except np.linalg.LinAlgError:
        err = np.full(len(names), np.nan)
    q0, z0, zr = unpack(sol.x)
    fitted = dict(zip(names, zip(sol.x, err)))
    params = {"focus_mm": tuple(map(float, fitted.get("focus_mm", (z0, 0.0)))),
              "rayleigh_mm": tuple(map(float, fitted.get("rayleigh_mm", (zr, 0.0))))}
    details = {"noise": noise, "n_points": int(z.size), "fixed": list(fixed),
               "stderr_contains": "noise (from the residuals) of q0 with focus and Rayleigh range fitted jointly"}
    message = ""
    ok = bool(sol.success) and np.isfinite(err[0])
    if ok and q0 < 3.0 * err[0]:
        ok, message = False, f"no two-photon dip resolved: q0 = {q0:.3g} ± {err[0]:.2g} (below 3 stderr)"
    elif ok and np.max(np.abs(z - z0)) < 3.0 * zr:
        ok, message = False, (f"the scan (±{np.max(np.abs(z - z0)):.3g} mm about the focus) does not reach "
                              f"3 Rayleigh ranges ({3 * zr:.3g} mm): the normalisation is not checked")
    elif not ok:
        message = f"Z-scan fit did not converge: {sol.message}"
    if not ok:
        return Estimate(value=float("nan"), stderr=float("nan"), method="zscan-open-aperture", success=False,
                        message=message, params=params, details=details)
    return Estimate(value=float(q0), stderr=float(err[0]), method="zscan-open-aperture", unit="",
                    reduced_chi2=1.0, residuals=-sol.fun, params=params, details=details)


def sigma2_from_beta_GM(beta_cm_per_GW, *, excitation_eV, particle_concentration_M):
    """σ₂ = β hν / N (GM), N = c N_A / 1000 the particle number density (cm⁻³).

    Floats and ``uncertainties`` numbers.

    Examples
    --------
    >>> f"{sigma2_from_beta_GM(0.04, excitation_eV=1.55, particle_concentration_M=1e-6):.4e}"
    '1.6495e+06'
    """
    if not float(getattr(particle_concentration_M, "nominal_value", particle_concentration_M)) > 0:
        raise InputError(f"particle_concentration_M must be > 0; got {particle_concentration_M!r}.")
    n_per_cm3 = particle_concentration_M * AVOGADRO_PER_MOL / 1000.0
    return beta_cm_per_GW * 1e-9 * excitation_eV * ELEMENTARY_CHARGE_C / n_per_cm3 / GM_CM4_S
