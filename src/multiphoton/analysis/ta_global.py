"""Global lifetime analysis of transient-absorption maps: decay- and evolution-associated spectra.

A TA map ΔA(t, E) (OD) on ``delay_ps`` × ``energy_eV`` is modelled as K exponentials (and an
optional long-lived offset) convolved with a Gaussian instrument response of standard
deviation σ, with the time zero a polynomial in probe energy (the chirp, group-velocity
dispersion of the white-light probe):

    ΔA(t, E) = Σₖ DASₖ(E) · (exp(−(t − t₀(E))/τₖ) H ⊗ G_σ) + DAS₀(E) · (H ⊗ G_σ)(t − t₀(E)),
    t₀(E) = Σₚ cₚ (E − E_ref)ᵖ.

The rates, σ and the chirp coefficients are nonlinear; the spectra are linear and eliminated
by variable projection, one small least-squares problem per energy, all energies batched.
ΔA is not a spectral density: maps on a wavelength axis need no Jacobian, only the readers'
conversion of the axis to energy. The SVD and the rank criteria live in
:mod:`multiphoton.analysis.ta_svd`.

References
----------
.. [1] I. H. M. van Stokkum, D. S. Larsen and R. van Grondelle, Biochim. Biophys. Acta 1657,
   82 (2004) (global and target analysis, DAS and EAS).
.. [2] G. H. Golub and V. Pereyra, Inverse Problems 19, R1 (2003) (variable projection).
.. [3] L. Kaufman, BIT 15, 49 (1975).
"""
from __future__ import annotations

import math
import dataclasses
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special
from scipy.ndimage import uniform_filter1d

from ..constants import HC_EV_NM
from ..errors import InputError
from ..results import Estimate
from .varpro import _cov_from_jac

__all__ = ["GlobalFit", "fit_global", "sequential_spectra", "MAX_COMPONENTS"]

MAX_COMPONENTS = 6
"""Largest number of exponential components a global fit accepts."""

_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
_SQRT2 = math.sqrt(2.0)
_TOL = (1e-6, 1e-8)  # xtol, ftol of the final pass: θ steps ≪ its stderr (~1e-2 relative)


@dataclass(frozen=True, eq=False)
class GlobalFit:
    """Result of :func:`fit_global` (axes sorted ascending; dropped delays/energies removed).

    Attributes
    ----------
    taus : tuple of Estimate
        Lifetimes τ₁ < … < τ_K (ps).
    irf_fwhm : Estimate
        FWHM of the Gaussian IRF (ps), 2√(2 ln 2) σ.
    chirp : tuple of Estimate
        Chirp coefficients c₀, c₁, … (ps, ps/eV, …) about ``energy_ref_eV``; given ones
        have stderr 0 and method ``"given"``.
    energy_ref_eV : float
        Expansion energy of the chirp polynomial (eV).
    delay_ps : ndarray of shape (D,)
    energy_eV : ndarray of shape (M,)
    t0_ps : ndarray of shape (M,)
        Time zero at each energy, t₀(E) (ps).
    das : ndarray of shape (K, M)
        Decay-associated spectra (OD), the amplitude of each exponential before convolution.
    das_stderr : ndarray of shape (K, M)
    offset : ndarray of shape (M,) or None
        Spectrum of the long-lived component (OD), None without offset.
    offset_stderr : ndarray of shape (M,) or None
    eas : ndarray of shape (K, M)
        Evolution-associated spectra of the sequential scheme 1 → 2 → … → K (→ offset).
    eas_stderr : ndarray of shape (K, M)
        From the DAS covariance at each energy (the lifetimes' uncertainty is not included).
    fit : ndarray of shape (D, M)
        Model map (OD); ``nan`` where the data were missing.
    residual : ndarray of shape (D, M)
        Data − model (OD); ``nan`` where the data were missing.
    noise_od : float
        √(reduced χ²): the residual rms per point, OD.
    reduced_chi2 : float
        RSS / (N − parameters), OD².
    success : bool
    message : str
        Why the fit failed, or its warnings joined by "; " (empty when clean).
    warnings : tuple of str
    """

    taus: tuple
    irf_fwhm: Estimate
    chirp: tuple
    energy_ref_eV: float
    delay_ps: np.ndarray
    energy_eV: np.ndarray
    t0_ps: np.ndarray
    das: np.ndarray
    das_stderr: np.ndarray
    offset: np.ndarray | None
    offset_stderr: np.ndarray | None
    eas: np.ndarray
    eas_stderr: np.ndarray
    fit: np.ndarray
    residual: np.ndarray
    noise_od: float
    reduced_chi2: float
    success: bool
    message: str = ""
    warnings: tuple = field(default_factory=tuple)


