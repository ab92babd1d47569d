"""Variable-projection least squares: the engines behind the decay fits.

Separable problems min over θ of ||w (y − Φ(θ) c)||², c linear: :func:`_varpro` solves one
with scipy's MINPACK Levenberg–Marquardt and Kaufman's Jacobian; :func:`_batch_lm` advances
a batch of independent ones together (vectorised Levenberg–Marquardt); :func:`_poisson_ml`
minimises the Poisson deviance of μ = Φ(θ) c over θ and c together. Hand-written:
scipy has no variable-projection solver and ``least_squares`` solves one problem per call.

References
----------
.. [1] G. H. Golub and V. Pereyra, Inverse Problems 19, R1 (2003).
"""
from __future__ import annotations

import numpy as np
from scipy import linalg, optimize

__all__: list[str] = []


def _varpro(y, w, build, theta0, *, x_scale=None, max_nfev=200):
    """Separable least squares: min over θ of ||w (y − Φ(θ) c(θ))||², c linear.

    ``build(theta)`` returns (Φ of shape (T, L), deriv) with ``deriv(c)`` → (T, K) the
    derivative of Φ c with respect to θ. Hand-written wrapper because scipy has no
    variable-projection solver; the optimisation itself is scipy's MINPACK LM.
    """
    b = w * y
    cache = {}

    def evaluate(theta):
        key = theta.tobytes()
        hit = cache.get(key)
        if hit is not None:
            return hit
        phi, deriv = build(theta)
        a = phi * w[:, None]
        q, r = np.linalg.qr(a)
        qtb = q.T @ b
        try:
            c = linalg.solve_triangular(r, qtb)
        except (linalg.LinAlgError, ValueError):
            c = np.linalg.lstsq(a, b, rcond=None)[0]
        if not np.all(np.isfinite(c)):
            c = np.linalg.lstsq(a, b, rcond=None)[0]
        res = b - a @ c
        d = deriv(c) * w[:, None]
        jac = -(d - q @ (q.T @ d))
        out = (res, jac, c, phi, deriv)
        cache.clear()
        cache[key] = out
        return out

    sol = optimize.least_squares(
        lambda th: evaluate(th)[0],
        np.asarray(theta0, dtype=float),
        jac=lambda th: evaluate(th)[1],
        method="lm",
        x_scale=1.0 if x_scale is None else x_scale,
        max_nfev=max_nfev,
        xtol=1e-10,
        ftol=1e-10,
    )
    res, _, c, phi, deriv = evaluate(sol.x)
    return sol, c, phi, deriv


_MU_FLOOR = 1e-3
"""Counts per bin below which the deviance is continued quadratically (it needs μ > 0)."""


