"""The multiexciton cascade N → N−1 → … → 0, solved exactly.

Pure array functions (analyses import them too). A particle holding N excitons
loses one at the total rate γ_N = k_rad,N + k_Auger,N; the populations obey the
bidiagonal master equation

    dp_N/dt = −γ_N p_N + γ_{N+1} p_{N+1},   γ_0 = 0,

whose solution is a sum of exponentials e^{−γ_k t}. It is evaluated from the
eigen-decomposition of the (upper bidiagonal) rate matrix, computed once per
parameter set; when that decomposition is ill-conditioned (near-degenerate
rates) the matrix exponential is used instead.
"""
from __future__ import annotations

import numpy as np
from scipy import linalg

from ..errors import InputError
from .excitation import poisson_populations

__all__ = [
    "cascade_rates_per_ns",
    "radiative_rates_per_ns",
    "cascade_populations",
    "cascade_pl",
    "cascade_integrated_populations",
    "RADIATIVE_SCALINGS",
    "AUGER_SCALINGS",
]

RADIATIVE_SCALINGS = ("n", "n2")
AUGER_SCALINGS = ("n2(n-1)/4", "n(n-1)/2")

# Worst-case amplification of rounding error by the eigenvector expansion above
# which the matrix-exponential fallback is used (error ≲ 1e-16 × this).
_MAX_EXPANSION_GAIN = 1e6


def _radiative_factor(n: np.ndarray, scaling: str) -> np.ndarray:
    if scaling == "n":
        return n.astype(float)
    if scaling == "n2":
        return n.astype(float) ** 2
    raise InputError(
        f"radiative_scaling {scaling!r} is not known; use one of {', '.join(RADIATIVE_SCALINGS)}."
    )


def _auger_factor(n: np.ndarray, scaling: str) -> np.ndarray:
    n = n.astype(float)
    if scaling == "n2(n-1)/4":
        return n**2 * (n - 1.0) / 4.0
    if scaling == "n(n-1)/2":
        return n * (n - 1.0) / 2.0
    raise InputError(f"auger_scaling {scaling!r} is not known; use one of {', '.join(AUGER_SCALINGS)}.")


def _check_n_max(n_max) -> int:
    if int(n_max) != n_max or n_max < 1:
        raise InputError(f"n_max must be an integer >= 1; got {n_max!r}.")
    return int(n_max)


def radiative_rates_per_ns(*, tau_x_ns: float, n_max: int = 30, radiative_scaling: str = "n") -> np.ndarray:
    """Radiative rates k_rad,N = s(N)/τ_X, N = 0…n_max, in 1/ns.

    Parameters
    ----------
    tau_x_ns : float
        Single-exciton lifetime τ_X, ns (the single exciton is taken as purely
        radiative in these relative units; a quantum yield is an overall factor).
    n_max : int, optional
        Highest state.
    radiative_scaling : {"n", "n2"}
        s(N) = N (uncorrelated carriers) or N² (every electron with every hole).

    Returns
    -------
    ndarray of shape (n_max + 1,)

    Examples
    --------
    >>> radiative_rates_per_ns(tau_x_ns=10.0, n_max=3).tolist()
    [0.0, 0.1, 0.2, 0.3]
    """
    if not (np.isfinite(tau_x_ns) and tau_x_ns > 0):
        raise InputError(f"tau_x_ns must be finite and > 0; got {tau_x_ns!r}.")
    n = np.arange(_check_n_max(n_max) + 1)
    return _radiative_factor(n, radiative_scaling) / tau_x_ns


