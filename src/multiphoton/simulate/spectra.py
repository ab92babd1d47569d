"""Band-edge optical model of a multiexciton particle: absorption, gain and emission
spectra of each N-exciton state, and the time-integrated PL of an ensemble.

The band edge is a ladder of levels j = 1…J at energies E_X + Δ_j, each made of
d_j channels of equal strength (d_1 = 2: the spin-degenerate lowest level).
N excitons fill the ladder from the bottom. In state N a level holding n_j
excitons absorbs with weight (d_j − 2 n_j) (bleaching plus stimulated emission)
and emits with weight n_j. The two channels of level 1 interact: the second
exciton costs E_X − E_b, so the X → XX absorption and the XX → X emission sit at
E_XX = E_X − E_b (E_b < 0, repulsive: above E_X). Lines are Gaussian in energy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..models.cascade import cascade_integrated_populations, radiative_rates_per_ns
from ..models.excitation import beam_average

__all__ = [
    "BandEdge",
    "level_occupations",
    "state_absorbance",
    "state_emission",
    "ground_absorbance",
    "gaussian_line",
    "pl_spectra",
]

_FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


@dataclass(frozen=True, kw_only=True)
class BandEdge:
    """Parameters of the band-edge ladder (energies in eV, binding energy in meV).

    Attributes
    ----------
    exciton_eV : float
        Single-exciton emission (and band-edge absorption) energy E_X.
    biexciton_binding_meV : float
        E_b = E_X − E_XX; negative = repulsive (biexciton line above E_X).
    level_offsets_eV : tuple of float
        Δ_j of levels 1…J above E_X (Δ_1 = 0).
    level_capacities : tuple of int
        d_j, excitons each level holds (d_1 = 2).
    level_fwhm_eV : tuple of float
        Gaussian FWHM of each level's line (inhomogeneous + homogeneous).
    pia_per_exciton : float
        Photoinduced (intraband) absorption per exciton, spectrally flat, in channel
        units; it is what ends the gain while single excitons remain.
    """

    exciton_eV: float
    biexciton_binding_meV: float
    level_offsets_eV: tuple[float, ...]
    level_capacities: tuple[int, ...]
    level_fwhm_eV: tuple[float, ...]
    pia_per_exciton: float = 0.0

    def __post_init__(self):
        sizes = {len(self.level_offsets_eV), len(self.level_capacities), len(self.level_fwhm_eV)}
        if len(sizes) != 1:
            raise InputError(
                "level_offsets_eV, level_capacities and level_fwhm_eV must have the same length."
            )
        if self.level_capacities[0] != 2 or self.level_offsets_eV[0] != 0:
            raise InputError("level 1 must have capacity 2 and offset 0 (the band-edge exciton).")
        if any(w <= 0 for w in self.level_fwhm_eV):
            raise InputError("level_fwhm_eV must be > 0.")

    @property
    def biexciton_eV(self) -> float:
        """E_XX = E_X − E_b."""
        return self.exciton_eV - self.biexciton_binding_meV * 1e-3

    @property
    def capacity(self) -> int:
        """Total excitons the ladder holds."""
        return int(sum(self.level_capacities))


def gaussian_line(energy_eV, center_eV, fwhm_eV):
    """Gaussian of unit peak height, exp(−(E − E₀)²/2s²) with s = FWHM/(2√(2 ln 2)).

    Examples
    --------
    >>> round(float(gaussian_line(1.05, 1.0, 0.1)), 3)
    0.5
    """
    s = fwhm_eV * _FWHM_TO_SIGMA
    return np.exp(-0.5 * ((np.asarray(energy_eV, dtype=float) - center_eV) / s) ** 2)


def level_occupations(n_max: int, capacities) -> np.ndarray:
    """Excitons n_j(N) in each level for N = 0…n_max (bottom-up filling).

    Returns
    -------
    ndarray of shape (n_max + 1, J)
        States beyond the ladder's capacity leave the ladder full.

    Examples
    --------
    >>> level_occupations(4, (2, 6)).tolist()
    [[0, 0], [1, 0], [2, 0], [2, 1], [2, 2]]
    """
    caps = np.asarray(capacities, dtype=int)
    top = np.cumsum(caps)
    bottom = top - caps
    n = np.arange(int(n_max) + 1)[:, None]
    return np.clip(n - bottom[None, :], 0, caps[None, :])


def _lines(energy_eV, band: BandEdge):
    e = np.asarray(energy_eV, dtype=float)
    levels = np.stack(
        [gaussian_line(e, band.exciton_eV + d, w) for d, w in zip(band.level_offsets_eV, band.level_fwhm_eV)]
    )  # (J, M)
    xx = gaussian_line(e, band.biexciton_eV, band.level_fwhm_eV[0])
    return levels, xx


def state_absorbance(energy_eV, band: BandEdge, *, n_max: int) -> np.ndarray:
    """Band-edge absorbance A_N(E) of a particle in state N, per channel strength.

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
    band : BandEdge
    n_max : int

    Returns
    -------
    ndarray of shape (n_max + 1, M)
        In units of one channel's peak absorbance; negative = gain. Ground state:
        level 1 peaks at 2.

    Notes
    -----
    Level j ≥ 2: (d_j − 2n_j) G_j(E). Level 1: n₁ = 0 → 2 G_X; n₁ = 1 → max(G_XX − G_X, 0)
    (one channel absorbs X→XX at E_XX, the exciton's bleach and stimulated emission at
    E_X; clipped at zero: no single-exciton gain);
    n₁ = 2 → −2 G_XX (biexciton stimulated emission). Plus c_PIA·N, flat in energy.

    Examples
    --------
    >>> b = BandEdge(exciton_eV=2.0, biexciton_binding_meV=0.0, level_offsets_eV=(0.0,),
    ...              level_capacities=(2,), level_fwhm_eV=(0.1,))
    >>> a = state_absorbance([2.0], b, n_max=2)
    >>> a[:, 0].tolist()
    [2.0, 0.0, -2.0]
    """
    levels, xx = _lines(energy_eV, band)
    occ = level_occupations(n_max, band.level_capacities).astype(float)
    caps = np.asarray(band.level_capacities, dtype=float)
    weights = caps[None, :] - 2.0 * occ  # (N, J)
    weights[:, 0] = 0.0
    out = weights @ levels
    n1 = occ[:, 0]
    out += np.where(n1 == 0, 2.0, 0.0)[:, None] * levels[0][None, :]
    # Single-exciton gain (possible only when |E_b| exceeds the linewidth, Klimov et al.,
    # Nature 447, 441 (2007)) is excluded: the X-state level-1 term is clipped at zero.
    out += np.where(n1 == 1, 1.0, 0.0)[:, None] * np.clip(xx - levels[0], 0.0, None)[None, :]
    out += np.where(n1 == 2, -2.0, 0.0)[:, None] * xx[None, :]
    out += band.pia_per_exciton * np.arange(int(n_max) + 1, dtype=float)[:, None]
    return out


def ground_absorbance(energy_eV, band: BandEdge) -> np.ndarray:
    """Band-edge absorbance of the ground state, Σ_j d_j G_j(E) (per channel strength)."""
    return state_absorbance(energy_eV, band, n_max=1)[0]


def state_emission(energy_eV, band: BandEdge, *, n_max: int) -> np.ndarray:
    """Normalised emission spectrum (per eV, unit area) of the photon emitted by state N.

    Returns
    -------
    ndarray of shape (n_max + 1, M)
        Row 0 is zero. State 1 emits at E_X; in state N ≥ 2 level 1 emits at E_XX
        and level j ≥ 2 with weight n_j (stimulated-emission weights).

    Examples
    --------
    >>> b = BandEdge(exciton_eV=2.0, biexciton_binding_meV=-50.0, level_offsets_eV=(0.0,),
    ...              level_capacities=(2,), level_fwhm_eV=(0.1,))
    >>> e = np.linspace(1.5, 2.5, 2001)
    >>> s = state_emission(e, b, n_max=2)
    >>> round(float(e[np.argmax(s[2])]), 3), round(float(np.trapezoid(s[1], e)), 6)
    (2.05, 1.0)
    """
    e = np.asarray(energy_eV, dtype=float)
    occ = level_occupations(n_max, band.level_capacities).astype(float)
    # Area-normalised lines: a Gaussian of FWHM w and unit peak has area w/(2 s) ... use σ√(2π).
    areas = np.asarray(band.level_fwhm_eV) * _FWHM_TO_SIGMA * np.sqrt(2.0 * np.pi)
    levels, xx = _lines(e, band)
    levels = levels / areas[:, None]
    xx = xx / areas[0]
    weights = occ.copy()
    weights[:, 0] = 0.0
    out = weights @ levels
    n1 = occ[:, 0]
    out += np.where(n1 == 1, 1.0, 0.0)[:, None] * levels[0][None, :]
    out += np.where(n1 == 2, 2.0, 0.0)[:, None] * xx[None, :]
    total = np.maximum(occ.sum(axis=1), 1.0)
    out /= total[:, None]
    out[0] = 0.0
    return out


def pl_spectra(
    energy_eV,
    mean_n_peak,
    band: BandEdge,
    *,
    tau_x_ns: float,
    tau_xx_ns: float,
    n_max: int = 30,
    excitation_order: int = 2,
    beam_profile: str = "gaussian",
    auger_scaling: str = "n2(n-1)/4",
    radiative_scaling: str = "n",
) -> np.ndarray:
    """Time-integrated PL spectra per particle (photons per eV) vs peak ⟨N⟩.

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
    mean_n_peak : ndarray of shape (F,)
        ⟨N⟩ at the centre of the pump spot.
    band : BandEdge
    tau_x_ns, tau_xx_ns, n_max, auger_scaling, radiative_scaling
        Cascade parameters (see :func:`multiphoton.models.cascade.cascade_rates_per_ns`).
    excitation_order : {1, 2}
        ⟨N⟩ ∝ F^order (one- or two-photon pumping), for the spot average.
    beam_profile : {"gaussian", "flat"}

    Returns
    -------
    ndarray of shape (F, M)

    Notes
    -----
    S(E) = ⟨Σ_N k_rad,N x_N S_N(E)⟩_spot with x_N = ∫p_N dt (exact, see
    :func:`multiphoton.models.cascade.cascade_integrated_populations`), k_rad,N = s(N)/τ_X
    and S_N the unit-area emission of state N.

    Examples
    --------
    >>> b = BandEdge(exciton_eV=2.0, biexciton_binding_meV=-50.0, level_offsets_eV=(0.0,),
    ...              level_capacities=(2,), level_fwhm_eV=(0.1,))
    >>> e = np.linspace(1.5, 2.5, 1001)
    >>> s = pl_spectra(e, [1e-3, 2e-3], b, tau_x_ns=20.0, tau_xx_ns=5.0, n_max=4)
    >>> round(float(np.trapezoid(s[1], e) / np.trapezoid(s[0], e)), 3)  # linear in mean_n at low mean_n
    2.0
    """
    if excitation_order not in (1, 2):
        raise InputError(f"excitation_order must be 1 or 2; got {excitation_order!r}.")
    shapes = state_emission(energy_eV, band, n_max=n_max)
    k_rad = radiative_rates_per_ns(tau_x_ns=tau_x_ns, n_max=n_max, radiative_scaling=radiative_scaling)
    weighted = k_rad[:, None] * shapes  # (N, M)

    def photons(local_mean_n):
        x = cascade_integrated_populations(
            local_mean_n.ravel(),
            tau_x_ns=tau_x_ns,
            tau_xx_ns=tau_xx_ns,
            n_max=n_max,
            auger_scaling=auger_scaling,
            radiative_scaling=radiative_scaling,
        )
        return (x @ weighted).reshape(local_mean_n.shape + (weighted.shape[1],))

    mu = np.atleast_1d(np.asarray(mean_n_peak, dtype=float))
    # beam_average passes local fluence fractions × peak; ⟨N⟩ ∝ F^order.
    return beam_average(lambda f: photons(f**excitation_order), mu ** (1.0 / excitation_order),
                        profile=beam_profile)