# --------------------------------------------------------------------------- inputs


def _clean_map(delay_ps, energy_eV, dA):
    """Sorted copies, all-NaN delays and energies dropped (with the reasons)."""
    d = np.asarray(delay_ps, dtype=float)
    e = np.asarray(energy_eV, dtype=float)
    a = np.asarray(dA, dtype=float)
    if d.ndim != 1 or e.ndim != 1:
        raise InputError("`delay_ps` and `energy_eV` must be 1-D arrays.")
    if a.shape != (d.size, e.size):
        raise InputError(f"the TA map must have shape (len(delay_ps), len(energy_eV)) = ({d.size}, "
                         f"{e.size}), got {a.shape}; transpose it if rows are energies.")
    if not (np.all(np.isfinite(d)) and np.all(np.isfinite(e))):
        raise InputError("`delay_ps` or `energy_eV` contains NaN or infinite values; remove those rows.")
    if np.unique(d).size != d.size or np.unique(e).size != e.size:
        raise InputError("the TA map has repeated delays or energies; average or remove the duplicates.")
    if np.any(np.isinf(a)):
        raise InputError("the TA map contains infinite values; replace them by NaN or remove them.")
    od, oe = np.argsort(d), np.argsort(e)
    d, e, a = d[od], e[oe], a[np.ix_(od, oe)]
    notes = []
    rows = np.any(np.isfinite(a), axis=1)
    cols = np.any(np.isfinite(a), axis=0)
    if not np.any(rows):
        raise InputError("the TA map has no finite ΔA value; check the file.")
    if not np.all(rows):
        bad = d[~rows]
        notes.append(f"{bad.size} delay(s) with no finite ΔA dropped ({', '.join(f'{x:g}' for x in bad[:5])}"
                     f"{' …' if bad.size > 5 else ''} ps)")
    if not np.all(cols):
        bad = e[~cols]
        notes.append(f"{bad.size} energy(ies) with no finite ΔA dropped ({', '.join(f'{x:.4g}' for x in bad[:5])}"
                     f"{' …' if bad.size > 5 else ''} eV)")
    return d[rows], e[cols], a[np.ix_(rows, cols)], notes


