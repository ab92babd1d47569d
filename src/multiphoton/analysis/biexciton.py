"""Biexciton and single-exciton lifetimes from a TRPL fluence series.

:func:`biexciton_lifetime` applies Klimov's difference method (the paper's): traces
normalised where only single excitons remain, the high-fluence minus low-fluence residual
fitted with one exponential τ_XX; τ_X from the low-fluence tail; and, as a cross-check, a
global fit of all traces to the multiexciton cascade
(:func:`multiphoton.models.cascade.cascade_pl`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import optimize

from ..errors import InputError
from ..models.cascade import cascade_pl
from ..results import Estimate
from .decay import MIN_POINTS, _check_trace, _log_tail_tau, _loglin_tau, _rise_features, _smooth, _tail_builder
from .varpro import _cov_from_jac, _covariance, _varpro

__all__ = ["BiexcitonResult", "biexciton_lifetime"]


@dataclass(frozen=True, kw_only=True)
class BiexcitonResult:
    """Result of :func:`biexciton_lifetime` (Estimates plus arrays for the ``trpl`` figure).

    Attributes
    ----------
    tau_xx_ns, tau_x_ns : Estimate
        Klimov difference τ_XX (method ``"klimov-difference"``) and the low-fluence tail τ_X
        (``"low-fluence-tail"``).
    tau_xx_global_ns, tau_x_global_ns : Estimate
        The same lifetimes from the global cascade fit (``"global-cascade"``).
    mean_n : tuple of Estimate
        ⟨N⟩ per trace from the global fit (fluence order of the input).
    window_ns : tuple of float
        Normalisation window (start, stop) in ns.
    low_fluence : ndarray of bool, shape (F,)
        Traces averaged as the single-exciton reference (input order).
    high_index : int
        Index (input order) of the trace whose residual is fitted.
    time_ns : ndarray of shape (T,)
    normalized : ndarray of shape (F, T)
        Background-subtracted traces divided by their mean in the window (input order).
    residual_time_ns, residual, residual_fit : ndarray of shape (R,)
        High-fluence minus low-fluence mean over the fitted range, and the fitted exponential.
    note : str
        Non-empty when the two τ_XX methods disagree by more than 2 combined σ, or other caveats.
    """

    tau_xx_ns: Estimate
    tau_x_ns: Estimate
    tau_xx_global_ns: Estimate
    tau_x_global_ns: Estimate
    mean_n: tuple
    window_ns: tuple
    low_fluence: np.ndarray = field(repr=False)
    high_index: int
    time_ns: np.ndarray = field(repr=False)
    normalized: np.ndarray = field(repr=False)
    residual_time_ns: np.ndarray = field(repr=False)
    residual: np.ndarray = field(repr=False)
    residual_fit: np.ndarray = field(repr=False)
    note: str = ""


def _failed(method, message, unit="ns"):
    return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit=unit,
                    success=False, message=message)


def _check_series(time_ns, fluence_mJ_cm2, counts):
    t = np.array(time_ns, dtype=float)
    f = np.array(fluence_mJ_cm2, dtype=float)
    c = np.array(counts, dtype=float)
    if t.ndim != 1 or f.ndim != 1 or c.shape != (f.size, t.size):
        raise InputError(
            f"counts must have shape (F, T) = ({f.size}, {t.size}) for {f.size} fluences and "
            f"{t.size} times, got {c.shape}."
        )
    if f.size < 2:
        raise InputError("biexciton_lifetime needs at least 2 fluences (low and high); got "
                         f"{f.size}.")
    if not np.all(np.isfinite(f)) or np.any(f <= 0):
        raise InputError("fluence_mJ_cm2 must be finite and > 0.")
    if np.unique(f).size != f.size:
        raise InputError("fluence_mJ_cm2 has repeated values; sum or average repeated traces first.")
    for i in range(f.size):
        ts, _ = _check_trace(t, c[i], name=f"counts[{i}] (fluence {f[i]:g} mJ/cm2)")
    order_t = np.argsort(t)
    return t[order_t], f, c[:, order_t]


def _norm_traces(sig, var, win):
    s = sig[:, win].mean(axis=1)
    s_var = var[:, win].sum(axis=1) / np.count_nonzero(win) ** 2
    if np.any(s <= 0):
        raise InputError("a trace has no signal (mean <= 0 after background subtraction) in "
                         "the normalisation window; choose window_ns where every trace has counts.")
    return sig / s[:, None], var / s[:, None] ** 2, s, s_var


def _trend_z(t, d, v):
    """|slope| / stderr of a weighted straight line through d(t)."""
    wt = 1.0 / np.maximum(v, 1e-300)
    tm = np.sum(wt * t) / wt.sum()
    sxx = np.sum(wt * (t - tm) ** 2)
    slope = np.sum(wt * (t - tm) * d) / sxx
    return abs(slope) * math.sqrt(sxx)


def biexciton_lifetime(time_ns, fluence_mJ_cm2, counts, *, window_ns=None, n_low=None,
                       high_index=None, background_ns=None, fit_start_ns=None,
                       global_fit=True, n_max=30) -> BiexcitonResult:
    """Biexciton and single-exciton lifetimes from a TRPL fluence series (Klimov's method).

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Bin times in ns (any order).
    fluence_mJ_cm2 : ndarray of shape (F,)
        Pump fluence of each trace (any order), F ≥ 2.
    counts : ndarray of shape (F, T)
        Raw photon counts.
    window_ns : (float, float) or None
        Normalisation window where only single excitons remain. None: chosen from the data
        (the earliest start after which the normalised highest- and lowest-fluence traces
        differ by no significant trend, see Notes); reported in ``window_ns``.
    n_low : int or None
        Number of lowest-fluence traces averaged as the single-exciton reference. None: the lowest
        plus each next whose normalised shape agrees with the running mean (χ² test) before the window.
    high_index : int or None
        Index (input order) of the trace fitted; default the highest fluence.
    background_ns : (float, float) or None
        Window for each trace's constant background; None: the bins before the rise (≥ 5, else none).
    fit_start_ns : float or None
        Start of the residual fit (None: the residual's peak plus one rise width).
    global_fit : bool
        Also fit all traces to the multiexciton cascade (shared τ_X, τ_XX, ⟨N⟩ per trace).
    n_max : int
        Highest exciton number of the global fit's cascade (2: the exact N ≤ 2 model).

    Returns
    -------
    BiexcitonResult
        ``tau_xx_ns.details``: ``window_ns``, ``window_auto``, ``fit_from_ns``, ``fit_range_ns``,
        ``low_fluence_mJ_cm2``, ``high_fluence_mJ_cm2``, ``time_zero_ns``, ``background_subtracted``, ``nfev``,
        ``second_exponential_delta_aic`` (also in ``tau_x_ns.details``, with ``noise_end_ns``).
        A failed premise (see Notes, "Premises") is said in the Estimate's ``message``.
    Raises
    ------
    InputError
        Bad shapes, < 20 bins, negative or all-zero traces, repeated fluences or times.

    Notes
    -----
    Each trace is background-subtracted and divided by its mean in the window,
    Nₖ(t) = (cₖ − bₖ)/Sₖ. The residual R(t) = N_high(t) − mean_{low} Nₖ(t) is fitted from
    ``fit_start_ns`` to the window start with R = A exp(−(t − t_s)/τ_XX) (weighted by the
    Poisson variance propagated to R). For an N ≤ 2 cascade the residual is exactly one
    exponential with τ_XX. The stderr adds in quadrature the fit's stderr and the effect of
    the Poisson error of the normalisation sums Sₖ (refits with Sₖ ± σ). τ_X: one
    exponential plus constant fitted (Poisson weights) to the summed raw low-fluence traces
    from the window start to the end of the trace, where only single excitons remain.

    Automatic window: end = last time the (smoothed) lowest-fluence signal is ≥ 1 % of its
    peak; start = peak + 7 τ_XX, with τ_XX a provisional log-linear estimate from a window at
    30 % of the span (iterated twice), capped at 60 % of the span (then a note). At 7 τ_XX
    the biexciton population is < 0.1 % of its initial value, so the normalisation does not
    leak the fast component into the reference. ``details["window_trend_sigma"]`` reports
    the slope (in σ) of a weighted line through N_high − N_low over the chosen window: the
    traces agree within noise when it is below ~2.

    Global fit: all raw traces after the peak (time from the half-rise of the highest
    trace) with Aₖ·PL(t; ⟨N⟩ₖ, τ_X, τ_XX) + bₖ, Poisson weights, PL from
    :func:`multiphoton.models.cascade.cascade_pl` (radiative rate ∝ N, Auger ∝ N²(N−1)/4,
    Poisson start, one ⟨N⟩ per trace: no beam-profile average). The IRF is ignored
    (fit starts one rise width after the peak).

    Premises (a message on the quantity when one fails): the residual is one exponential
    (two exponentials not preferred by ΔAIC > 10); the normalised traces agree in the window
    (trend ≤ 3 σ); the reference traces have ⟨N⟩ ≤ 0.3 (global fit); for τ_X, the tail window
    holds signal above the background noise (≥ 20 bins where the smoothed excess exceeds
    √b per bin) and is one exponential (ΔAIC ≤ 10).

    References
    ----------
    .. [1] V. I. Klimov et al., Science 287, 1011 (2000).
    .. [2] B. T. Diroll et al., Nanoscale (2023), Fig. 2e,f.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(-10.0, 150.0, 0.2)
    >>> n = np.array([0.05, 0.1, 0.8])
    >>> from multiphoton.models.cascade import cascade_pl
    >>> pl = cascade_pl(np.clip(t, 0, None), n, tau_x_ns=25.0, tau_xx_ns=5.0, n_max=2)
    >>> mu = 1e5 * pl / n[:, None] * (t >= 0) + 2.0
    >>> y = np.random.default_rng(1).poisson(mu)
    >>> r = biexciton_lifetime(t, [0.1, 0.2, 1.0], y, global_fit=False)
    >>> abs(r.tau_xx_ns.value - 5.0) < 3 * r.tau_xx_ns.stderr
    True
    """
    t, f, c = _check_series(time_ns, fluence_mJ_cm2, counts)
    forder = np.argsort(f)  # ascending fluence → input indices
    hi = _high_trace(high_index, forder)
    notes = []
    _, ipk, t_half, rise = _rise_features(t, c[hi])
    bg, bmask = _backgrounds(t, c, background_ns, t_half, rise, notes)
    sig, var, t_pk = c - bg[:, None], np.maximum(c, 1.0), t[ipk]  # signal, its Poisson variance
    low_order = [int(i) for i in forder if i != hi]
    lowest = low_order[0]
    lo_w, hi_w, win = (_given_window(t, window_ns) if window_ns is not None else
                       _auto_window(t, sig, var, hi, lowest, ipk, rise, notes))
    nrm, nv, s_norm, s_var = _norm_traces(sig, var, win)
    trend = _trend_z(t[win], nrm[hi, win] - nrm[lowest, win], nv[hi, win] + nv[lowest, win])
    early = _before_window(t, t_pk, rise, lo_w)
    low_set = _low_fluence_set(nrm, nv, low_order, early, n_low)
    low_mask = np.isin(np.arange(f.size), low_set)
    context = _context((lo_w, hi_w), window_ns is None, trend, low_set, f, hi, bmask)
    tau_xx, tr, rr, residual_fit = _klimov_difference(
        t, nrm, nv, s_norm, s_var, hi, low_set, t_pk=t_pk, rise=rise, lo_w=lo_w,
        fit_start_ns=fit_start_ns, details=context)
    tau_x = _low_fluence_tail(t, c, bg, low_set, f, tx_from=lo_w, fallback_from=t_pk + rise)
    gx, gxx, mean_n = _cascade_cross_check(global_fit, tau_x, tau_xx, t, c, t_half, t_pk + rise,
                                           f, n_max)
    tau_xx, note = _annotate(tau_xx, notes + _premise_notes(trend, mean_n, low_set, f), gxx)
    return BiexcitonResult(
        tau_xx_ns=tau_xx, tau_x_ns=tau_x, tau_xx_global_ns=gxx, tau_x_global_ns=gx,
        mean_n=mean_n, window_ns=(lo_w, hi_w), low_fluence=low_mask, high_index=hi, time_ns=t,
        normalized=nrm, residual_time_ns=tr, residual=rr, residual_fit=residual_fit, note=note)


def _context(window, auto: bool, trend, low_set, f, hi, bmask) -> dict:
    """The ``details`` every τ_XX estimate carries: window, traces used, background."""
    return {"window_ns": list(window), "window_auto": auto, "window_trend_sigma": float(trend),
            "low_fluence_mJ_cm2": [float(f[i]) for i in low_set],
            "high_fluence_mJ_cm2": float(f[hi]), "background_subtracted": bool(np.any(bmask))}


def _annotate(tau_xx, notes: list, gxx):
    """τ_XX with the failed premises and a disagreement with the global fit in its message."""
    note = "; ".join(notes + _disagreement(tau_xx, gxx))
    if note and tau_xx.success:
        tau_xx = replace(tau_xx, message="; ".join(m for m in (tau_xx.message, note) if m))
    return tau_xx, note


def _before_window(t, t_pk, rise, lo_w):
    """Mask of the bins from one rise width after the peak to the window start (≥ 5)."""
    early = (t >= t_pk + rise) & (t < lo_w)
    if np.count_nonzero(early) < 5:
        raise InputError(
            f"fewer than 5 bins between the peak ({t_pk:g} ns) and the normalisation window "
            f"start ({lo_w:g} ns); move the window later."
        )
    return early


def _cascade_cross_check(global_fit, tau_x, tau_xx, t, c, t_zero, t_from, f, n_max):
    """The global cascade fit, started from the Klimov estimates (failed Estimates without)."""
    if global_fit and tau_xx.success and tau_x.success:
        return _global_fit(t, c, t_zero, t_from, tau_x.value, tau_xx.value, f, n_max)
    why = "global fit not requested" if not global_fit else "needs the Klimov estimates first"
    return _failed("global-cascade", why), _failed("global-cascade", why), ()


def _high_trace(high_index, forder):
    """Input index of the trace whose difference is fitted (default: the highest fluence)."""
    nf = forder.size
    if high_index is None:
        return int(forder[-1])
    if not (isinstance(high_index, (int, np.integer)) and -nf <= high_index < nf):
        raise InputError(f"high_index must be an integer index into the {nf} traces, got "
                         f"{high_index!r}.")
    return int(high_index) % nf


def _backgrounds(t, c, background_ns, t_half, rise, notes):
    """Constant background of each trace (F,) and the mask of the bins it came from."""
    if background_ns is not None:
        bmask = (t >= background_ns[0]) & (t <= background_ns[1])
        if np.count_nonzero(bmask) < 3:
            raise InputError(f"background_ns {background_ns} holds fewer than 3 bins; widen it.")
    else:
        bmask = t < t_half - 3.0 * rise
        if np.count_nonzero(bmask) < 5:
            bmask = np.zeros(t.size, bool)
            notes.append("no pre-rise bins: no background subtracted")
    bg = c[:, bmask].mean(axis=1) if np.any(bmask) else np.zeros(c.shape[0])
    return bg, bmask


def _given_window(t, window_ns):
    """The user's normalisation window (start, stop, mask), checked."""
    lo_w, hi_w = float(window_ns[0]), float(window_ns[1])
    if not (hi_w > lo_w):
        raise InputError(f"window_ns must be (start, stop) with stop > start, got {window_ns}.")
    win = (t >= lo_w) & (t <= hi_w)
    if np.count_nonzero(win) < 3:
        raise InputError(f"window_ns {window_ns} holds fewer than 3 bins; widen it.")
    return lo_w, hi_w, win


def _auto_window(t, sig, var, hi, lowest, ipk, rise, notes):
    """Normalisation window from the data: start at peak + 7 τ_XX, end where the lowest
    trace falls below 1 % of its peak (see :func:`biexciton_lifetime`, Notes)."""
    t_pk = t[ipk]
    low_s = _smooth(sig[lowest], 9)
    after = t > t_pk
    strong = np.nonzero(after & (low_s >= 0.01 * low_s[ipk:].max()))[0]
    t_end = float(t[strong[-1]] if strong.size else t[-1])
    latest = t_pk + 0.6 * (t_end - t_pk)
    # provisional window at 30 % of the span, then start = peak + 7 τ_XX (the biexciton
    # population is then below e^-7 ≈ 0.1 % of its start), iterated twice
    lo_w = t_pk + 0.3 * (t_end - t_pk)
    for _ in range(2):
        win = (t >= lo_w) & (t <= t_end)
        nrm, _, _, _ = _norm_traces(sig[[hi, lowest]], var[[hi, lowest]], win)
        diff = nrm[0] - nrm[1]
        seg = (t >= t_pk + rise) & (t < lo_w)
        tau_p = _loglin_tau(t[seg], _smooth(diff[seg], 9))
        lo_w = float(min(max(t_pk + 7.0 * tau_p, t_pk + 0.05 * (t_end - t_pk)), latest))
    win = (t >= lo_w) & (t <= t_end)
    if lo_w >= latest:
        notes.append(f"window start capped at {lo_w:.3g} ns (< peak + 7 tau_xx); the trace is "
                     "short for this tau_xx, normalisation may leak biexciton signal")
    return lo_w, t_end, win


def _low_fluence_set(nrm, nv, low_order, early, n_low):
    """Input indices of the single-exciton reference traces (lowest fluence first)."""
    if n_low is not None:
        if not (isinstance(n_low, (int, np.integer)) and 1 <= n_low <= len(low_order)):
            raise InputError(f"n_low must be an integer from 1 to {len(low_order)}, got {n_low!r}.")
        return low_order[:n_low]
    low_set = [low_order[0]]
    dof = np.count_nonzero(early)
    for k in low_order[1:]:
        m = nrm[low_set, :][:, early].mean(axis=0)
        mv = nv[low_set, :][:, early].sum(axis=0) / len(low_set) ** 2
        chi = np.sum((nrm[k, early] - m) ** 2 / (nv[k, early] + mv))
        if chi / dof < 1.0 + 3.0 * math.sqrt(2.0 / dof):
            low_set.append(k)
        else:
            break
    return low_set


def _klimov_difference(t, nrm, nv, s_norm, s_var, hi, low_set, *, t_pk, rise, lo_w,
                       fit_start_ns, details):
    """τ_XX from the residual N_high − mean N_low; returns (Estimate, t_r, residual, fit)."""
    nl = len(low_set)

    def residual_of(scale_hi=1.0, scale_low=1.0):
        return nrm[hi] * scale_hi - nrm[low_set].mean(axis=0) * scale_low

    r_all = residual_of()
    r_var = nv[hi] + nv[low_set].sum(axis=0) / nl**2
    if fit_start_ns is None:
        region = (t >= t_pk - rise) & (t < lo_w)
        i_r = np.nonzero(region)[0]
        i0 = i_r[np.argmax(_smooth(r_all[region]))]
        t_start = t[i0] + rise
    else:
        t_start = float(fit_start_ns)
    fit_mask = (t >= t_start) & (t < lo_w)
    tr, rr, rv = t[fit_mask], r_all[fit_mask], r_var[fit_mask]
    method = "klimov-difference"
    if tr.size < 5:
        return (_failed(method, f"only {tr.size} bins between the residual peak and the "
                                "normalisation window; use a later window or finer bins"),
                tr, rr, np.full(tr.shape, np.nan))
    w = 1.0 / np.sqrt(rv)
    tau_guess = _loglin_tau(tr, _smooth(rr, 9))

    def fit_residual(r):
        return _varpro(r, w, _tail_builder(tr, 1, t_ref=t_start, background=False),
                       [math.log(tau_guess)])

    sol, cc, phi, deriv = fit_residual(rr)
    tau = math.exp(sol.x[0])
    model = phi @ cc
    dof = max(tr.size - 2, 1)
    chi2 = float(np.sum((w * (rr - model)) ** 2) / dof)
    cov = _covariance(w, phi, deriv(cc) / tau, max(1.0, chi2))
    var_fit = cov[0, 0]
    amp_z = cc[0] / math.sqrt(cov[1, 1]) if cov[1, 1] > 0 else 0.0
    # normalisation-sum errors: refit with S_high and the low mean shifted by 1 σ
    var_norm = 0.0
    rel_hi = math.sqrt(s_var[hi]) / s_norm[hi]
    rel_low = math.sqrt(np.sum(s_var[low_set] / s_norm[low_set] ** 2)) / nl
    for sh, sl in ((1.0 / (1.0 + rel_hi), 1.0), (1.0, 1.0 / (1.0 + rel_low))):
        sol2 = fit_residual(residual_of(sh, sl)[fit_mask])[0]
        var_norm += (math.exp(sol2.x[0]) - tau) ** 2
    ok = bool(sol.success) and amp_z > 3.0 and np.isfinite(var_fit)
    d_aic = _second_exponential(tr, rr, w, t_start, tau, background=False) if ok else 0.0
    details = {**details, "second_exponential_delta_aic": float(d_aic)}
    premise = "" if d_aic <= 10.0 else (
        f"Klimov's premise fails: the residual is not one exponential (two are preferred by "
        f"delta AIC {d_aic:.0f}, reduced chi2 {chi2:.2f}); tau_xx_global_ns (cascade) or a "
        "multi-exponential model describes it better")
    msg = premise if ok else (
        "no biexciton component above noise in the difference (amplitude "
        f"{amp_z:.1f} sigma); use a higher fluence" if amp_z <= 3.0 else
        f"residual fit did not converge: {sol.message}")
    est = Estimate(
        value=tau if ok else float("nan"), stderr=math.sqrt(var_fit + var_norm) if ok else float("nan"),
        method=method, unit="ns", success=ok, message=msg, reduced_chi2=chi2,
        residuals=rr - model,
        params={"amplitude": (float(cc[0]), math.sqrt(max(cov[1, 1], 0.0)))},
        details={**details, "fit_range_ns": [float(t_start), float(tr[-1])]})
    return est, tr, rr, model


def _low_fluence_tail(t, c, bg, low_set, f, *, tx_from, fallback_from):
    """τ_X: one exponential + constant on the summed low-fluence raw traces, where only
    single excitons remain (from the window start to the end of the trace)."""
    method = "low-fluence-tail"
    y_low = c[low_set].sum(axis=0)
    tx_mask = t >= tx_from
    if np.count_nonzero(tx_mask) < MIN_POINTS:
        tx_mask = t >= fallback_from
    tt, yy = t[tx_mask], y_low[tx_mask]
    b_low = float(bg[low_set].sum())
    try:
        w = 1.0 / np.sqrt(np.maximum(yy, 1.0))
        g = _log_tail_tau(tt, yy, b_low, 0, max(yy.max() - b_low, 1))
        sol, cc, phi, deriv = _varpro(yy, w, _tail_builder(tt, 1, t_ref=tt[0], background=True),
                                      [math.log(g)])
    except np.linalg.LinAlgError as exc:  # pragma: no cover - defensive
        return _failed(method, f"tail fit failed: {exc}")
    tau_x = math.exp(sol.x[0])
    model = phi @ cc
    chi2 = float(np.sum((w * (yy - model)) ** 2) / max(tt.size - 3, 1))
    details = {"fit_range_ns": [float(tt[0]), float(tt[-1])],
               "low_fluence_mJ_cm2": [float(f[i]) for i in low_set]}
    if not sol.success:
        return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit="ns",
                        success=False, reduced_chi2=chi2,
                        message=f"low-fluence tail fit did not converge: {sol.message}",
                        details={**details, "last_iterate_ns": tau_x})
    cov = _covariance(w, phi, deriv(cc) / tau_x, max(1.0, chi2))
    msg = []
    # the window must hold signal: the smoothed excess above the per-bin background noise
    m = max(9, tt.size // 100) | 1
    above = np.nonzero(_smooth(yy - b_low, m) >= math.sqrt(max(b_low, 1.0)))[0]
    t_noise = float(tt[above[-1]]) if above.size else float(tt[0])
    details["noise_end_ns"] = t_noise
    if above.size < MIN_POINTS:
        msg.append(f"the tail fit window ({tt[0]:.4g}-{tt[-1]:.4g} ns) is at the background level "
                   f"(the low-fluence signal reaches the background noise at {t_noise:.4g} ns)")
    d_aic = _second_exponential(tt, yy, w, tt[0], tau_x, background=True)
    details["second_exponential_delta_aic"] = float(d_aic)
    if d_aic > 10.0:
        msg.append(f"the low-fluence tail is not one exponential (two are preferred by delta AIC "
                   f"{d_aic:.0f}): not a single-exciton decay; tau_x_ns is only an effective lifetime")
    return Estimate(value=tau_x, stderr=math.sqrt(cov[0, 0]), method=method, unit="ns",
                    reduced_chi2=chi2, details=details, message="; ".join(msg))


def _second_exponential(tt, yy, w, t_ref, tau1, *, background):
    """ΔAIC (χ²-based) of two exponentials over one on (tt, yy): > 10 means one does not suffice."""
    chi = []
    for n, theta0 in ((1, [math.log(tau1)]), (2, [math.log(tau1 / 5.0), math.log(tau1 * 1.5)])):
        try:
            with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
                sol, cc, phi, _ = _varpro(yy, w, _tail_builder(tt, n, t_ref=t_ref, background=background), theta0)
        except (np.linalg.LinAlgError, ValueError):
            return 0.0
        if not (sol.success and np.all(np.isfinite(cc))):
            return 0.0
        chi.append(float(np.sum((w * (yy - phi @ cc)) ** 2)))
    return chi[0] - chi[1] - 4.0


def _premise_notes(trend, mean_n, low_set, f):
    """Klimov's premises: one shape in the window, and ⟨N⟩ ≪ 1 for the reference traces."""
    out = []
    if trend > 3.0:
        out.append(f"the normalised highest- and lowest-fluence traces still differ in the window "
                   f"(trend {trend:.1f} sigma): the late decay depends on fluence, so the window does "
                   "not hold single excitons only (Klimov's premise)")
    if mean_n:
        low_n = [mean_n[i].value for i in low_set if mean_n[i].success]
        if low_n and max(low_n) > 0.3:
            out.append(f"the low-fluence reference has <N> up to {max(low_n):.2f} (global fit), not << 1 "
                       "(Klimov's premise): its biexcitons bias tau_xx")
    return out


def _disagreement(tau_xx, gxx):
    """A note when the Klimov and global-cascade τ_XX differ by more than 2 combined σ."""
    if not (tau_xx.success and gxx.success):
        return []
    diff = abs(tau_xx.value - gxx.value)
    comb = math.hypot(tau_xx.stderr, gxx.stderr)
    if diff > 2.0 * comb:
        return [f"tau_xx disagrees between klimov-difference ({tau_xx.value:.3g} ns) and "
                f"global-cascade ({gxx.value:.3g} ns) by {diff / comb:.1f} combined sigma"]
    return []


def _global_fit(t, counts, t_zero, t_from, tau_x0, tau_xx0, f, n_max):
    """Shared τ_X, τ_XX and per-trace ⟨N⟩, amplitude on all traces after the peak.

    Parametrised as θ = (log τ_X, log(τ_X / (s(2) τ_XX)), ⟨N⟩ₖ) with the second ≥ 0, so that
    the biexciton is never slower than its radiative limit τ_X/2 (cascade_pl requires it).
    """
    mask = t >= t_from
    tt = t[mask] - t_zero
    y = counts[:, mask]
    w = 1.0 / np.sqrt(np.maximum(counts[:, mask], 1.0))
    nf = f.size
    tau_xx0 = min(tau_xx0, 0.45 * tau_x0)
    # ⟨N⟩ guesses: shared-τ two-exponential linear solve, β/α ≈ p2/p1 ≈ ⟨N⟩/2
    basis = np.column_stack([np.exp(-tt / tau_x0), np.exp(-tt / tau_xx0), np.ones_like(tt)])
    n0 = np.empty(nf)
    for k in range(nf):
        ab = np.linalg.lstsq(basis * w[k, :, None], y[k] * w[k], rcond=None)[0]
        n0[k] = float(np.clip(2.0 * ab[1] / ab[0], 1e-3, 20.0)) if ab[0] > 0 else 0.1

    def shapes_of(theta):
        tx = math.exp(theta[0])
        txx = 0.5 * tx * math.exp(-theta[1])
        return cascade_pl(tt, theta[2:], tau_x_ns=tx, tau_xx_ns=txx, n_max=n_max)

    w2 = w**2
    s_1, s_y = w2.sum(axis=1), np.sum(w2 * y, axis=1)

    def linear(shapes):
        # per-trace amplitude and background: weighted linear least squares (variable projection)
        s_s, s_ss, s_sy = (np.sum(w2 * shapes, axis=1), np.sum(w2 * shapes**2, axis=1),
                           np.sum(w2 * shapes * y, axis=1))
        det = s_ss * s_1 - s_s**2
        a = (s_sy * s_1 - s_s * s_y) / det
        b = (s_ss * s_y - s_s * s_sy) / det
        return a, b

    def residuals(theta, full=False):
        shapes = shapes_of(theta)
        a, b = linear(shapes)
        r = (w * (y - a[:, None] * shapes - b[:, None])).ravel()
        return (r, a, b) if full else r

    theta0 = np.r_[math.log(tau_x0), math.log(0.5 * tau_x0 / tau_xx0), n0]
    lb = np.r_[-np.inf, 0.0, np.zeros(nf)]
    ub = np.r_[np.inf, np.inf, np.full(nf, 50.0)]
    sol = optimize.least_squares(residuals, theta0, bounds=(lb, ub), method="trf",
                                 x_scale="jac", max_nfev=100 * theta0.size)
    r, a, bgk = residuals(sol.x, full=True)
    dof = max(r.size - 3 * nf - 2, 1)
    chi2 = float(np.sum(r**2) / dof)

    # covariance from the full Jacobian (nonlinear + amplitudes), by finite differences
    def full_model(p):
        amp, off = p[2 + nf:2 + 2 * nf, None], p[2 + 2 * nf:, None]
        return (w * (amp * shapes_of(p[:2 + nf]) + off)).ravel()

    p = np.r_[sol.x, a, bgk]
    jac = np.empty((r.size, p.size))
    f0 = full_model(p)
    for j in range(p.size):
        h = 1e-6 * max(abs(p[j]), 1e-3)
        pp = p.copy()
        pp[j] += h
        jac[:, j] = (full_model(pp) - f0) / h
    cov = _cov_from_jac(jac) * max(1.0, chi2)
    tx = math.exp(sol.x[0])
    txx = 0.5 * tx * math.exp(-sol.x[1])
    var_log_txx = cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1]
    details = {"n_max": int(n_max), "fit_from_ns": float(t_from), "time_zero_ns": float(t_zero),
               "nfev": int(sol.nfev)}
    ok = bool(sol.success) and np.all(np.isfinite(np.diag(cov)))
    if not ok:
        msg = (f"global fit did not converge: {sol.message}" if not sol.success else
               "global fit: the covariance is not finite (parameters not determined)")
        last = {**details, "last_iterate": {"tau_x_ns": tx, "tau_xx_ns": txx,
                                            "mean_n": [float(x) for x in sol.x[2:]]}}
        failed = Estimate(value=float("nan"), stderr=float("nan"), method="global-cascade",
                          unit="ns", success=False, message=msg, reduced_chi2=chi2, details=last)
        mean_n = tuple(replace(failed, unit="", reduced_chi2=None,
                               details={"fluence_mJ_cm2": float(f[k])}) for k in range(nf))
        return failed, failed, mean_n
    msg = "tau_xx at its radiative limit tau_x/2 (no Auger decay resolved)" if sol.x[1] < 1e-6 else ""
    gx = Estimate(value=tx, stderr=tx * math.sqrt(max(cov[0, 0], 0)), method="global-cascade",
                  unit="ns", message=msg, reduced_chi2=chi2, details=details)
    gxx = Estimate(value=txx, stderr=txx * math.sqrt(max(var_log_txx, 0)), method="global-cascade",
                   unit="ns", message=msg, reduced_chi2=chi2, details=details)
    mean_n = tuple(Estimate(value=float(sol.x[2 + k]), stderr=math.sqrt(max(cov[2 + k, 2 + k], 0)),
                            method="global-cascade", unit="", details={"fluence_mJ_cm2": float(f[k])})
                   for k in range(nf))
    return gx, gxx, mean_n
