"""A lifetime from one decay: the tail fitted up to the background, models chosen by AICc.

:func:`decay_lifetime` needs a single trace (one PTU file, one FluoTime export, a series of
one fluence). The fit window runs from just after the peak to where the signal reaches the
noise of the background; one, two and three exponentials and a stretched exponential are
fitted there by Poisson maximum likelihood and the model with the lowest AICc is kept, with
its amplitude- and intensity-weighted mean lifetimes.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import special

from ..errors import InputError
from ..results import Estimate
from .decay import MIN_POINTS, _check_trace, _guess_taus, _rise_features, _smooth, _tail_builder
from .varpro import _covariance, _poisson_ml, _varpro

__all__ = ["decay_lifetime", "compare_lifetimes", "MODELS"]

MODELS = ("1exp", "2exp", "3exp", "stretched")
"""Models :func:`decay_lifetime` chooses among."""


def _stretched_builder(t, *, t_ref):
    """θ = (log τ, logit β); Φ columns = exp(−((t − t_ref)/τ)^β), ones."""
    d = t - t_ref

    def build(theta):
        tau = math.exp(theta[0])
        beta = 1.0 / (1.0 + math.exp(-theta[1]))
        x = d / tau
        u = x**beta
        f = np.exp(-u)
        phi = np.column_stack([f, np.ones_like(t)])
        df_dlogtau = f * u * beta
        df_dlogit = -f * u * np.log(x) * beta * (1.0 - beta)

        def deriv(c):
            return np.column_stack([df_dlogtau * c[0], df_dlogit * c[0]])

        return phi, deriv

    return build


def _irls(y, build, theta0):
    """Poisson maximum likelihood: a Neyman-weighted variable projection, then the deviance
    minimised over all parameters (:func:`~multiphoton.analysis.varpro._poisson_ml`, which
    converges by construction). Returns (sol, c, phi, deriv, w), w = 1/√μ (Fisher weights).
    """
    w = 1.0 / np.sqrt(np.maximum(y, 1.0))
    sol, c, phi, deriv = _varpro(y, w, build, theta0)
    if np.all(np.isfinite(sol.x)) and np.all(np.isfinite(c)):
        sol, c, phi, deriv = _poisson_ml(y, build, sol.x, c)
    w = 1.0 / np.sqrt(np.maximum(phi @ c, 1e-2))
    return sol, c, phi, deriv, w


def _deviance(y, mu):
    mu = np.maximum(mu, 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2.0 * np.sum(term - (y - mu)))


def _means(kind, p, n):
    """(amplitude-weighted, intensity-weighted) mean lifetimes from natural params p."""
    if kind == "stretched":
        tau, beta = p[0], p[1]
        return (tau / beta * special.gamma(1.0 / beta),
                tau * special.gamma(2.0 / beta) / special.gamma(1.0 / beta))
    taus, amps = p[:n], p[n:2 * n]
    return (float(np.sum(amps * taus) / np.sum(amps)),
            float(np.sum(amps * taus**2) / np.sum(amps * taus)))


def _fit_model(kind, tt, yy, t_ref, tau1):
    """One model on the window; returns a dict of its fit, or None when it is unusable."""
    n = 0 if kind == "stretched" else int(kind[0])
    if kind == "stretched":
        build = _stretched_builder(tt, t_ref=t_ref)
        theta0 = [math.log(tau1), 0.0]
    else:
        build = _tail_builder(tt, n, t_ref=t_ref, background=True)
        bg0 = float(np.median(yy[-max(5, yy.size // 10):]))
        theta0 = np.log(_guess_taus(tt, yy, bg0, 0, n)) if n > 1 else [math.log(tau1)]
    try:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
            sol, c, phi, deriv, w = _irls(yy, build, theta0)
    except (np.linalg.LinAlgError, ValueError):
        return None
    mu = phi @ c
    k = sol.x.size + c.size
    if not (sol.success and np.all(np.isfinite(sol.x)) and np.all(c[:-1] > 0)):
        return None
    if kind == "stretched":
        tau = math.exp(sol.x[0])
        beta = 1.0 / (1.0 + math.exp(-sol.x[1]))
        if not 1e-6 < beta < 1.0 - 1e-6:  # at a bound: β → 1 is the single exponential
            return None
        nat = np.array([tau, beta])
        scale = np.array([1.0 / tau, 1.0 / (beta * (1.0 - beta))])
    else:
        with np.errstate(over="ignore"):
            nat = np.exp(sol.x)
        if not np.all(np.isfinite(nat)):  # a lifetime run off to infinity: a constant, no decay
            return None
        scale = 1.0 / nat
    chi2 = float(np.sum((w * (yy - mu)) ** 2) / max(yy.size - k, 1))
    cov = _covariance(w, phi, deriv(c) * scale, max(1.0, chi2))
    if not np.all(np.isfinite(np.diag(cov))) or np.any(np.diag(cov) < 0):
        return None
    p = np.r_[nat, c]
    dev = _deviance(yy, mu)
    aicc = dev + 2 * k + 2 * k * (k + 1) / max(yy.size - k - 1, 1)
    return {"kind": kind, "n": n, "p": p, "cov": cov, "chi2": chi2, "aicc": aicc, "k": k,
            "model": mu, "nfev": int(sol.nfev)}


def _mean_estimates(f):
    """Amplitude- and intensity-weighted mean lifetimes with stderrs (central differences)."""
    p, cov, kind, n = f["p"], f["cov"], f["kind"], f["n"]
    base = np.array(_means(kind, p, n))
    jac = np.zeros((2, p.size))
    for j in range(p.size - 1):  # the background (last) does not enter
        h = 1e-6 * max(abs(p[j]), 1e-9)
        pp, pm = p.copy(), p.copy()
        pp[j] += h
        pm[j] -= h
        jac[:, j] = (np.array(_means(kind, pp, n)) - np.array(_means(kind, pm, n))) / (2 * h)
    var = np.einsum("ij,jk,ik->i", jac, cov, jac)
    return base, np.sqrt(np.maximum(var, 0.0))


def decay_lifetime(time_ns, counts, *, models=MODELS, fit_start_ns=None, fit_stop_ns=None) -> Estimate:
    """Lifetime of one decay: the tail up to the background, the model chosen by AICc.

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Bin times in ns (any order), T ≥ 20.
    counts : ndarray of shape (T,)
        Raw photon counts (≥ 0).
    models : sequence of str
        Candidates among ``"1exp"``, ``"2exp"``, ``"3exp"``, ``"stretched"``.
    fit_start_ns, fit_stop_ns : float or None
        Fit window; None: from the peak plus three rise widths, to where the signal reaches
        the background noise (see Notes).

    Returns
    -------
    Estimate
        ``value``: the lifetime of the single exponential when it is chosen, else the
        amplitude-weighted mean lifetime of the chosen model (method
        ``"tail-model-selection"``), with a message naming the chosen model. ``details``:
        ``model`` (chosen), ``aicc`` (per model fitted), ``tau_amplitude_weighted_ns``,
        ``tau_intensity_weighted_ns`` (and their stderrs ``tau_amplitude_weighted_ns_stderr``,
        ``tau_intensity_weighted_ns_stderr``), ``fit_range_ns``,
        ``background_per_bin``, ``noise_end_ns``, ``taus_ns``, ``amplitudes``, ``beta``,
        ``stderr_contains``.

    Raises
    ------
    InputError
        Bad traces (:func:`multiphoton.analysis.decay.fit_decay`'s checks), an unknown model.

    Notes
    -----
    Background b: mean of the bins before the rise (t < t½ − 3 rise widths, ≥ 5), else the
    last 10 % of the trace. End of the window: the last time the smoothed excess
    (running mean over m = max(9, T/100) bins) is above the per-bin background noise √b (at
    least 1 count). Models, referred to the half-rise time t₀ (amplitudes at t₀):
    Σᵢ aᵢ exp(−(t−t₀)/τᵢ) + b and a exp(−((t−t₀)/τ)^β) + b (0 < β < 1); Poisson maximum
    likelihood (the deviance minimised from a Neyman variable-projection start). AICc = D + 2k + 2k(k+1)/(N−k−1) with D the
    Poisson deviance [1]_; the simplest model (fewest parameters) within 2 of the lowest AICc
    is chosen (a smaller difference is no evidence); a model with a negative amplitude, an
    undetermined parameter or β at a bound is not a candidate. Mean lifetimes: τ_amp = Σaτ/Σa, τ_int = Σaτ²/Σaτ; stretched:
    τ_amp = (τ/β)Γ(1/β), τ_int = τΓ(2/β)/Γ(1/β). The failure is a fit window of fewer than
    20 bins (the signal reaches the background right after the peak). The stderr is the
    fit's (Poisson noise, scaled by max(1, χ²_red)); no model error.

    References
    ----------
    .. [1] K. P. Burnham and D. R. Anderson, *Model Selection and Multimodel Inference* (2002).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(-5.0, 200.0, 0.1)
    >>> mu = 3000.0 * np.exp(-np.clip(t, 0, None) / 20.0) * (t >= 0) + 3.0
    >>> e = decay_lifetime(t, np.random.default_rng(0).poisson(mu))
    >>> e.details["model"], abs(e.value - 20.0) < 3 * e.stderr
    ('1exp', True)
    """
    bad = [m for m in models if m not in MODELS]
    if bad or not models:
        raise InputError(f"models {list(models)!r}: use some of {', '.join(MODELS)}.")
    t, y = _check_trace(time_ns, counts)
    method = "tail-model-selection"
    _, ipk, t_half, rise = _rise_features(t, y)
    pre = t < t_half - 3.0 * rise
    bg = float(np.mean(y[pre])) if np.count_nonzero(pre) >= 5 else float(np.mean(y[-max(5, t.size // 10):]))
    m = max(9, t.size // 100) | 1
    excess = _smooth(y - bg, m)
    noise = math.sqrt(max(bg, 1.0))
    t_start = float(t[ipk] + 3.0 * rise) if fit_start_ns is None else float(fit_start_ns)
    above = np.nonzero((excess >= noise) & (t >= t_start))[0]
    t_noise = float(t[above[-1]]) if above.size else t_start
    t_stop = t_noise if fit_stop_ns is None else float(fit_stop_ns)
    win = (t >= t_start) & (t <= t_stop)
    context = {"fit_range_ns": [t_start, t_stop], "background_per_bin": bg, "noise_end_ns": t_noise}
    if np.count_nonzero(win) < MIN_POINTS:
        return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit="ns", success=False,
                        message=(f"the signal reaches the background noise ({noise:.3g} counts per bin) at "
                                 f"{t_noise:.4g} ns, {np.count_nonzero(win)} bins after the peak: fewer than "
                                 f"{MIN_POINTS} to fit"), details=context)
    tt, yy = t[win], y[win]
    tau1 = max(_guess_taus(tt, yy, bg, 0, 1)[0], float(np.median(np.diff(tt))))
    fits = [f for f in (_fit_model(k, tt, yy, t_half, tau1) for k in models) if f is not None]
    if not fits:
        return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit="ns", success=False,
                        message="no model converged with positive amplitudes", details=context)
    # the simplest model within 2 of the lowest AICc (a difference < 2 is no evidence)
    low = min(f["aicc"] for f in fits)
    best = min((f for f in fits if f["aicc"] <= low + 2.0), key=lambda f: f["k"])
    (t_amp, t_int), (s_amp, s_int) = _mean_estimates(best)
    n = best["n"]
    details = {**context, "model": best["kind"], "aicc": {f["kind"]: f["aicc"] for f in fits},
               "tau_amplitude_weighted_ns": float(t_amp), "tau_amplitude_weighted_ns_stderr": float(s_amp),
               "tau_intensity_weighted_ns": float(t_int), "tau_intensity_weighted_ns_stderr": float(s_int),
               "taus_ns": [float(v) for v in (best["p"][:1] if n == 0 else best["p"][:n])],
               "amplitudes": [float(v) for v in best["p"][n if n else 2:-1]],
               "beta": float(best["p"][1]) if n == 0 else 1.0,
               "stderr_contains": "fit (Poisson noise, scaled by max(1, reduced chi2)); no model error"}
    msg = "" if best["kind"] == "1exp" else (
        f"the decay is not one exponential: AICc chooses {best['kind']}; the value is its "
        "amplitude-weighted mean lifetime (intensity-weighted "
        f"{t_int:.4g} ns), not a single-exciton lifetime")
    return Estimate(value=float(t_amp), stderr=float(s_amp), method=method, unit="ns", message=msg,
                    reduced_chi2=best["chi2"], residuals=yy - best["model"], details=details)


def compare_lifetimes(time_1p_ns, counts_1p, time_2p_ns, counts_2p, *, n_sigma=3.0) -> Estimate:
    """Two- minus one-photon excited lifetime of one sample (the TPEF premise η₂ = η₁).

    Parameters
    ----------
    time_1p_ns, counts_1p : ndarray of shape (T,)
        Decay under one-photon excitation: bin times (ns, any order) and raw counts.
    time_2p_ns, counts_2p : ndarray of shape (S,)
        Decay under two-photon excitation (its own grid).
    n_sigma : float
        Difference, in combined standard errors, beyond which the lifetimes differ.

    Returns
    -------
    Estimate
        ``value`` = τ₂ₚ − τ₁ₚ (ns), ``stderr`` their stderrs in quadrature (the two traces are
        independent), method ``"lifetime-difference"``. ``details``: ``tau_1p_ns``,
        ``tau_1p_stderr_ns``, ``tau_2p_ns``, ``tau_2p_stderr_ns``, ``model_1p``, ``model_2p``,
        ``z`` (difference / stderr), ``differ`` (|z| > ``n_sigma``), ``n_sigma``,
        ``stderr_contains``. A message
        when they differ. Failure (NaN, success False, message) when either lifetime cannot
        be fitted.

    Notes
    -----
    Each τ is :func:`decay_lifetime`'s (the tail from the peak plus three rise widths to the
    background noise; the model chosen by AICc; its amplitude-weighted mean when it is not one
    exponential), so no IRF is needed. Equal quantum yields under one- and two-photon
    excitation (η₂ = η₁, assumed by relative TPEF [1]_) imply the same emitting states and
    hence the same decay at low excitation; a difference beyond ``n_sigma`` says they are not.
    The stderr holds the two fits' Poisson errors only (no model error).

    References
    ----------
    .. [1] B. T. Diroll et al., Nanoscale 15 (2023), "Large Two-Photon Cross Sections and
       Low-Threshold Multiphoton Lasing of CdS/CdSe/CdS Quantum Shells".

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(-5.0, 200.0, 0.1)
    >>> rng = np.random.default_rng(0)
    >>> mu = 3000.0 * np.exp(-np.clip(t, 0, None) / 20.0) * (t >= 0) + 3.0
    >>> d = compare_lifetimes(t, rng.poisson(mu), t, rng.poisson(mu))
    >>> bool(abs(d.value) < 3 * d.stderr), d.details["differ"]
    (True, False)
    """
    method = "lifetime-difference"
    one = decay_lifetime(time_1p_ns, counts_1p)
    two = decay_lifetime(time_2p_ns, counts_2p)
    details = {"tau_1p_ns": one.value, "tau_1p_stderr_ns": one.stderr, "tau_2p_ns": two.value,
               "tau_2p_stderr_ns": two.stderr, "model_1p": one.details.get("model"),
               "model_2p": two.details.get("model"), "n_sigma": float(n_sigma),
               "stderr_contains": "the two fits' Poisson errors in quadrature; no model error"}
    bad = [f"{label}: {e.message}" for label, e in (("one-photon decay", one), ("two-photon decay", two))
           if not e.success]
    if bad:
        return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit="ns", success=False,
                        message="; ".join(bad), details={**details, "z": None, "differ": None})
    diff = two.value - one.value
    se = float(math.hypot(one.stderr, two.stderr))
    z = diff / se if se > 0 else float("nan")
    differ = bool(abs(z) > n_sigma)
    msg = (f"the two-photon excited lifetime ({two.value:.4g} ± {two.stderr:.2g} ns) differs from the "
           f"one-photon one ({one.value:.4g} ± {one.stderr:.2g} ns) by {z:+.1f} sigma: eta2 = eta1 is in "
           "doubt (other emitting states or excitation densities)") if differ else ""
    return Estimate(value=float(diff), stderr=se, method=method, unit="ns", message=msg,
                    details={**details, "z": float(z), "differ": differ})
