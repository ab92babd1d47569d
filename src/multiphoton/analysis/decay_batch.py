"""Many decays on one time grid at once: the vectorised reconvolution fit.

:func:`fit_decays` has the model, objective, weights and outputs of
:func:`multiphoton.analysis.decay.fit_decay` with a Gaussian IRF, for a stack of traces
(a FLIM image, a fluence series); every array operation advances all decays of a chunk
(:func:`multiphoton.analysis.varpro._batch_lm`). One exponential takes a speed path that
reduces the tail of the model to weighted power sums (:func:`_mono_normal_eqs`).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from ..errors import InputError
from .decay import _check_options, _check_trace, _finish, _guess_taus, _natural_scale, _rise_features
from .decay_models import FWHM_PER_SIGMA, _exp_gauss_partials, _exp_gauss_unit
from .varpro import _batch_lm

__all__ = ["fit_decays"]


def _batch_gauss_eval(t, theta, y, w, n, fixed_sigma, background):
    """Residuals, Kaufman Jacobian, linear coefficients for a batch (B decays) at θ (B, K)."""
    taus = np.exp(theta[:, :n])
    t0 = theta[:, n]
    sigma = (np.full(theta.shape[0], fixed_sigma) if fixed_sigma is not None
             else np.exp(theta[:, n + 1]))
    d = t[None, :] - t0[:, None]
    cols, dtau, dt0, ds = [], [], [], []
    for i in range(n):
        f, f_tau, f_t0, f_s = _exp_gauss_partials(d, taus[:, i:i + 1], sigma[:, None])
        cols.append(f)
        dtau.append(f_tau * taus[:, i:i + 1])
        dt0.append(f_t0)
        ds.append(f_s * sigma[:, None])
    if background:
        cols.append(np.ones_like(d))
    a = np.stack(cols, axis=2) * w[:, :, None]  # (B, T, L)
    b = y * w
    at = a.transpose(0, 2, 1)
    gram = at @ a
    c = np.linalg.solve(gram, at @ b[:, :, None])[:, :, 0]
    r = b - (a @ c[:, :, None])[:, :, 0]
    dcols = [dtau[i] * c[:, i:i + 1] for i in range(n)]
    dcols.append(sum(dt0[i] * c[:, i:i + 1] for i in range(n)))
    if fixed_sigma is None:
        dcols.append(sum(ds[i] * c[:, i:i + 1] for i in range(n)))
    dm = np.stack(dcols, axis=2) * w[:, :, None]  # (B, T, K)
    proj = np.linalg.solve(gram, at @ dm)
    jac = -(dm - a @ proj)
    return r, jac, c, a / w[:, :, None], dm / w[:, :, None]


def _generic_normal_eqs(t, y, w, n, fixed_sigma, background):
    """Evaluator (cost, JᵀJ, Jᵀr) of the batched VarPro problem from full arrays."""

    def evaluate(theta, rows):
        r, jac, _, _, _ = _batch_gauss_eval(t, theta, y[rows], w[rows], n, fixed_sigma, background)
        jt = jac.transpose(0, 2, 1)
        return np.sum(r * r, axis=1), jt @ jac, (jt @ r[:, :, None])[:, :, 0]

    return evaluate


_BAND_X = 6.0  # |x| < 6: erfcx band; x <= -6: pure exponential tail; x >= 6: zero


def _mono_normal_eqs(t, y, w, fixed_sigma, background):
    """Evaluator (cost, JᵀJ, Jᵀr) for one exponential ⊗ Gaussian, from weighted sums.

    Hand-written speed path (no library offers it): in the tail (x ≤ −6) every column of
    the model and of its θ-derivatives is f·(a + b d) with f = exp(k²σ²/2 − k d), so all
    inner products there reduce to Σ W f² tᵐ (m ≤ 2), Σ W f tᵐ and Σ W y f tᵐ (m ≤ 1),
    obtained with three matrix products against [1, t, t²]; only the short band around
    the rise (|x| < 6) is evaluated element by element, and before it the model is zero.
    """
    bsz, tsz = y.shape
    wsq = w * w
    wy = wsq * y
    tot_w, tot_wy, tot_wyy = wsq.sum(axis=1), wy.sum(axis=1), np.sum(wy * y, axis=1)
    powers = np.column_stack([np.ones(tsz), t, t * t])
    idx_t = np.arange(tsz)
    nd = 2 if fixed_sigma is not None else 3  # logτ, t0, [logσ]

    def evaluate(theta, rows, full=False):
        m = rows.size
        tau = np.exp(theta[:, 0])
        k = 1.0 / tau
        t0 = theta[:, 1]
        sig = np.full(m, fixed_sigma) if fixed_sigma is not None else np.exp(theta[:, 2])
        ks2 = k * sig * sig
        half = _BAND_X * math.sqrt(2.0) * sig
        i_lo = np.searchsorted(t, t0 + ks2 - half)
        i_hi = np.searchsorted(t, t0 + ks2 + half)
        # ---- tail: f = exp(k²σ²/2 − k(t − t0)) for i >= i_hi
        expo = np.multiply.outer(-k, t)
        expo += (0.5 * ks2 * k + k * t0)[:, None]
        expo[idx_t[None, :] < i_hi[:, None]] = -np.inf
        f = np.exp(expo, out=expo)
        wf = wsq[rows] * f
        s2 = (wf * f) @ powers  # Σ W f² tᵐ, m = 0..2
        s1 = wf @ powers[:, :2]  # Σ W f tᵐ
        sy = (wy[rows] * f) @ powers[:, :2]  # Σ W y f tᵐ
        # re-expand in d = t − t0
        q2_0 = s2[:, 0]
        q2_1 = s2[:, 1] - t0 * s2[:, 0]
        q2_2 = s2[:, 2] - 2 * t0 * s2[:, 1] + t0 * t0 * s2[:, 0]
        q1_0, q1_1 = s1[:, 0], s1[:, 1] - t0 * s1[:, 0]
        qy_0, qy_1 = sy[:, 0], sy[:, 1] - t0 * sy[:, 0]
        # column j of U = [f, ∂f/∂logτ, ∂f/∂t0, ∂f/∂logσ] is f·(a_j + b_j d) in the tail
        a_c = np.stack([np.ones(m), -k * ks2, k, k * ks2], axis=1)[:, :1 + nd]
        b_c = np.stack([np.zeros(m), k, np.zeros(m), np.zeros(m)], axis=1)[:, :1 + nd]
        uu = (a_c[:, :, None] * a_c[:, None, :] * q2_0[:, None, None]
              + (a_c[:, :, None] * b_c[:, None, :] + b_c[:, :, None] * a_c[:, None, :])
              * q2_1[:, None, None]
              + b_c[:, :, None] * b_c[:, None, :] * q2_2[:, None, None])
        u1 = a_c * q1_0[:, None] + b_c * q1_1[:, None]
        uy = a_c * qy_0[:, None] + b_c * qy_1[:, None]
        # ---- band: exact partials on the gathered bins i_lo <= i < i_hi
        width = int(np.max(i_hi - i_lo)) if m else 0
        if width > 0:
            gi = np.minimum(i_lo[:, None] + np.arange(width)[None, :], tsz - 1)
            inband = (i_lo[:, None] + np.arange(width)[None, :]) < i_hi[:, None]
            tb = t[gi]
            wb = np.where(inband, wsq[rows[:, None], gi], 0.0)
            yb = y[rows[:, None], gi]
            fb, f_tau, f_t0, f_s = _exp_gauss_partials(tb - t0[:, None], tau[:, None], sig[:, None])
            cols = [fb, f_tau * tau[:, None], f_t0, f_s * sig[:, None]][:1 + nd]
            ub = np.stack(cols, axis=2)  # (m, W, 1 + nd)
            wub = ub * wb[:, :, None]
            uu = uu + wub.transpose(0, 2, 1) @ ub
            u1 = u1 + wub.sum(axis=1)
            uy = uy + np.sum(wub * yb[:, :, None], axis=1)
        # ---- VarPro normal equations: Φ = [f, 1], D = c_f · U[:, 1:]
        if background:
            gram = np.empty((m, 2, 2))
            gram[:, 0, 0], gram[:, 0, 1], gram[:, 1, 0] = uu[:, 0, 0], u1[:, 0], u1[:, 0]
            gram[:, 1, 1] = tot_w[rows]
            rhs = np.stack([uy[:, 0], tot_wy[rows]], axis=1)
            dphi = np.stack([uu[:, 1:, 0], u1[:, 1:]], axis=2)  # (m, nd, 2): Uᵈᵀ W Φ
        else:
            gram = uu[:, :1, :1]
            rhs = uy[:, :1]
            dphi = uu[:, 1:, :1]
        c = np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]
        cost = tot_wyy[rows] - np.sum(c * rhs, axis=1)
        cf = c[:, 0]
        dd = uu[:, 1:, 1:] * (cf * cf)[:, None, None]
        dp = dphi * cf[:, None, None]
        h = dd - dp @ np.linalg.solve(gram, dp.transpose(0, 2, 1))
        g = -(uy[:, 1:] * cf[:, None] - (dp @ c[:, :, None])[:, :, 0])
        if not full:
            return cost, h, g
        # normal matrix of the full problem over (logτ, t0, [logσ], amplitude, [background])
        nl = gram.shape[1]
        normal = np.empty((m, nd + nl, nd + nl))
        normal[:, :nd, :nd] = dd
        normal[:, :nd, nd:] = dp
        normal[:, nd:, :nd] = dp.transpose(0, 2, 1)
        normal[:, nd:, nd:] = gram
        return c, normal

    return evaluate


def _check_stack(time_ns, counts):
    """Validate a (B, T) stack of traces on one time axis; returns sorted float copies."""
    t = np.array(time_ns, dtype=float)
    y = np.array(counts, dtype=float)
    if y.ndim != 2 or t.ndim != 1 or y.shape[1] != t.size:
        raise InputError(f"counts must have shape (B, T) with T = len(time_ns) = {t.size}, "
                         f"got {y.shape}.")
    if y.shape[0] == 0:
        raise InputError("counts holds no decays (B = 0).")
    order = np.argsort(t, kind="stable") if t.size else np.arange(0)
    _check_trace(t, y[0], name="counts[0]")  # axis checks and the first row's messages
    t, y = t[order], y[:, order]
    if not np.all(np.isfinite(y)):
        raise InputError("counts must be finite; remove NaN/inf bins.")
    bad = np.nonzero(np.any(y < 0, axis=1))[0]
    if bad.size:
        raise InputError(f"counts[{bad[0]}] has negative values; give raw photon counts.")
    bad = np.nonzero(~np.any(y > 0, axis=1))[0]
    if bad.size:
        raise InputError(f"counts[{bad[0]}] is all zero; there is no decay to fit.")
    return t, y


def _guess_mono_batch(t, y):
    """Vectorised :func:`_rise_features` + single-τ guess for a stack (B, T)."""
    bsz, tsz = y.shape
    ys = ndimage.uniform_filter1d(y, 5, axis=1, mode="constant") if tsz >= 5 else y
    ipk = np.argmax(ys, axis=1)
    rows = np.arange(bsz)
    idx = np.arange(tsz)[None, :]
    npre = np.maximum(3, ipk // 2)
    pre = idx < np.minimum(npre, ipk)[:, None]
    n_pre = np.maximum(pre.sum(axis=1), 1)
    bg = np.where(ipk >= 6, np.where(pre, y, 0.0).sum(axis=1) / n_pre,  # mean (median in the
                  np.maximum(ys.min(axis=1), 0.0))                      # scalar path): a guess
    peak = np.maximum(ys[rows, ipk] - bg, 1e-12)
    rel = (ys - bg[:, None]) / peak[:, None]
    before = idx <= ipk[:, None]

    def crossing(level):
        below = before & (rel < level)
        i = np.where(below.any(axis=1), tsz - 1 - np.argmax(below[:, ::-1], axis=1), -1)
        i = np.minimum(i, ipk - 1)
        ok = i >= 0
        ii = np.clip(i, 0, tsz - 2)
        y0, y1 = rel[rows, ii], rel[rows, ii + 1]
        frac = np.where(y1 != y0, (level - y0) / np.where(y1 != y0, y1 - y0, 1.0), 0.0)
        tc = t[ii] + np.clip(frac, 0, 1) * (t[ii + 1] - t[ii])
        return np.where(ok, tc, np.where(ipk > 0, t[ipk], t[0]))

    dt = float(np.median(np.diff(t)))
    t_half = crossing(0.5)
    rise = np.maximum(crossing(0.88) - crossing(0.12), dt)
    # τ: weighted line through log(y − bg) over the tail above 2 % of the peak
    thr = np.maximum(0.02 * peak, 3.0 * np.sqrt(np.maximum(bg, 1.0)))
    yy = y - bg[:, None]
    use = (idx >= ipk[:, None]) & (yy > thr[:, None])
    wt = np.where(use, yy, 0.0)  # weights ∝ counts (polyfit's w = √counts squared)
    z = np.log(np.where(use, yy, 1.0))
    sw = wt.sum(axis=1)
    ok = use.sum(axis=1) >= 4
    sw = np.where(sw > 0, sw, 1.0)
    tm = (wt * t).sum(axis=1) / sw
    zm = (wt * z).sum(axis=1) / sw
    sxx = (wt * (t - tm[:, None]) ** 2).sum(axis=1)
    sxz = (wt * (t - tm[:, None]) * (z - zm[:, None])).sum(axis=1)
    slope = np.where(sxx > 0, sxz / np.where(sxx > 0, sxx, 1.0), 0.0)
    fallback = np.maximum((t[-1] - t[ipk]) / 3.0, dt)
    tau = np.where(ok & (slope < 0), -1.0 / np.where(slope < 0, slope, -1.0), fallback)
    return tau, t_half, rise


def _initial_theta(t, y, n, sigma_fixed):
    """Starting (log τ…, t0, [log σ]) of each decay of a chunk (B, K)."""
    if n == 1:
        tau0, t_half, rise = _guess_mono_batch(t, y)
        theta = np.column_stack([np.log(tau0), t_half])
        if sigma_fixed is None:
            theta = np.column_stack([theta, np.log(rise / FWHM_PER_SIGMA)])
        return theta
    theta = []
    for yi in y:
        bg0, ipk, t_half, rise = _rise_features(t, yi)
        th = np.r_[np.log(_guess_taus(t, yi, bg0, ipk, n)), t_half]
        if sigma_fixed is None:
            th = np.r_[th, math.log(rise / FWHM_PER_SIGMA)]
        theta.append(th)
    return np.array(theta)


def fit_decays(time_ns, counts, *, n_components=1, irf_fwhm_ns=None, background=True,
               weighting="poisson-mle", chunk=128, max_iter=100) -> list:
    """Fit many decays on one time grid at once (vectorised; Gaussian IRF).

    Same model, objective, weights and outputs as :func:`fit_decay` with a Gaussian IRF
    (fixed ``irf_fwhm_ns`` or fitted), for a stack of traces — e.g. a FLIM image or a
    fluence series — where a per-trace optimiser call would dominate the run time.

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Common bin times, ns (any order).
    counts : ndarray of shape (B, T)
        Raw photon counts, one decay per row.
    n_components, irf_fwhm_ns, background, weighting
        As in :func:`fit_decay` (``weighting`` "poisson", "poisson-mle" or "uniform").
    chunk : int
        Decays advanced together (memory ~ chunk × T × 8 bytes × ~20).
    max_iter : int
        Levenberg–Marquardt iterations at most.

    Returns
    -------
    list of DecayFit, length B

    Notes
    -----
    The variable-projection problem of :func:`fit_decay` is solved by a Levenberg–Marquardt
    iteration vectorised over the batch (Marquardt diagonal scaling, step accepted when
    the cost decreases, convergence at a relative cost decrease ≤ 1e-10). Standard
    errors are computed exactly as in :func:`fit_decay`.

    Examples
    --------
    >>> import numpy as np
    >>> from multiphoton.analysis.decay_models import exp_conv_gauss
    >>> t = np.linspace(-5, 60, 400)
    >>> mu = exp_conv_gauss(t, amplitude=2000.0, tau_ns=8.0, t0_ns=0.0, irf_fwhm_ns=0.5) + 5.0
    >>> y = np.random.default_rng(0).poisson(mu, size=(3, t.size))
    >>> fits = fit_decays(t, y, irf_fwhm_ns=0.5)
    >>> [abs(f.tau_ns.value - 8.0) < 3 * f.tau_ns.stderr for f in fits]
    [True, True, True]
    """
    _check_options(weighting, n_components)
    if irf_fwhm_ns is not None and not (np.isfinite(irf_fwhm_ns) and irf_fwhm_ns > 0):
        raise InputError(f"irf_fwhm_ns must be finite and > 0 for fit_decays, got {irf_fwhm_ns!r}.")
    t, y_all = _check_stack(time_ns, counts)
    n = int(n_components)
    sigma_fixed = None if irf_fwhm_ns is None else irf_fwhm_ns / FWHM_PER_SIGMA
    out = []
    for start in range(0, y_all.shape[0], chunk):
        y = y_all[start:start + chunk]
        theta = _initial_theta(t, y, n, sigma_fixed)
        w = 1.0 / np.sqrt(np.maximum(y, 1.0)) if weighting != "uniform" else np.ones_like(y)

        def evaluator(w):
            if n == 1:
                return _mono_normal_eqs(t, y, w, sigma_fixed, background)
            return _generic_normal_eqs(t, y, w, n, sigma_fixed, background)

        def model_of(theta, c):
            taus = np.exp(theta[:, :n])
            sig = (np.full(len(theta), sigma_fixed) if sigma_fixed is not None
                   else np.exp(theta[:, n + 1]))
            d = t[None, :] - theta[:, n:n + 1]
            mu = np.zeros_like(d) + (c[:, n:n + 1] if background else 0.0)
            for i in range(n):
                mu += c[:, i:i + 1] * _exp_gauss_unit(d, taus[:, i:i + 1], sig[:, None])[0]
            return mu

        theta, conv, nfev = _batch_lm(evaluator(w), theta, max_iter=max_iter)
        if weighting == "poisson-mle":
            for _ in range(30):
                if n == 1:
                    c = evaluator(w)(theta, np.arange(len(theta)), full=True)[0]
                else:
                    c = _batch_gauss_eval(t, theta, y, w, n, sigma_fixed, background)[2]
                w = 1.0 / np.sqrt(np.maximum(model_of(theta, c), 1e-2))
                prev = theta.copy()
                theta, conv, nf2 = _batch_lm(evaluator(w), theta, max_iter=max_iter)
                nfev += nf2
                if np.max(np.abs(theta - prev)) < 1e-9:
                    break
        common = dict(n=n, irf=False, fit_fwhm=sigma_fixed is None, background=background,
                      weighting=weighting)
        if n == 1:
            c, normal = evaluator(w)(theta, np.arange(len(theta)), full=True)
            mu = model_of(theta, c)
            scale = np.array([np.r_[_natural_scale(th, n, sigma_fixed is None), np.ones(c.shape[1])]
                              for th in theta])
            ns = normal * scale[:, :, None] * scale[:, None, :]
            try:
                cov0 = np.linalg.inv(ns)
            except np.linalg.LinAlgError:
                cov0 = np.linalg.pinv(ns)
            for i in range(y.shape[0]):
                out.append(_finish(t, y[i], w[i], theta[i], c[i], None, None, model=mu[i],
                                   cov0=cov0[i], converged=bool(conv[i]),
                                   message="" if conv[i] else "did not converge within max_iter",
                                   nfev=int(nfev[i]), **common))
            continue
        _, _, c, phi, dm = _batch_gauss_eval(t, theta, y, w, n, sigma_fixed, background)
        for i in range(y.shape[0]):
            out.append(_finish(t, y[i], w[i], theta[i], c[i], phi[i], dm[i],
                               converged=bool(conv[i]), message="" if conv[i] else
                               "did not converge within max_iter", nfev=int(nfev[i]), **common))
    return out
