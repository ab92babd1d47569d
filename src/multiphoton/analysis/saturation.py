"""Absolute cross sections from the saturation of the single-exciton emission with fluence.

Pure array functions. Excitons per particle are Poisson distributed with mean ⟨N⟩ = σ₁J
(one photon) or gσ₂J²/τ (two photon); the fraction of particles left with one exciton
after the multiexcitons have decayed is 1 − e^{−⟨N⟩}, so the single-exciton amplitude
saturates at a fluence set by the cross section alone: no reference dye, no quantum
yield, no collection efficiency. A Gaussian pump spot softens the curve (its edge never
saturates); the fit averages over the spot.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from ..constants import ELEMENTARY_CHARGE_C, GM_CM4_S
from ..errors import InputError
from ..models.cascade import cascade_pl, cascade_rates_per_ns
from ..models.excitation import beam_average, poisson_populations
from ..results import Estimate
from ..units import pulse_shape_factor
from .decay import _rise_features
from .varpro import _cov_from_jac

__all__ = ["state_weights", "saturation_curve", "fit_saturation", "late_amplitudes", "cascade_traces",
           "fit_saturation_traces"]

N_MAX = 40


def state_weights(observable: str = "ideal", *, tau_x_ns: float | None = None, tau_xx_ns: float | None = None,
                  n_max: int = N_MAX, radiative_scaling: str = "n",
                  auger_scaling: str = "n2(n-1)/4") -> np.ndarray:
    """Signal c_N of a particle that starts with N excitons, N = 0…n_max.

    Parameters
    ----------
    observable : {"ideal", "trpl-late", "pl-integrated"}
        ``ideal``: c_N = 1 for N ≥ 1 (the 1 − e^{−⟨N⟩} of the data contract);
        ``trpl-late``: the single-exciton amplitude extrapolated from delays ≫ τ_XX to t = 0;
        ``pl-integrated``: photons emitted over the whole cascade (per single-exciton photon).
    tau_x_ns, tau_xx_ns : float
        Lifetimes (needed except for ``ideal``).
    n_max, radiative_scaling, auger_scaling
        Cascade model (:func:`multiphoton.models.cascade.cascade_rates_per_ns`).

    Returns
    -------
    ndarray of shape (n_max + 1,)
        c_0 = 0, c_1 = 1.

    Notes
    -----
    Sequential decay N → N−1 → … → 1 with rates γ_k. The coefficient of e^{−γ₁t} in the
    single-exciton population (Bateman) is c_N = Π_{k=2}^{N} γ_k/(γ_k − γ₁), which is
    τ_X/(τ_X − τ_XX) for N = 2 (37 % above 1 for τ_XX/τ_X = 0.27: the ideal curve would bias
    σ). Integrated PL: c_N = Σ_{k=1}^{N} k_rad,k/γ_k.

    Examples
    --------
    >>> c = state_weights("trpl-late", tau_x_ns=25.0, tau_xx_ns=5.0, n_max=2)
    >>> [round(float(v), 4) for v in c]
    [0.0, 1.0, 1.25]
    """
    n = np.arange(int(n_max) + 1)
    if observable == "ideal":
        return (n >= 1).astype(float)
    if observable not in ("trpl-late", "pl-integrated"):
        raise InputError(f"observable {observable!r} is not known; use ideal, trpl-late or pl-integrated.")
    if tau_x_ns is None or tau_xx_ns is None:
        raise InputError(f"state_weights({observable!r}) needs tau_x_ns and tau_xx_ns.")
    gamma = cascade_rates_per_ns(tau_x_ns=tau_x_ns, tau_xx_ns=tau_xx_ns, n_max=int(n_max),
                                 radiative_scaling=radiative_scaling, auger_scaling=auger_scaling)
    out = np.zeros(n.size)
    if observable == "trpl-late":
        ratio = np.ones(n.size)
        ratio[2:] = gamma[2:] / (gamma[2:] - gamma[1])
        out[1:] = np.cumprod(ratio[1:])
        return out
    k_rad = np.where(n >= 1, (n if radiative_scaling == "n" else n**2) / tau_x_ns, 0.0)
    eta = np.divide(k_rad, gamma, out=np.zeros(n.size), where=gamma > 0)
    return np.cumsum(eta)


def saturation_curve(mean_n_peak, *, order: int = 1, beam_profile: str = "gaussian", weights=None) -> np.ndarray:
    """Spot-averaged signal per particle, ⟨Σ_N p_N(⟨N⟩_local) c_N⟩_spot, vs peak ⟨N⟩.

    Parameters
    ----------
    mean_n_peak : ndarray of shape (F,)
        ⟨N⟩ at the centre of the spot.
    order : {1, 2}
        Excitation order (⟨N⟩_local ∝ F_local^order).
    beam_profile : {"gaussian", "flat-top"}
    weights : ndarray of shape (n_max + 1,), optional
        c_N (:func:`state_weights`; default ideal, 1 − e^{−⟨N⟩}).

    Returns
    -------
    ndarray of shape (F,)

    Examples
    --------
    >>> round(float(saturation_curve([1.0], beam_profile="flat-top")[0]), 4)
    0.6321
    >>> round(float(saturation_curve([1.0], order=2)[0]), 4)  # Ein(1)/2 for a Gaussian spot
    0.3983
    """
    if order not in (1, 2):
        raise InputError(f"order must be 1 or 2; got {order!r}.")
    c = state_weights("ideal") if weights is None else np.asarray(weights, dtype=float)
    n_max = c.size - 1
    mu = np.atleast_1d(np.asarray(mean_n_peak, dtype=float))

    def signal(f):
        return poisson_populations(f**order, n_max=n_max) @ c

    profile = {"gaussian": "gaussian", "flat-top": "flat", "flat": "flat"}.get(beam_profile)
    if profile is None:
        raise InputError(f"beam_profile {beam_profile!r} is not known; use gaussian or flat-top.")
    return beam_average(signal, mu ** (1.0 / order), profile=profile, order=48)


def _photons_per_cm2_per_mJ(excitation_eV: float) -> float:
    return 1e-3 / (excitation_eV * ELEMENTARY_CHARGE_C)


def _sigma_of_k(k, order, excitation_eV, pulse_fwhm_fs, pulse_shape):
    """(σ, unit, method) from k = ⟨N⟩ per (mJ/cm²)^order: σ₁ = k/j, σ₂ = k τ/(g j²) in GM."""
    j = _photons_per_cm2_per_mJ(excitation_eV)
    if order == 1:
        return k / j, "cm2", "saturation-1p"
    return k * pulse_fwhm_fs * 1e-15 / (pulse_shape_factor(pulse_shape) * j**2) / GM_CM4_S, "GM", "saturation-2p"


def fit_saturation(fluence_mJ_cm2, amplitude, amplitude_stderr=None, *, order: int, excitation_eV: float,
                   pulse_fwhm_fs: float | None = None, pulse_shape: str = "gaussian",
                   beam_profile: str = "gaussian", weights=None, fluence_rel_uncertainty: float = 0.0) -> Estimate:
    """σ₁ (cm²) or σ₂ (GM) from amplitude = A_sat · S(k F^order), S from :func:`saturation_curve`.

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
        Peak fluence, mJ/cm² (any order).
    amplitude : ndarray of shape (F,)
        Single-exciton amplitude (any unit), recorded under identical collection.
    amplitude_stderr : ndarray of shape (F,), optional
        Its noise; estimated from the residuals when None.
    order : {1, 2}
    excitation_eV : float
        Pump photon energy.
    pulse_fwhm_fs, pulse_shape
        Pulse (two-photon only).
    beam_profile : {"gaussian", "flat-top"}
    weights : ndarray, optional
        c_N (:func:`state_weights`).
    fluence_rel_uncertainty : float
        Relative std of the fluence calibration (common to all points): adds
        order × it to the relative stderr of σ.

    Returns
    -------
    Estimate
        σ₁ in cm² (method ``saturation-1p``) or σ₂ in GM (``saturation-2p``); ``params``
        ``a_sat`` and ``mean_n_per_unit`` (k, ⟨N⟩ at 1 mJ/cm²); ``details``: ``max_mean_n``
        (highest peak ⟨N⟩ reached), ``noise_from`` ("given" or "residuals"),
        ``fluence_rel_uncertainty``, ``stderr_contains``.

    Notes
    -----
    Weighted least squares on (A_sat, ln k); σ₁ = k/j, σ₂ = k τ/(g j²) with j the photons
    per cm² per mJ/cm². The data must reach saturation: fails when the highest peak
    ⟨N⟩ is below 0.3 or k is unresolved (relative stderr > 0.5).

    Examples
    --------
    >>> f = np.geomspace(0.01, 3.0, 12)
    >>> k = 1e-13 * 1e-3 / (3.1 * 1.602176634e-19)
    >>> a = 1e4 * saturation_curve(k * f)
    >>> f"{fit_saturation(f, a, order=1, excitation_eV=3.1).value:.4e}"
    '1.0000e-13'
    """
    f = np.asarray(fluence_mJ_cm2, dtype=float)
    y = np.asarray(amplitude, dtype=float)
    if f.ndim != 1 or f.shape != y.shape or f.size < 4:
        raise InputError(f"a saturation fit needs at least 4 (fluence, amplitude) pairs; got {f.shape}, {y.shape}.")
    if np.any(f <= 0) or not np.all(np.isfinite(y)):
        raise InputError("fluences must be > 0 and amplitudes finite for a saturation fit.")
    given = amplitude_stderr is not None
    sig = np.asarray(amplitude_stderr, dtype=float) if given else np.ones_like(y)
    if np.any(sig <= 0):
        raise InputError("amplitude_stderr must be > 0.")
    if order == 2 and pulse_fwhm_fs is None:
        raise InputError("a two-photon saturation fit needs pulse_fwhm_fs.")

    def model(x):
        return math.exp(x[0]) * saturation_curve(math.exp(x[1]) * f**order, order=order,
                                                 beam_profile=beam_profile, weights=weights)

    # start: k so that ⟨N⟩ = 1 at the fluence where the amplitude reaches half its maximum
    half = f[np.argmin(np.abs(y - 0.5 * y.max()))]
    x0 = np.array([math.log(max(y.max(), 1e-300)), -order * math.log(half)])
    sol = optimize.least_squares(lambda x: (model(x) - y) / sig, x0, method="lm")
    dof = f.size - 2
    chi2 = float(sol.fun @ sol.fun)
    scale = 1.0 if given else chi2 / dof
    try:
        cov = np.linalg.inv(sol.jac.T @ sol.jac) * scale
    except np.linalg.LinAlgError:
        cov = np.full((2, 2), np.nan)
    ln_k, ln_k_err = float(sol.x[1]), float(math.sqrt(max(cov[1, 1], 0.0)))
    k = math.exp(ln_k)
    rel = math.hypot(ln_k_err, order * fluence_rel_uncertainty)
    value, unit, method = _sigma_of_k(k, order, excitation_eV, pulse_fwhm_fs, pulse_shape)
    max_n = float(k * f.max() ** order)
    details = {"max_mean_n": max_n, "noise_from": "given" if given else "residuals",
               "fluence_rel_uncertainty": float(fluence_rel_uncertainty),
               "stderr_contains": "amplitude noise (fit covariance) and the fluence calibration (order × its "
                                  "relative std); the lifetimes in the state weights are taken as exact"}
    params = {"a_sat": (math.exp(sol.x[0]), math.exp(sol.x[0]) * math.sqrt(max(cov[0, 0], 0.0))),
              "mean_n_per_unit": (k, k * ln_k_err)}
    if not sol.success or not math.isfinite(rel):
        return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit=unit, success=False,
                        message=f"saturation fit did not converge: {sol.message}", details=details)
    if max_n < 0.3 or ln_k_err > 0.5:
        return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit=unit, success=False,
                        message=(f"the series reaches only peak <N> = {max_n:.2g} (< 0.3) or the saturation "
                                 f"fluence is unresolved (relative stderr {ln_k_err:.2g}): no saturation to fit"),
                        details=details, params=params)
    return Estimate(value=value, stderr=value * rel, method=method, unit=unit, reduced_chi2=chi2 / dof,
                    residuals=y - model(sol.x), params=params, details=details)


def late_amplitudes(time_ns, counts, *, start_ns: float, background_before_ns: float = -1.0):
    """Single-exciton amplitudes at t = 0 from the late, single-exponential part of each trace.

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Delay axis (ascending), ns; t = 0 at the pulse.
    counts : ndarray of shape (F, T)
        Traces recorded under identical collection (counts per bin).
    start_ns : float
        Start of the late window (delays ≫ τ_XX).
    background_before_ns : float
        Bins before this delay give each trace's flat background (mean).

    Returns
    -------
    amplitude : ndarray of shape (F,)
        A_i(0) = A_i(start) e^{start/τ_X}, counts per bin.
    amplitude_stderr : ndarray of shape (F,)
        Poisson noise of A_i (with τ_X fixed; the common factor e^{start/τ_X} cancels in σ).
    tau_x_ns : float
        The shared single-exciton lifetime of the late window.
    tau_x_stderr_ns : float
        Its stderr (curvature of the profile χ² in τ_X).

    Notes
    -----
    For a trial τ_X the amplitudes are linear (unweighted least squares, one design for all
    traces, so that an error of τ_X is common to all amplitudes); τ_X minimises the total
    Poisson-weighted χ² (bounded scalar search).

    Examples
    --------
    >>> t = np.arange(-5.0, 200.0, 0.5)
    >>> c = np.array([100.0, 300.0])[:, None] * np.exp(-np.clip(t, 0, None) / 25.0) * (t >= 0) + 2.0
    >>> a, s, tau, tau_err = late_amplitudes(t, c, start_ns=30.0)
    >>> [round(float(v), 3) for v in a], round(tau, 3)
    ([100.0, 300.0], 25.0)
    """
    t = np.asarray(time_ns, dtype=float)
    c = np.atleast_2d(np.asarray(counts, dtype=float))
    if c.shape[1] != t.size:
        raise InputError(f"counts must be (F, {t.size}); got {c.shape}.")
    pre = t < background_before_ns
    bg = c[:, pre].mean(axis=1) if pre.sum() >= 3 else np.zeros(c.shape[0])
    late = t >= start_ns
    if late.sum() < 10:
        raise InputError(f"the late window (t >= {start_ns} ns) holds {int(late.sum())} bins; need >= 10.")
    tl, yl = t[late] - start_ns, c[:, late] - bg[:, None]

    def amps(tau):
        # Amplitudes by unweighted least squares on one shared design: an error in τ then shifts
        # every amplitude by the same factor, which A_sat absorbs (Poisson weights would make the
        # shift depend on each trace's brightness, an error no per-trace stderr holds).
        e = np.exp(-tl / tau)
        a = (yl @ e) / (e @ e)
        var = np.maximum(a[:, None] * e + bg[:, None], 1.0)
        chi = (((yl - a[:, None] * e) ** 2) / var).sum()
        return a, chi, np.sqrt((var @ (e * e))) / (e @ e)

    span = float(tl.max())
    res = optimize.minimize_scalar(lambda lt: amps(math.exp(lt))[1], bounds=(math.log(span / 100), math.log(span * 20)),
                                   method="bounded", options={"xatol": 1e-7})
    lt = float(res.x)
    tau = math.exp(lt)
    a, chi0, s = amps(tau)
    h = 1e-3
    curv = (amps(math.exp(lt + h))[1] - 2.0 * chi0 + amps(math.exp(lt - h))[1]) / h**2
    tau_err = tau * math.sqrt(2.0 / curv) if curv > 0 else float("nan")  # Δχ² = 1 ⇔ (Δ ln τ)² curv / 2
    back = math.exp(start_ns / tau)
    return a * back, s * back, tau, tau_err


def _profile_name(beam_profile: str) -> str:
    profile = {"gaussian": "gaussian", "flat-top": "flat", "flat": "flat"}.get(beam_profile)
    if profile is None:
        raise InputError(f"beam_profile {beam_profile!r} is not known; use gaussian or flat-top.")
    return profile


def cascade_traces(time_ns, mean_n_peak, *, tau_x_ns: float, tau_xx_ns: float, order: int = 2,
                   beam_profile: str = "gaussian", n_max: int = N_MAX) -> np.ndarray:
    """Spot-averaged cascade emission per particle, ⟨Σ_N k_rad,N p_N(t)⟩_spot (photons/ns).

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Delays after the pulse (≥ 0), ns.
    mean_n_peak : ndarray of shape (F,)
        ⟨N⟩ at the centre of the spot.
    tau_x_ns, tau_xx_ns : float
        Lifetimes of the cascade (:func:`multiphoton.models.cascade.cascade_pl`).
    order : {1, 2}
        Excitation order (⟨N⟩_local ∝ F_local^order).
    beam_profile : {"gaussian", "flat-top"}
    n_max : int
        Highest state.

    Returns
    -------
    ndarray of shape (F, T)

    Notes
    -----
    I(t) = ∫ Σ_N k_rad,N p_N(t; ⟨N⟩ u^order) dμ(u) with u the local fluence over the peak
    (Gaussian spot quadrature, :func:`multiphoton.models.excitation.beam_average`).

    Examples
    --------
    >>> i = cascade_traces([0.0], [0.01], tau_x_ns=20.0, tau_xx_ns=5.0, beam_profile="flat-top")
    >>> round(float(i[0, 0] * 20.0 / 0.01), 3)
    1.0
    """
    if order not in (1, 2):
        raise InputError(f"order must be 1 or 2; got {order!r}.")
    t = np.asarray(time_ns, dtype=float)
    mu = np.atleast_1d(np.asarray(mean_n_peak, dtype=float))

    def decay(f):
        m = f**order
        return cascade_pl(t, m.ravel(), tau_x_ns=tau_x_ns, tau_xx_ns=tau_xx_ns,
                          n_max=int(n_max)).reshape(m.shape + (t.size,))

    # 24 nodes: the spot average agrees with the 48-node default to 1e-14 for peak <N> 0.25-12
    return beam_average(decay, mu ** (1.0 / order), profile=_profile_name(beam_profile), order=24)


def _failed_traces_fit(method, unit, message, details, params=None) -> Estimate:
    return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit=unit, success=False,
                    message=message, details=details, params=params or {})


def fit_saturation_traces(time_ns, fluence_mJ_cm2, counts, *, order: int, excitation_eV: float,
                          tau_x_ns: float, tau_xx_ns: float, mean_n_per_unit: float,
                          pulse_fwhm_fs: float | None = None, pulse_shape: str = "gaussian",
                          beam_profile: str = "gaussian", fit_from_ns: float | None = None,
                          fluence_rel_uncertainty: float = 0.0) -> Estimate:
    """σ₁ (cm²) or σ₂ (GM) with τ_X and τ_XX from one global fit of saturating TRPL traces.

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Delay axis, ns; t = 0 at the pulse (any order).
    fluence_mJ_cm2 : ndarray of shape (F,)
        Peak fluence of each trace, mJ/cm² (any order, F ≥ 4).
    counts : ndarray of shape (F, T)
        Raw counts, all traces under identical collection (absolute amplitudes compare).
    order : {1, 2}
    excitation_eV : float
        Pump photon energy.
    tau_x_ns, tau_xx_ns, mean_n_per_unit : float
        Starting values: lifetimes (ns) and k = ⟨N⟩ at 1 mJ/cm² (e.g. from
        :func:`fit_saturation` on the late amplitudes).
    pulse_fwhm_fs, pulse_shape
        Pulse (two-photon only).
    beam_profile : {"gaussian", "flat-top"}
    fit_from_ns : float, optional
        First delay fitted; default one rise width after the peak of the highest trace
        (the instrument response is not modelled).
    fluence_rel_uncertainty : float
        Relative std of the fluence calibration (common to all points): adds order × it
        to the relative stderr of σ.

    Returns
    -------
    Estimate
        σ₁ in cm² (``saturation-1p``) or σ₂ in GM (``saturation-2p``); ``params``:
        ``a_sat`` (late single-exciton amplitude per bin at saturation, A/τ_X),
        ``mean_n_per_unit`` (k), ``tau_x_ns``, ``tau_xx_ns`` (fitted, with stderrs);
        ``details``: ``max_mean_n``, ``fit_from_ns``, ``n_max``, ``noise_from``
        ("poisson"), ``fluence_rel_uncertainty``, ``chi2_scale`` (the reduced χ² the
        covariance was scaled by, ≥ 1), ``stderr_contains``.

    Notes
    -----
    counts_i(t) = A · I(t; k F_i^order, τ_X, τ_XX) + b_i (:func:`cascade_traces`): one
    collection constant A for every trace, a background b_i per trace (A, b_i linear,
    solved at every step), k, τ_X and τ_XX nonlinear (τ_XX = τ_X/2 · e^{−θ}, θ ≥ 0: never
    slower than its radiative limit); Poisson weights 1/max(counts, 1). The state weights
    of :func:`state_weights` are the late-time limit of this model, but here τ_XX is fitted
    on the same traces, so its error enters σ through the covariance (k and τ_XX are
    strongly correlated as τ_XX → τ_X/2) instead of being taken from another measurement.
    Fails when the highest peak ⟨N⟩ is below 0.3 or k is unresolved (relative stderr > 0.5).

    Examples
    --------
    >>> t = np.arange(0.0, 200.0, 0.5)
    >>> f = np.geomspace(2e-4, 2e-2, 6)  # peak <N> 0.04 ... 4
    >>> k = 1e-13 * 1e-3 / (3.1 * 1.602176634e-19)
    >>> c = 1e5 * cascade_traces(t, k * f, tau_x_ns=25.0, tau_xx_ns=5.0, order=1) + 2.0
    >>> est = fit_saturation_traces(t, f, c, order=1, excitation_eV=3.1, tau_x_ns=22.0, tau_xx_ns=6.0,
    ...                             mean_n_per_unit=0.8 * k, fit_from_ns=0.0)
    >>> f"{est.value:.4e}", round(est.params["tau_xx_ns"][0], 4)
    ('1.0000e-13', 5.0)
    """
    t = np.asarray(time_ns, dtype=float)
    f = np.asarray(fluence_mJ_cm2, dtype=float)
    c = np.asarray(counts, dtype=float)
    if t.ndim != 1 or f.ndim != 1 or c.shape != (f.size, t.size) or f.size < 4:
        raise InputError(f"a saturation fit of traces needs counts (F, T) with F ≥ 4 fluences; got counts "
                         f"{c.shape} for {f.size} fluences and {t.size} times.")
    if np.any(f <= 0) or not np.all(np.isfinite(c)) or np.any(c < 0):
        raise InputError("fluences must be > 0 and counts finite and ≥ 0 for a saturation fit of traces.")
    if order == 2 and pulse_fwhm_fs is None:
        raise InputError("a two-photon saturation fit needs pulse_fwhm_fs.")
    ts = np.argsort(t)
    t, c = t[ts], c[:, ts]
    if fit_from_ns is None:
        _, ipk, _, rise = _rise_features(t, c[int(np.argmax(f))])
        fit_from_ns = float(max(t[ipk] + rise, 0.0))
    mask = t >= fit_from_ns
    if mask.sum() < 20:
        raise InputError(f"only {int(mask.sum())} bins at t >= {fit_from_ns:g} ns; a trace fit needs >= 20.")
    tt, y = t[mask], c[:, mask]
    w = 1.0 / np.sqrt(np.maximum(y, 1.0))
    w2 = w**2
    s_1, s_y = w2.sum(axis=1), (w2 * y).sum(axis=1)
    mu_top = mean_n_per_unit * f.max() ** order
    # the Poisson tail above n_max is < 1e-9 even when the fit doubles k
    n_max = int(min(max(N_MAX, math.ceil(2.0 * mu_top + 8.0 * math.sqrt(2.0 * mu_top) + 10.0)), 150))

    def shapes(x):
        tx = math.exp(x[1])
        return cascade_traces(tt, math.exp(x[0]) * f**order, tau_x_ns=tx, tau_xx_ns=0.5 * tx * math.exp(-x[2]),
                              order=order, beam_profile=beam_profile, n_max=n_max)

    def linear(s):
        # one A for all traces, one b_i per trace: b_i eliminated, then A by weighted least squares
        s_s = (w2 * s).sum(axis=1)
        sc = s - (s_s / s_1)[:, None]
        a = float((w2 * (y - (s_y / s_1)[:, None]) * sc).sum() / (w2 * sc * sc).sum())
        return a, (s_y - a * s_s) / s_1

    def residuals(x):
        s = shapes(x)
        a, b = linear(s)
        return (w * (y - a * s - b[:, None])).ravel()

    x0 = np.array([math.log(mean_n_per_unit), math.log(tau_x_ns),
                   math.log(max(0.5 * tau_x_ns / min(tau_xx_ns, 0.5 * tau_x_ns), 1.0)) + 1e-3])
    sol = optimize.least_squares(residuals, x0, bounds=([-np.inf, -np.inf, 0.0], [np.inf, np.inf, np.inf]),
                                 method="trf", x_scale="jac")
    return _traces_estimate(sol, shapes, linear, w, f, tt, order, n_max, excitation_eV, pulse_fwhm_fs,
                            pulse_shape, fit_from_ns, fluence_rel_uncertainty)


def _traces_estimate(sol, shapes, linear, w, f, tt, order, n_max, excitation_eV, pulse_fwhm_fs, pulse_shape,
                     fit_from_ns, fluence_rel_uncertainty) -> Estimate:
    """The Estimate of :func:`fit_saturation_traces`: covariance of (ln k, ln τ_X, θ, A, b_i)."""
    s = shapes(sol.x)
    a, b = linear(s)
    r = sol.fun
    nf, npar = f.size, 4 + f.size
    chi2 = float(r @ r / max(r.size - npar, 1))
    # Jacobian of the full model: A and b_i analytic, the three nonlinear columns by differences
    jac = np.empty((r.size, npar))
    base = (w * (a * s + b[:, None])).ravel()
    for j in range(3):
        h = 1e-6 * max(abs(sol.x[j]), 1.0)
        xp = sol.x.copy()
        xp[j] += h
        jac[:, j] = ((w * (a * shapes(xp) + b[:, None])).ravel() - base) / h
    jac[:, 3] = (w * s).ravel()
    for i in range(nf):
        col = np.zeros_like(s)
        col[i] = 1.0
        jac[:, 4 + i] = (w * col).ravel()
    scale = max(1.0, chi2)
    cov = _cov_from_jac(jac) * scale
    k, tx = math.exp(sol.x[0]), math.exp(sol.x[1])
    txx = 0.5 * tx * math.exp(-sol.x[2])
    ln_k_err = math.sqrt(max(cov[0, 0], 0.0))
    var_ln_txx = cov[1, 1] + cov[2, 2] - 2.0 * cov[1, 2]
    value, unit, method = _sigma_of_k(k, order, excitation_eV, pulse_fwhm_fs, pulse_shape)
    rel = math.hypot(ln_k_err, order * fluence_rel_uncertainty)
    max_n = float(k * f.max() ** order)
    details = {"max_mean_n": max_n, "fit_from_ns": float(fit_from_ns), "n_max": int(n_max), "noise_from": "poisson",
               "fluence_rel_uncertainty": float(fluence_rel_uncertainty), "chi2_scale": scale,
               "stderr_contains": "Poisson noise of every trace (fit covariance, with tau_x and tau_xx fitted on "
                                  "the same traces, their correlation with k included) and the fluence "
                                  "calibration (order × its relative std)"}
    a_err = math.sqrt(max(cov[3, 3], 0.0))
    params = {"a_sat": (a / tx, a / tx * math.hypot(a_err / abs(a) if a else math.inf, math.sqrt(max(cov[1, 1], 0)))),
              "mean_n_per_unit": (k, k * ln_k_err), "tau_x_ns": (tx, tx * math.sqrt(max(cov[1, 1], 0.0))),
              "tau_xx_ns": (txx, txx * math.sqrt(max(var_ln_txx, 0.0)))}
    if not sol.success or not math.isfinite(rel):
        return _failed_traces_fit(method, unit, f"saturation fit of the traces did not converge: {sol.message}",
                                  details)
    if max_n < 0.3 or ln_k_err > 0.5:
        return _failed_traces_fit(method, unit, f"the series reaches only peak <N> = {max_n:.2g} (< 0.3) or the "
                                                f"saturation fluence is unresolved (relative stderr {ln_k_err:.2g}): "
                                                "no saturation to fit", details, params)
    message = "tau_xx at its radiative limit tau_x/2 (no Auger decay resolved)" if sol.x[2] < 1e-6 else ""
    return Estimate(value=value, stderr=value * rel, method=method, unit=unit, reduced_chi2=chi2,
                    params=params, details=details, message=message)