def cascade_rates_per_ns(
    *,
    tau_x_ns: float,
    tau_xx_ns: float,
    n_max: int = 30,
    radiative_scaling: str = "n",
    auger_scaling: str = "n2(n-1)/4",
) -> np.ndarray:
    """Total decay rates γ_N of the N-exciton state, N = 0…n_max, in 1/ns.

    Parameters
    ----------
    tau_x_ns, tau_xx_ns : float
        Single-exciton and biexciton lifetimes, ns; τ_XX ≤ τ_X / s(2).
    n_max : int, optional
        Highest state.
    radiative_scaling : {"n", "n2"}
        s(N).
    auger_scaling : {"n2(n-1)/4", "n(n-1)/2"}
        A(N): the number of three-carrier Auger pathways (N²(N−1)/4, Klimov 2000;
        equal to 1 for N = 2) or of exciton pairs (N(N−1)/2).

    Returns
    -------
    ndarray of shape (n_max + 1,)
        γ_0 = 0, γ_1 = 1/τ_X, γ_N = s(N)/τ_X + A(N) k_A for N ≥ 2.

    Notes
    -----
    k_A = 1/τ_XX − s(2)/τ_X so that γ_2 = 1/τ_XX exactly.

    References
    ----------
    V. I. Klimov et al., Science 287, 1011 (2000); V. I. Klimov, Annu. Rev. Condens.
    Matter Phys. 5, 285 (2014).

    Examples
    --------
    >>> g = cascade_rates_per_ns(tau_x_ns=20.0, tau_xx_ns=5.0, n_max=3)
    >>> [round(float(x), 4) for x in g]
    [0.0, 0.05, 0.2, 0.6]
    """
    k_rad = radiative_rates_per_ns(tau_x_ns=tau_x_ns, n_max=n_max, radiative_scaling=radiative_scaling)
    if not (np.isfinite(tau_xx_ns) and tau_xx_ns > 0):
        raise InputError(f"tau_xx_ns must be finite and > 0; got {tau_xx_ns!r}.")
    s2 = float(_radiative_factor(np.array([2]), radiative_scaling)[0])
    if tau_xx_ns > tau_x_ns / s2 * (1 + 1e-12):
        raise InputError(
            f"tau_xx_ns = {tau_xx_ns} exceeds the radiative limit tau_x_ns / s(2) = {tau_x_ns / s2:g} "
            f"for radiative_scaling {radiative_scaling!r}: the Auger rate would be negative. "
            "Use a shorter tau_xx_ns, a longer tau_x_ns, or pass rates_per_ns explicitly."
        )
    k_auger = max(1.0 / tau_xx_ns - s2 / tau_x_ns, 0.0)
    n = np.arange(n_max + 1)
    gamma = k_rad + k_auger * _auger_factor(n, auger_scaling)
    gamma[0] = 0.0
    return gamma


def _resolve_rates(tau_x_ns, tau_xx_ns, n_max, radiative_scaling, auger_scaling, rates_per_ns):
    n_max = _check_n_max(n_max)
    k_rad = radiative_rates_per_ns(tau_x_ns=tau_x_ns, n_max=n_max, radiative_scaling=radiative_scaling)
    if rates_per_ns is None:
        if tau_xx_ns is None:
            raise InputError("tau_xx_ns is required unless rates_per_ns is given.")
        gamma = cascade_rates_per_ns(
            tau_x_ns=tau_x_ns,
            tau_xx_ns=tau_xx_ns,
            n_max=n_max,
            radiative_scaling=radiative_scaling,
            auger_scaling=auger_scaling,
        )
    else:
        gamma = np.array(rates_per_ns, dtype=float)
        if gamma.shape != (n_max + 1,):
            raise InputError(
                f"rates_per_ns must have shape (n_max + 1,) = ({n_max + 1},) with rates_per_ns[0] "
                f"ignored; got shape {gamma.shape}."
            )
        if np.any(~np.isfinite(gamma[1:])) or np.any(gamma[1:] <= 0):
            raise InputError("rates_per_ns[1:] must be finite and > 0 (1/ns); fix the rate table.")
        gamma[0] = 0.0
    return gamma, k_rad


def _initial(mean_n, n_max):
    mu = np.atleast_1d(np.asarray(mean_n, dtype=float))
    if mu.ndim != 1:
        raise InputError(f"mean_n must be a scalar or 1-D array; got shape {mu.shape}.")
    return poisson_populations(mu, n_max=n_max)


def _times(time_ns):
    t = np.atleast_1d(np.asarray(time_ns, dtype=float))
    if t.ndim != 1 or np.any(~np.isfinite(t)) or np.any(t < 0):
        raise InputError(
            "time_ns must be a 1-D array of finite delays >= 0 after the pulse (ns); "
            "shift the axis so that the excitation is at t = 0 and drop earlier points."
        )
    return t