def _deviance_residuals(y, mu):
    """Signed deviance residuals r and dr/dμ; Σ r² is the Poisson deviance.

    r = sign(y − μ)·√d, d = 2(μ − y + y ln(y/μ)) (y ln y/μ = 0 at y = 0); dr/dμ = d′/(2r),
    whose limit −1/√μ is used where |y − μ| is tiny. Below μ = ε (``_MU_FLOOR``) d is
    continued by its second-order expansion at ε with curvature max(d″(ε), 2/ε): finite,
    convex, positive and steep for μ ≤ 0, so an optimiser stepping there is pushed back
    (a floored μ would leave a flat, infinite cost with no gradient).
    """
    eps = _MU_FLOOR
    low = mu < eps
    m = np.where(low, eps, mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        ylog = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / m), 0.0)
    dev = 2.0 * (m - y + ylog)
    slope = 2.0 * (1.0 - y / m)
    curv = np.maximum(2.0 * y / eps**2, 2.0 / eps)
    s = mu - eps
    dev = np.where(low, dev + slope * s + 0.5 * curv * s * s, dev)
    slope = np.where(low, slope + curv * s, slope)
    dev = np.maximum(dev, 0.0)
    r = np.where(y >= mu, 1.0, -1.0) * np.sqrt(dev)
    close = ~low & (np.abs(y - mu) <= 1e-6 * np.maximum(np.abs(mu), 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        drdm = np.where(close, -1.0 / np.sqrt(np.where(close, m, 1.0)),
                        slope / (2.0 * np.where(r == 0, 1.0, r)))
    return r, drdm


def _poisson_ml(y, build, theta0, c0, *, max_nfev=200):
    """Poisson maximum likelihood: the deviance minimised over (θ, c) by Levenberg–Marquardt.

    ``build`` as in :func:`_varpro`; the model is μ = Φ(θ) c. Started at (θ₀, c₀) (the
    variable-projection solution with Neyman weights). The least-squares objective is the
    sum of squared deviance residuals, i.e. the Poisson deviance D = 2 Σ (μ − y + y ln y/μ),
    so every accepted step lowers D: the iteration converges by construction, unlike
    reweighting by 1/μ between weighted fits (a fixed-point map that can cycle). Hand-written
    glue: scipy has no Poisson regression for a nonlinear model; the optimiser is MINPACK's.

    Returns (sol, c, phi, deriv) like :func:`_varpro`; ``sol.x`` holds θ only.
    """
    theta0 = np.asarray(theta0, dtype=float)
    k = theta0.size
    y = np.asarray(y, dtype=float)
    cache = {}

    def evaluate(p):
        key = p.tobytes()
        hit = cache.get(key)
        if hit is not None:
            return hit
        c = p[k:]
        try:
            with np.errstate(all="ignore"):
                phi, deriv = build(p[:k])
                r, drdm = _deviance_residuals(y, phi @ c)
                jac = np.column_stack([deriv(c), phi]) * drdm[:, None]
            ok = np.all(np.isfinite(r)) and np.all(np.isfinite(jac))
        except (OverflowError, FloatingPointError, ValueError, ZeroDivisionError):
            ok = False
        if not ok:  # a trial step out of the model's range: a huge cost, so MINPACK rejects it
            return np.full(y.size, 1e140), np.zeros((y.size, p.size)), None, None
        out = (r, jac, phi, deriv)
        cache.clear()
        cache[key] = out
        return out

    p0 = np.r_[theta0, np.asarray(c0, dtype=float)]
    with np.errstate(over="ignore", invalid="ignore"):
        sol = optimize.least_squares(lambda p: evaluate(p)[0], p0, jac=lambda p: evaluate(p)[1],
                                     method="lm", x_scale="jac", max_nfev=max_nfev,
                                     xtol=1e-10, ftol=1e-10)
    _, _, phi, deriv = evaluate(sol.x)
    if phi is None:  # cannot happen from a finite start, which is never rejected
        raise ValueError("the Poisson maximum-likelihood fit left the model's range")
    c = sol.x[k:].copy()
    sol.x = sol.x[:k].copy()
    return sol, c, phi, deriv


def _covariance(w, phi, d_nat, scale):
    """Covariance of (nonlinear natural params, linear params) from the full Jacobian."""
    jac = np.column_stack([d_nat, phi]) * w[:, None]
    return _cov_from_jac(jac) * scale


def _cov_from_jac(jac):
    """(JᵀJ)⁻¹ with column scaling (parameters of very different magnitude)."""
    norm = np.sqrt(np.sum(jac * jac, axis=0))
    norm[norm == 0] = 1.0
    js = jac / norm
    jtj = js.T @ js
    try:
        cov = np.linalg.inv(jtj)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(jtj)
    return cov / np.outer(norm, norm)



def _batch_lm(evaluate, theta, *, max_iter=100, tol=1e-10):
    """Vectorised Levenberg–Marquardt over a batch of independent VarPro problems.

    ``evaluate(theta_rows, rows)`` returns (cost, JᵀJ, Jᵀr) for those rows. Hand-written
    because scipy.optimize.least_squares solves one problem per call; here every array
    operation advances all decays of the batch at once.
    """
    bsz, k = theta.shape
    lam = np.full(bsz, 1e-3)
    rows = np.arange(bsz)
    cost, h, g = evaluate(theta, rows)
    active = np.ones(bsz, bool)
    nfev = np.ones(bsz, int)
    converged = np.zeros(bsz, bool)
    for _ in range(max_iter):
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        diag = np.einsum("bkk->bk", h[idx])
        hd = h[idx] + (lam[idx, None] * np.maximum(diag, 1e-12))[:, :, None] * np.eye(k)
        try:
            step = np.linalg.solve(hd, -g[idx][:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = np.stack([np.linalg.lstsq(hd[i], -g[idx][i], rcond=None)[0]
                             for i in range(idx.size)])
        trial = theta[idx] + step
        ok_trial = np.all(np.isfinite(trial), axis=1)
        trial[~ok_trial] = theta[idx][~ok_trial]
        with np.errstate(all="ignore"):
            cost2, h2, g2 = evaluate(trial, idx)
        nfev[idx] += 1
        better = ok_trial & np.isfinite(cost2) & (cost2 <= cost[idx])
        acc = idx[better]
        small_step = np.all(np.abs(step) <= tol * (np.abs(theta[idx]) + tol) * 1e3, axis=1)
        small_gain = (cost[idx] - cost2) <= tol * np.abs(cost[idx])
        theta[acc] = trial[better]
        h[acc], g[acc], cost[acc] = h2[better], g2[better], cost2[better]
        lam[acc] = np.maximum(lam[acc] * 0.3, 1e-12)
        rej = idx[~better]
        lam[rej] *= 10.0
        stop_ok = better & (small_gain | small_step)
        stop_min = ~better & (lam[idx] > 1e12)  # no downhill step left: a minimum
        converged[idx[stop_ok | stop_min]] = True
        active[idx[stop_ok | stop_min]] = False
    return theta, converged, nfev