def _check_sizes(n_delays, n_energies, n_components, offset, chirp_order):
    n_lin = n_components + int(offset)  # offset: the number of extra linear spectra
    n_nonlin = n_components + 1 + chirp_order + 1
    need = 2 * n_lin + n_nonlin
    if n_delays < need:
        raise InputError(
            f"only {n_delays} delays with data: a {n_components}-component global fit"
            f"{' with offset' if offset else ''} needs at least {need} (2 per spectrum, plus the "
            f"lifetimes, IRF width and chirp); measure more delays or lower `global_components`.")
    if chirp_order + 1 > max(1, n_energies // 3):
        raise InputError(
            f"a chirp polynomial of order {chirp_order} needs at least {3 * (chirp_order + 1)} probe "
            f"energies, the map has {n_energies}; lower `global_chirp_order`.")


# --------------------------------------------------------------------------- model


def _kernel(d, rates, sigma, offset, artefact=False):
    """Model columns at delays ``d`` (M, D) from t₀: Φ (M, D, L) and the Gaussian g (M, D).

    Columns: the K exponentials, the offset (IRF-convolved step) if ``offset``, the
    coherent artefact (the IRF shape exp(−d²/2σ²)) if ``artefact``.

    exp(−kd)H ⊗ G_σ = ½ g̃ erfcx(x) for x = (kσ − d/σ)/√2 ≥ 0, and
    exp(σ²k²/2 − kd) − ½ g̃ erfcx(−x) for x < 0 (g̃ = exp(−d²/2σ²)): finite for any σ
    (the erfcx switch of :func:`multiphoton.analysis.decay_models._exp_gauss_unit`, here
    without masks: this runs ~30 times on 10⁵ points per fit).
    """
    m, n = d.shape
    phi = np.empty((m, n, rates.size + int(offset) + int(artefact)))
    u = d / sigma
    gt = np.exp(-0.5 * u * u)
    band = np.abs(u) < 38.6  # outside, g̃ < 1e-323: only the exponential tail is left
    ub, gb = u[band], gt[band]
    for i, k in enumerate(rates):
        ks = k * sigma
        f = np.exp(np.minimum(0.5 * ks * ks - k * d, 700.0)) * (u > 0.0)
        x = (ks - ub) / _SQRT2
        neg = x < 0.0
        f[band] = np.where(neg, np.exp(np.minimum(0.5 * ks * ks - k * d[band], 700.0)), 0.0) \
            + np.where(neg, -0.5, 0.5) * gb * special.erfcx(np.abs(x))
        phi[:, :, i] = f
    if offset:
        phi[:, :, rates.size] = special.ndtr(u)
    if artefact:
        phi[:, :, -1] = gt
    return phi, gt / (sigma * math.sqrt(2.0 * math.pi))


class _Problem:
    """The batched variable-projection problem: one Φ per energy, shared θ.

    θ = (ln k₁ … ln k_K, ln σ, c₀ … c_P) when the chirp is fitted, (ln k, ln σ) when given.
    Hand-written because :func:`multiphoton.analysis.varpro._varpro` projects one Φ for the
    whole data vector; here each energy has its own Φ (its own time zero), and a
    block-diagonal Φ of 346 blocks would be needlessly dense. The per-energy problems are
    solved by their (column-scaled) normal equations, batched with ``matmul``.
    """

    def __init__(self, t, x, y, w, k_n, offset, chirp_order, chirp_fixed, artefact=False):
        self.t, self.x, self.w = t, x, w  # w, y: (M, D)
        self.masked = not np.all(w > 0)
        self.b = np.where(w > 0, y, 0.0)
        self.k_n, self.offset, self.artefact = k_n, offset, artefact
        self.chirp_fixed = None if chirp_fixed is None else np.asarray(chirp_fixed, float)
        self.p_n = 0 if chirp_fixed is not None else chirp_order + 1
        self.powers = np.vander(x, max(self.p_n, 1), increasing=True)  # (M, P)
        self._key = None

    def unpack(self, theta):
        rates = np.exp(theta[:self.k_n])
        sigma = math.exp(theta[self.k_n])
        coeffs = self.chirp_fixed if self.p_n == 0 else theta[self.k_n + 1:]
        return rates, sigma, coeffs

    def solve(self, theta):
        """Residual (M·D,) at θ; caches Φ, the spectra and the Gram inverse."""
        key = theta.tobytes()
        if key == self._key:
            return self.res
        rates, sigma, coeffs = self.unpack(theta)
        t0 = np.polynomial.polynomial.polyval(self.x, coeffs)
        d = self.t[None, :] - t0[:, None]
        phi, gauss = _kernel(d, rates, sigma, self.offset, self.artefact)
        a = phi * self.w[:, :, None] if self.masked else phi
        norm = np.sqrt(np.einsum("mdl,mdl->ml", a, a)) + 1e-300
        an = a / norm[:, None, :]
        ginv = np.linalg.pinv(np.swapaxes(an, 1, 2) @ an, hermitian=True)  # (M, L, L)
        coef = (ginv @ (np.swapaxes(an, 1, 2) @ self.b[:, :, None]))[:, :, 0] / norm
        model = (phi @ coef[:, :, None])[:, :, 0]
        res = self.b - (model * self.w if self.masked else model)
        self._key, self.res = key, res.ravel()
        self.cache = (rates, sigma, d, phi, gauss, an, norm, ginv, coef, t0)
        return self.res

    def derivatives(self, theta):
        """Unprojected ∂(Φc)/∂θ (M, D, P), weighted, at the cached θ."""
        self.solve(theta)
        rates, sigma, d, phi, gauss, an, norm, ginv, coef, t0 = self.cache
        k_n, s2 = self.k_n, sigma * sigma
        ck = coef[:, :k_n]
        fk = phi[:, :, :k_n]
        csum = coef[:, :k_n + int(self.offset)].sum(axis=1)[:, None]
        if self.artefact:  # c_a exp(−u²/2): ∂/∂t₀ = c_a (u/σ) g̃, σ ∂/∂σ = c_a u² g̃
            u = d / sigma
            art = coef[:, -1][:, None] * phi[:, :, -1]
        else:
            u, art = 0.0, 0.0
        kf = (fk @ (ck * rates)[:, :, None])[:, :, 0]          # Σ c k f
        k2f = (fk @ (ck * rates**2)[:, :, None])[:, :, 0]      # Σ c k² f
        ckr = (ck * rates).sum(axis=1)[:, None]                # Σ c k
        cols = [(ck * rates)[:, None, :] * ((rates * s2)[None, None, :] - d[:, :, None]) * fk
                - (ck * rates * s2)[:, None, :] * gauss[:, :, None]]
        cols.append((-d * gauss * csum + s2 * (k2f - ckr * gauss) + u * u * art)[:, :, None])
        if self.p_n:
            cols.append((kf - gauss * csum + (u / sigma) * art)[:, :, None] * self.powers[:, None, :])
        v = np.concatenate(cols, axis=2)
        return v * self.w[:, :, None] if self.masked else v

    def jacobian(self, theta):
        """Kaufman's Jacobian −(I − P) ∂(Φc)/∂θ, shape (M·D, P)."""
        v = self.derivatives(theta)
        an, ginv = self.cache[5], self.cache[7]
        proj = v - an @ (ginv @ (np.swapaxes(an, 1, 2) @ v))
        return -proj.reshape(-1, proj.shape[2])


# --------------------------------------------------------------------------- starting values


def _rise_times(t, y, w):
    """Time of the steepest change at each energy (ps) and its weight (the change's size).

    The map is smoothed over 5 energies and 3 delays first; used for starting values and
    to check a given chirp polynomial against the data.
    """
    ys = np.where(w > 0, y, 0.0)
    ys = uniform_filter1d(uniform_filter1d(ys, 5, axis=0, mode="nearest"), 3, axis=1, mode="nearest")
    slope = np.abs(np.diff(ys, axis=1)) / np.diff(t)[None, :]
    i = np.argmax(slope, axis=1)
    tm = 0.5 * (t[1:] + t[:-1])
    return tm[i], np.max(np.abs(ys), axis=1)


def _robust_poly(x, y, weight, order):
    """Weighted polynomial fit with 3 passes of 3-MAD outlier rejection (coefficients, rms)."""
    keep = weight > 0.2 * np.max(weight) if np.any(weight > 0) else np.ones(x.size, bool)
    coeffs = np.array([np.median(y)])
    for _ in range(3):
        if np.count_nonzero(keep) <= order + 1:
            break
        coeffs = np.polynomial.polynomial.polyfit(x[keep], y[keep], order, w=np.sqrt(weight[keep]))
        r = y - np.polynomial.polynomial.polyval(x, coeffs)
        mad = 1.4826 * np.median(np.abs(r[keep])) + 1e-12
        keep = keep & (np.abs(r) < 3.0 * mad + 1e-9)
    r = y - np.polynomial.polynomial.polyval(x, coeffs)
    rms = float(np.sqrt(np.average(r[keep] ** 2, weights=weight[keep]))) if np.any(keep) else math.nan
    return np.resize(np.asarray(coeffs, float), order + 1), rms


def _start(t, x, y, w, k_n, chirp_order, chirp_fixed, irf_fwhm_ps):
    """Starting θ: chirp from the rise times, σ from the delay step there, log-spaced τ."""
    rise, weight = _rise_times(t, y, w)
    if chirp_fixed is None:
        coeffs, _ = _robust_poly(x, rise, weight, chirp_order)
        t0 = np.polynomial.polynomial.polyval(x, coeffs)
    else:
        coeffs = np.asarray(chirp_fixed, float)
        t0 = np.polynomial.polynomial.polyval(x, coeffs)
    t0m = float(np.median(t0))
    step = float(np.median(np.diff(t)[np.argsort(np.abs(t[1:] - t0m))[:5]]))
    sigma = irf_fwhm_ps / _FWHM_PER_SIGMA if irf_fwhm_ps else max(2.0 * step, 1e-6 * (t[-1] - t[0]))
    lo = max(3.0 * sigma, 2.0 * step)
    hi = max((t[-1] - t0m) / 3.0, 2.0 * lo)
    taus = np.geomspace(lo, hi, k_n) if k_n > 1 else np.array([math.sqrt(lo * hi)])
    theta = [*np.log(1.0 / taus), math.log(sigma)]
    if chirp_fixed is None:
        theta += list(coeffs)
    return np.asarray(theta, float)


# --------------------------------------------------------------------------- spectra


def sequential_spectra(tau_ps, das, *, offset=None):
    """Evolution-associated spectra of the sequential scheme 1 → 2 → … → K (→ ∞).

    Parameters
    ----------
    tau_ps : ndarray of shape (K,)
        Distinct lifetimes (ps), in the order of the scheme (ascending for the usual one).
    das : ndarray of shape (K, M)
        Decay-associated spectra (OD) of those lifetimes.
    offset : ndarray of shape (M,), optional
        Spectrum of the long-lived (non-decaying) component; it becomes the last
        compartment, fed by compartment K.

    Returns
    -------
    ndarray of shape (K, M) or (K + 1, M)
        EAS (OD): the spectra of the compartments whose populations follow the scheme
        with unit initial population in compartment 1.

    Notes
    -----
    The populations are cᵢ(t) = Σ_{j≤i} bᵢⱼ e^{−kⱼt} with the Bateman coefficients
    bᵢⱼ = Π_{m<i} kₘ / Π_{m≤i, m≠j} (kₘ − kⱼ); the data Σᵢ EASᵢ cᵢ = Σⱼ DASⱼ e^{−kⱼt} give
    DAS = Bᵀ EAS, solved for EAS. A non-decaying last compartment has k = 0.

    Examples
    --------
    >>> eas = sequential_spectra([1.0, 10.0], [[1.0], [0.0]])
    >>> eas.round(3).ravel().tolist()   # ΔA = exp(−t): all of it is compartment 1
    [1.0, 0.0]
    """
    taus = np.asarray(tau_ps, dtype=float)
    a = np.atleast_2d(np.asarray(das, dtype=float))
    if a.shape[0] != taus.size:
        raise InputError(f"`das` has {a.shape[0]} spectra for {taus.size} lifetimes.")
    if not np.all(np.isfinite(taus)) or np.any(taus <= 0):
        raise InputError("the lifetimes must be finite and positive.")
    rates = 1.0 / taus
    if offset is not None:
        rates = np.append(rates, 0.0)
        a = np.vstack([a, np.asarray(offset, dtype=float)[None, :]])
    n = rates.size
    if np.unique(rates).size != n:
        raise InputError("the sequential scheme needs distinct lifetimes.")
    b = _bateman(rates)
    return np.linalg.solve(b.T, a)


def _bateman(rates):
    """Bateman matrix B (n, n): cᵢ(t) = Σⱼ Bᵢⱼ exp(−kⱼ t) for 1 → 2 → … → n."""
    n = rates.size
    b = np.zeros((n, n))
    for i in range(n):
        num = np.prod(rates[:i])
        for j in range(i + 1):
            den = np.prod([rates[m] - rates[j] for m in range(i + 1) if m != j])
            b[i, j] = num / den
    return b


# --------------------------------------------------------------------------- the fit


def fit_global(delay_ps, energy_eV, dA, *, n_components, offset=True, artefact=True, chirp_order=2,
               chirp_coeffs_ps=None, energy_ref_eV=None, chirp_wavelength_ref_nm=None, irf_fwhm_ps=None,
               max_nfev=200) -> GlobalFit:
    """Global lifetime analysis of a TA map: K exponentials ⊗ Gaussian IRF, chirped time zero.

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
        Pump–probe delays (ps), any order, no repeats.
    energy_eV : ndarray of shape (M,)
        Probe photon energies (eV), any order (a wavelength axis converted to energy; ΔA
        needs no Jacobian).
    dA : ndarray of shape (D, M)
        ΔA (OD); ``nan`` marks missing values, all-NaN delays or energies are dropped.
    n_components : int
        Number K of exponentials, 1 … :data:`MAX_COMPONENTS`.
    offset : bool, optional
        Add a long-lived (non-decaying within the window) component, the IRF-convolved step.
    artefact : bool, optional
        Add a coherent-artefact spectrum: a term of the IRF's shape exp(−(t − t₀)²/2σ²) at each
        energy (the pump–probe cross-phase modulation around time zero); without it a
        sub-IRF "lifetime" takes its place.
    chirp_order : int, optional
        Order P of the fitted chirp polynomial t₀(E) (0: one time zero for all energies).
    chirp_coeffs_ps : sequence of float, optional
        Given chirp coefficients c₀, c₁, … (ps, ps/eV, …) about ``energy_ref_eV``; then the
        chirp is not fitted and ``chirp_order`` is ignored.
    energy_ref_eV : float, optional
        Expansion energy of the chirp polynomial (eV). Default: 0 for given coefficients
        (as the ``chirp_energy_ref_eV`` option), the middle of the probe range for a fit.
    chirp_wavelength_ref_nm : float, optional
        When given, t₀ is a polynomial in (λ − λ_ref)/(100 nm) with λ = hc/E instead of in
        E − E_ref (glotaran's and pyglotaran's convention; coefficients in ps/(100 nm)ᵖ).
    irf_fwhm_ps : float, optional
        Starting value of the IRF FWHM (ps); default twice the delay step at time zero.
    max_nfev : int, optional
        Most model evaluations of the Levenberg–Marquardt solver.

    Returns
    -------
    GlobalFit
        Lifetimes, IRF width and chirp as :class:`~multiphoton.results.Estimate`, the
        DAS, EAS, model and residual maps. Each Estimate's ``details``: ``n_components``,
        ``offset``, ``artefact``, ``chirp_fitted``, ``chirp_order``, ``energy_ref_eV`` (NaN for a
        chirp in wavelength), ``chirp_wavelength_ref_nm`` (NaN for a chirp in energy), ``n_delays``,
        ``n_energies``, ``n_points`` (finite values fitted), ``nfev`` (model evaluations),
        ``stderr`` (what the standard error contains).

    Raises
    ------
    InputError
        Bad shapes, no finite data, too few delays for K components (2 per spectrum plus
        the nonlinear parameters), too few energies for the chirp order, K out of range.

    Notes
    -----
    θ = (ln kₖ, ln σ, cₚ) is found by Levenberg–Marquardt (scipy's MINPACK) on the
    variable-projection residual (I − Pⱼ) yⱼ of every energy j, with Kaufman's Jacobian
    −(I − Pⱼ) ∂Φⱼ/∂θ cⱼ [2]_ [3]_; the kernel is the erfcx-stable exponential ⊗ Gaussian of
    :mod:`multiphoton.analysis.decay_models`. The noise is taken as white and the same
    at every point: the covariance of θ is s² (JᵀJ)⁻¹ with s² = RSS / (N − n_θ − M·L)
    (exactly the θ block of the full Gauss–Newton covariance), and that of the spectra at
    energy j is s² (ΦⱼᵀΦⱼ)⁻¹ + Gⱼ Cov(θ) Gⱼᵀ with Gⱼ = −(ΦⱼᵀΦⱼ)⁻¹ Φⱼᵀ ∂Φⱼ/∂θ cⱼ.
    τ = 1/k, FWHM = 2√(2 ln 2) σ, stderrs by the delta method. Lifetimes are sorted ascending
    with their spectra. Warnings (``warnings``, and each Estimate's ``message``): a lifetime
    shorter than a third of the IRF σ or longer than three times the window, two lifetimes
    within 10 % of each other (those lifetimes are then failed Estimates: NaN, success False,
    the warning as message), a fitted time zero outside the delays, a given chirp
    polynomial that misses the steepest rise of the data by more than max(5 delay steps, 0.3 ps) rms,
    an artefact term fitted but nowhere above 5 stderr (with it, a shift of t₀ is compensated to
    first order by the DAS and the artefact, ∂f/∂t₀ = k f − g: t₀ and σ are identified by the
    artefact alone).

    Examples
    --------
    >>> from multiphoton.simulate.ta_global import global_ta_map
    >>> sim = global_ta_map(np.random.default_rng(1), n_delays=120, n_energies=40)
    >>> res = fit_global(sim["delay_ps"], sim["energy_eV"], sim["dA"], n_components=2)
    >>> [round(t.value / tt, 1) for t, tt in zip(res.taus, sim["truth"]["tau_ps"])]
    [1.0, 1.0]
    """
    k_n = int(n_components)
    if k_n != n_components or not 1 <= k_n <= MAX_COMPONENTS:
        raise InputError(f"`n_components` must be a whole number 1 … {MAX_COMPONENTS}, got {n_components!r}.")
    d, e, a, notes = _clean_map(delay_ps, energy_eV, dA)
    fixed = None
    if chirp_coeffs_ps is not None:
        fixed = np.atleast_1d(np.asarray(chirp_coeffs_ps, dtype=float))
        if fixed.size == 0 or not np.all(np.isfinite(fixed)):
            raise InputError("`chirp_coeffs_ps` must be a non-empty list of finite numbers (ps, ps/eV, …).")
        chirp_order = -1
    elif int(chirp_order) != chirp_order or chirp_order < 0:
        raise InputError(f"`chirp_order` must be a whole number ≥ 0, got {chirp_order!r}.")
    chirp_order = int(chirp_order)
    _check_sizes(d.size, e.size, k_n, bool(offset) + bool(artefact), max(chirp_order, -1))
    e_ref = float(energy_ref_eV) if energy_ref_eV is not None else (
        0.0 if fixed is not None else round(float(0.5 * (e[0] + e[-1])), 3))
    if chirp_wavelength_ref_nm is not None:
        e_ref = math.nan
        x = (HC_EV_NM / e - float(chirp_wavelength_ref_nm)) / 100.0
    else:
        x = e - e_ref
    y = a.T
    w = np.isfinite(y).astype(float)
    prob = _Problem(d, x, np.nan_to_num(y), w, k_n, bool(offset), chirp_order, fixed, bool(artefact))
    prob.wl_ref = math.nan if chirp_wavelength_ref_nm is None else float(chirp_wavelength_ref_nm)
    theta0 = _start(d, x, np.nan_to_num(y), w, k_n, chirp_order, fixed, irf_fwhm_ps)
    with np.errstate(all="ignore"):
        theta0 = _presolve(prob, theta0, np.nan_to_num(y), w, max_nfev)
        sol = optimize.least_squares(prob.solve, theta0, jac=prob.jacobian, method="lm",
                                     x_scale="jac", max_nfev=max_nfev, xtol=_TOL[0], ftol=_TOL[1])
        out = _finish(prob, sol, d, e, y, w, e_ref, notes, offset=bool(offset))
    return out


def _presolve(prob, theta0, y, w, max_nfev):
    """Loose solves from two starts (the τ as guessed, and 3× longer); the better one's θ.

    On maps of more than 100 energies these run on every stride-th energy only (θ is shared
    by all energies; each step ~3× cheaper). Two starts: a short lifetime and the artefact
    term can trade places, a local minimum one start alone falls into now and then.
    """
    stride = -(-prob.x.size // 100)
    sub = slice(None, None, stride)
    p = prob if stride == 1 else _Problem(prob.t, prob.x[sub], y[sub], w[sub], prob.k_n, prob.offset,
                                          prob.p_n - 1, prob.chirp_fixed, prob.artefact)
    starts = [theta0]
    if prob.k_n > 1:
        starts.append(np.r_[theta0[:prob.k_n] - math.log(3.0), theta0[prob.k_n:]])
    best = None
    for start in starts:
        sol = optimize.least_squares(p.solve, start, jac=p.jacobian, method="lm", x_scale="jac",
                                     max_nfev=max_nfev, xtol=1e-5, ftol=1e-6)
        if best is None or (np.isfinite(sol.cost) and sol.cost < best.cost):
            best = sol
    return best.x


def _finish(prob, sol, d, e, y, w, e_ref, notes, *, offset):
    """Covariances, sorting, spectra, warnings and Estimates of a solved problem."""
    k_n = prob.k_n
    res = prob.solve(sol.x)
    jac = prob.jacobian(sol.x)
    v = prob.derivatives(sol.x)
    _, _, _, phi, _, an, norm, ginv, coef, t0 = prob.cache
    n_pts = int(w.sum())
    n_theta = sol.x.size
    dof = n_pts - n_theta - coef.size
    rss = float(res @ res)
    s2 = rss / dof if dof > 0 else math.nan
    cov = _cov_from_jac(jac) * s2
    scale = 1.0 / norm
    gram_inv = ginv * scale[:, :, None] * scale[:, None, :]  # (ΦᵀΦ)⁻¹ per energy
    g = -(ginv @ (np.swapaxes(an, 1, 2) @ v)) * scale[:, :, None]  # (M, L, P): ∂c/∂θ
    cov_c = s2 * gram_inv + g @ cov @ np.swapaxes(g, 1, 2)
    rates, sigma, coeffs = prob.unpack(sol.x)
    taus = 1.0 / rates
    se_lnk = np.sqrt(np.clip(np.diag(cov)[:k_n], 0, None))
    order = np.argsort(taus)
    taus, se_tau = taus[order], taus[order] * se_lnk[order]
    lin = np.r_[order, np.arange(k_n, coef.shape[1])]
    coef, cov_c = coef[:, lin], cov_c[:, lin][:, :, lin]
    se_c = np.sqrt(np.clip(np.einsum("mll->ml", cov_c), 0, None))
    fit = np.where(w > 0, np.einsum("mdl,ml->md", phi[:, :, lin], coef), np.nan)
    warnings = list(notes) + _warnings(taus, sigma, d, e, y, w, t0, prob)
    if prob.artefact and prob.p_n:
        # a t0 shift of the exponentials is compensated to first order by the DAS and an
        # artefact term (∂f/∂t0 = k f − g): t0 and σ are then identified by the artefact alone
        za = np.abs(coef[:, -1]) / np.where(se_c[:, -1] > 0, se_c[:, -1], np.inf)
        if not np.any(za > 5.0):
            warnings.append("the coherent-artefact term is nowhere significant (|amplitude| < 5 stderr): "
                            "the fitted chirp and IRF width are not identified and their stderrs are "
                            "meaningless; set `global_artefact = false`")
    ok = bool(sol.status > 0 and math.isfinite(s2) and np.all(np.isfinite(cov)))
    msg = "" if ok else (f"the global fit did not converge ({sol.message}); try another "
                         "`global_components` or give the chirp")
    das, das_se = coef[:, :k_n].T, se_c[:, :k_n].T
    try:
        n_seq = k_n + int(offset)
        bmat = np.linalg.inv(_bateman(np.append(1.0 / taus, [0.0] if offset else [])).T)
        eas = (bmat @ coef[:, :n_seq].T)[:k_n]
        eas_se = np.sqrt(np.clip(np.einsum("il,mlk,ik->im", bmat, cov_c[:, :n_seq, :n_seq], bmat),
                                 0, None))[:k_n]
    except (np.linalg.LinAlgError, ZeroDivisionError, FloatingPointError):
        eas = eas_se = np.full_like(das, np.nan)
    details = {"n_components": k_n, "offset": offset, "artefact": prob.artefact, "chirp_fitted": prob.p_n > 0,
               "chirp_order": prob.p_n - 1 if prob.p_n else len(coeffs) - 1, "energy_ref_eV": e_ref,
               "chirp_wavelength_ref_nm": prob.wl_ref,
               "n_delays": int(d.size), "n_energies": int(e.size), "n_points": n_pts, "nfev": int(sol.nfev),
               "stderr": "white noise of one level, scaled by the reduced chi-square; "
                         "correlations with all other parameters included; no model error"
                         + ("; with the artefact fitted, the chirp and IRF width are identified by the "
                            "artefact alone (docs/ta-global.md)" if prob.artefact else "")}
    text = "; ".join(warnings)
    common = dict(success=ok, message=msg or text, reduced_chi2=s2, details=details)

    def est(value, se, method, unit):
        if not ok:
            return Estimate(value=math.nan, stderr=math.nan, method=method, unit=unit, **common)
        return Estimate(value=float(value), stderr=float(se), method=method, unit=unit, **common)

    tau_est = tuple(_unresolved(est(t, s, "ta-global-varpro", "ps"), i, warnings)
                    for i, (t, s) in enumerate(zip(taus, se_tau), 1))
    fwhm = _FWHM_PER_SIGMA * sigma
    irf = est(fwhm, fwhm * math.sqrt(max(cov[k_n, k_n], 0.0)), "ta-global-varpro", "ps")
    per = "eV" if math.isnan(prob.wl_ref) else "(100 nm)"
    if prob.p_n:
        se_p = np.sqrt(np.clip(np.diag(cov)[k_n + 1:], 0, None))
        chirp = tuple(est(c, s, "ta-global-varpro", f"ps/{per}^{i}" if i else "ps")
                      for i, (c, s) in enumerate(zip(coeffs, se_p)))
    else:
        chirp = tuple(Estimate(value=float(c), stderr=0.0, method="given", unit=f"ps/{per}^{i}" if i else "ps",
                               details=details) for i, c in enumerate(coeffs))
    return GlobalFit(
        taus=tau_est, irf_fwhm=irf, chirp=chirp, energy_ref_eV=e_ref, delay_ps=d, energy_eV=e, t0_ps=t0,
        das=das, das_stderr=das_se, offset=coef[:, k_n] if offset else None,
        offset_stderr=se_c[:, k_n] if offset else None, eas=eas, eas_stderr=eas_se,
        fit=fit.T, residual=(np.where(w > 0, y, np.nan) - fit).T, noise_od=math.sqrt(s2) if s2 >= 0 else math.nan,
        reduced_chi2=s2, success=ok, message=msg or text, warnings=tuple(warnings))


def _unresolved(tau, i, warnings):
    """A lifetime that a warning calls unresolved becomes a failed Estimate saying why."""
    why = [w for w in warnings if "not resolve" in w and (w.startswith(f"τ{i} ") or f"and τ{i} " in w)]
    if not why or not tau.success:
        return tau
    return dataclasses.replace(tau, value=math.nan, stderr=math.nan, success=False, message="; ".join(why))


def _warnings(taus, sigma, d, e, y, w, t0, prob):
    """The fit's warnings: unresolved or out-of-window lifetimes, a chirp that misses."""
    out = []
    window = d[-1] - float(np.median(t0))
    for i, t in enumerate(taus, 1):
        if t < sigma / 3.0:
            out.append(f"τ{i} = {t:.3g} ps is much shorter than the IRF (σ = {sigma:.3g} ps): "
                       "it is not resolved")
        if t > 3.0 * window:
            out.append(f"τ{i} = {t:.3g} ps is longer than three times the measured window "
                       f"({window:.3g} ps): poorly determined{'' if prob.offset else '; consider `global_offset`'}")
    for i in range(taus.size - 1):
        if taus[i + 1] < 1.1 * taus[i]:
            out.append(f"τ{i + 1} and τ{i + 2} are within 10 %: the data do not resolve "
                       f"{taus.size} components; lower `global_components`")
    if np.any(t0 < d[0]) or np.any(t0 > d[-1]):
        out.append(f"the chirp polynomial puts time zero at {t0.min():.3g}–{t0.max():.3g} ps, outside "
                   f"the measured delays {d[0]:.3g}–{d[-1]:.3g} ps at some energies")
    if prob.p_n == 0:
        rise, weight = _rise_times(d, np.nan_to_num(y), w)
        strong = weight > 0.2 * np.max(weight)
        if np.any(strong):
            rms = float(np.sqrt(np.average((rise - t0)[strong] ** 2, weights=weight[strong])))
            step = float(np.median(np.diff(d)[np.argsort(np.abs(d[1:] - np.median(t0)))[:5]]))
            if rms > max(5.0 * step, 0.3):
                out.append(f"the given chirp polynomial misses the rise of the data by {rms:.3g} ps rms; "
                           "fit it instead (omit `chirp_t0_coeffs_ps`)")
    return out