def _eigen_parts(gamma, p0):
    """Eigenvectors V, coefficients c = V⁻¹ p(0) (K, F), and a mask of the fluences
    whose expansion is well conditioned; None when V itself cannot be built."""
    n = gamma.size
    # Upper-triangular eigenvector matrix: column k belongs to eigenvalue −γ_k;
    # V[k, k] = 1 and V[j, k] = γ_{j+1} V[j+1, k] / (γ_j − γ_k) for j < k.
    v = np.eye(n)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j in range(n - 2, -1, -1):
            ratio = gamma[j + 1] / (gamma[j] - gamma)
            v[j, j + 1 :] = ratio[j + 1 :] * v[j + 1, j + 1 :]
        if not np.all(np.isfinite(v)):
            return None
        coef = linalg.solve_triangular(v, p0.T, lower=False, check_finite=False)  # (K, F)
        gain = np.max(np.abs(v) @ np.abs(coef), axis=0)  # worst rounding amplification per fluence
    good = np.isfinite(gain) & (gain <= _MAX_EXPANSION_GAIN) & np.all(np.isfinite(coef), axis=0)
    return v, np.where(good[None, :], coef, 0.0), good


def _solve(gamma, p0, t, weights=None):
    """p(t) (F, T, N), or Σ_N weights_N p_N(t) (F, T) when ``weights`` is given.

    Fluences whose eigen-expansion is ill-conditioned (large ⟨N⟩ with many fast
    states) go through the matrix exponential; the others use the eigenvectors.
    """
    n = gamma.size
    parts = _eigen_parts(gamma, p0)
    good = np.zeros(p0.shape[0], bool) if parts is None else parts[2]
    shape = (p0.shape[0], t.size) if weights is not None else (p0.shape[0], t.size, n)
    out = np.empty(shape)
    if np.any(good):
        v, coef, _ = parts
        decay = np.exp(-np.outer(t, gamma))  # (T, K)
        if weights is not None:
            # Contract the weights first: Σ_k (w·V)_k c_k e^{−γ_k t}.
            out[good] = (decay @ (coef[:, good] * (weights @ v)[:, None])).T
        else:
            weighted = decay[None, :, :] * coef[:, good].T[:, None, :]  # (F', T, K)
            # One 2-D BLAS product; np.matmul on the 3-D stack is several times slower.
            out[good] = (weighted.reshape(-1, n) @ v.T).reshape(int(good.sum()), t.size, n)
    if not np.all(good):
        pops = _expm_solution(gamma, p0[~good], t)
        out[~good] = pops if weights is None else pops @ weights
    return out


def _expm_solution(gamma, p0, t):
    """p(t) by matrix exponentials: robust for degenerate rates."""
    n = gamma.size
    m = np.diag(-gamma) + np.diag(gamma[1:], k=1)
    order = np.argsort(t, kind="stable")
    ts = t[order]
    out = np.empty((p0.shape[0], t.size, n))
    steps = np.diff(ts)
    uniform = steps.size > 0 and np.allclose(steps, steps[0], rtol=1e-12, atol=0)
    state = p0 @ linalg.expm(m * ts[0]).T if ts.size else p0
    if uniform:
        step = linalg.expm(m * steps[0]).T
        for i in range(ts.size):
            if i:
                state = state @ step
            out[:, order[i], :] = state
    else:
        # Step between sorted times: each expm spans one interval only.
        prev = ts[0]
        for i, ti in enumerate(ts):
            if i and ti > prev:
                state = state @ linalg.expm(m * (ti - prev)).T
                prev = ti
            out[:, order[i], :] = state
    return out


def cascade_populations(
    time_ns,
    mean_n,
    *,
    tau_x_ns: float,
    tau_xx_ns: float | None,
    n_max: int = 30,
    radiative_scaling: str = "n",
    auger_scaling: str = "n2(n-1)/4",
    rates_per_ns=None,
) -> np.ndarray:
    """Probabilities p_N(t) of N excitons per particle after a Poissonian excitation.

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Delays after the pulse, ns (≥ 0, any order).
    mean_n : float or ndarray of shape (F,)
        Initial mean excitons per particle ⟨N⟩.
    tau_x_ns, tau_xx_ns : float
        Single-exciton and biexciton lifetimes, ns (``tau_xx_ns`` may be None when
        ``rates_per_ns`` is given).
    n_max : int, optional
        Highest state (it holds the Poisson tail at t = 0).
    radiative_scaling, auger_scaling : str
        See :func:`cascade_rates_per_ns`.
    rates_per_ns : ndarray of shape (n_max + 1,), optional
        Explicit total rates γ_N (γ_0 ignored), overriding the scaling laws.

    Returns
    -------
    ndarray of shape (F, T, n_max + 1)

    Notes
    -----
    dp/dt = M p with M bidiagonal (M_NN = −γ_N, M_{N,N+1} = γ_{N+1}); p(t) =
    V diag(e^{−γ t}) V⁻¹ p(0) with V upper triangular, V_kk = 1,
    V_jk = γ_{j+1} V_{j+1,k} / (γ_j − γ_k). When the expansion amplifies rounding
    error by more than 1e6 for a given ⟨N⟩ (near-degenerate rates, or many fast
    high states populated), that ⟨N⟩ uses p(t) = expm(M t) p(0) instead, stepped
    between the sorted times (one expm on a uniform grid).

    Examples
    --------
    >>> p = cascade_populations([0.0, 10.0], [0.5], tau_x_ns=20.0, tau_xx_ns=5.0, n_max=4)
    >>> p.shape, round(float(p[0, 1].sum()), 12)
    ((1, 2, 5), 1.0)
    """
    t = _times(time_ns)
    gamma, _ = _resolve_rates(tau_x_ns, tau_xx_ns, n_max, radiative_scaling, auger_scaling, rates_per_ns)
    p0 = _initial(mean_n, int(n_max))
    return _solve(gamma, p0, t)


def cascade_pl(
    time_ns,
    mean_n,
    *,
    tau_x_ns: float,
    tau_xx_ns: float | None,
    n_max: int = 30,
    radiative_scaling: str = "n",
    auger_scaling: str = "n2(n-1)/4",
    rates_per_ns=None,
) -> np.ndarray:
    """Photoluminescence intensity I(t) = Σ_N k_rad,N p_N(t) of the cascade.

    Parameters
    ----------
    time_ns, mean_n, tau_x_ns, tau_xx_ns, n_max, radiative_scaling, auger_scaling, rates_per_ns
        As in :func:`cascade_populations`.

    Returns
    -------
    ndarray of shape (F, T)
        Photons per particle per ns (k_rad,1 = 1/τ_X; multiply by a quantum yield
        and collection efficiency for counts).

    Notes
    -----
    k_rad,N = s(N)/τ_X. For n_max = 2 the trace normalised by its e^{−t/τ_X}
    amplitude minus the low-fluence trace is exactly ∝ e^{−t/τ_XX}.

    Examples
    --------
    >>> i = cascade_pl([0.0], [0.01], tau_x_ns=20.0, tau_xx_ns=5.0)
    >>> round(float(i[0, 0] * 20.0 / 0.01), 3)
    1.0
    """
    t = _times(time_ns)
    gamma, k_rad = _resolve_rates(tau_x_ns, tau_xx_ns, n_max, radiative_scaling, auger_scaling, rates_per_ns)
    p0 = _initial(mean_n, int(n_max))
    return _solve(gamma, p0, t, weights=k_rad)


def cascade_integrated_populations(
    mean_n,
    *,
    tau_x_ns: float,
    tau_xx_ns: float | None,
    n_max: int = 30,
    radiative_scaling: str = "n",
    auger_scaling: str = "n2(n-1)/4",
    rates_per_ns=None,
) -> np.ndarray:
    """Time-integrated populations ∫₀^∞ p_N(t) dt (ns) of the excited states.

    Parameters
    ----------
    mean_n, tau_x_ns, tau_xx_ns, n_max, radiative_scaling, auger_scaling, rates_per_ns
        As in :func:`cascade_populations`.

    Returns
    -------
    ndarray of shape (F, n_max + 1)
        Residence time in state N per particle, ns; entry N = 0 is set to 0
        (the ground state is never left).

    Notes
    -----
    Integrating the master equation from 0 to ∞ (p_N(∞) = 0 for N ≥ 1) gives
    γ_N x_N = p_N(0) + γ_{N+1} x_{N+1}, solved from the top state down. The
    time-integrated PL is Σ_N k_rad,N x_N (the photons per particle).

    Examples
    --------
    >>> x = cascade_integrated_populations([0.01], tau_x_ns=20.0, tau_xx_ns=5.0, n_max=3)
    >>> round(float(x[0, 1] / 0.01), 2)  # ≈ τ_X (1 − e^{−0.01}) / 0.01
    19.9
    """
    gamma, _ = _resolve_rates(tau_x_ns, tau_xx_ns, n_max, radiative_scaling, auger_scaling, rates_per_ns)
    p0 = _initial(mean_n, int(n_max))
    x = np.zeros_like(p0)
    carry = np.zeros(p0.shape[0])
    for k in range(gamma.size - 1, 0, -1):
        x[:, k] = (p0[:, k] + carry) / gamma[k]
        carry = gamma[k] * x[:, k]
    return x
