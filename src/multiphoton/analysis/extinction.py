"""Molar extinction ε and one-photon cross section σ₁ from ICP-OES and absorbance (Table 1).

Pure functions on numbers; accept ``uncertainties`` numbers so that ICP, absorbance and
TEM-sizing uncertainties propagate with their correlations.
"""
from __future__ import annotations

from ..errors import InputError
from ..units import epsilon_to_sigma_cm2

__all__ = ["particle_concentration_M", "molar_extinction_per_M_cm", "extinction_from_icp"]


def _nominal(x) -> float:
    return float(getattr(x, "nominal_value", x))


def particle_concentration_M(cd_mol_per_L, cd_atoms_per_particle):
    """Particle concentration (mol/L) = Cd concentration / Cd atoms per particle.

    Examples
    --------
    >>> particle_concentration_M(1.2e-5, 12000)
    1e-09
    """
    if _nominal(cd_mol_per_L) <= 0:
        raise InputError(f"icp.cd_mol_per_L must be > 0 mol/L, got {_nominal(cd_mol_per_L)}.")
    if _nominal(cd_atoms_per_particle) <= 0:
        raise InputError("Cd atoms per particle must be > 0; check the layers and sizes of the sample.")
    return cd_mol_per_L / cd_atoms_per_particle


def molar_extinction_per_M_cm(absorbance, *, particle_concentration_M, path_cm):
    """ε (M⁻¹ cm⁻¹) = A / (c · l), Beer–Lambert with base-10 absorbance A.

    Examples
    --------
    >>> molar_extinction_per_M_cm(0.032, particle_concentration_M=1e-9, path_cm=1.0)
    32000000.0
    """
    if _nominal(path_cm) <= 0:
        raise InputError(f"icp.path_cm must be > 0 cm, got {_nominal(path_cm)}.")
    if _nominal(absorbance) <= 0:
        raise InputError(f"icp.absorbance must be > 0, got {_nominal(absorbance)}.")
    return absorbance / (particle_concentration_M * path_cm)


def extinction_from_icp(*, cd_mol_per_L, absorbance, path_cm, cd_atoms_per_particle):
    """ε (M⁻¹ cm⁻¹) and σ₁ (cm²) of the particles from ICP-OES Cd and absorbance.

    Parameters
    ----------
    cd_mol_per_L : float or UFloat
        Cd concentration of the measured solution (mol/L), from ICP-OES of a digest.
    absorbance : float or UFloat
        Base-10 absorbance of that solution at the chosen energy.
    path_cm : float
        Optical path length, cm.
    cd_atoms_per_particle : float or UFloat
        From :func:`multiphoton.structures.cd_atoms_per_particle`.

    Returns
    -------
    epsilon_per_M_cm, sigma1_cm2
        Same type as the inputs (UFloat when any input is one).

    Notes
    -----
    c_particle = [Cd] / N_Cd;  ε = A / (c_particle l);  σ₁ = 1000 ln(10) ε / N_A.

    References
    ----------
    Diroll et al., Nanoscale 2023, Table 1 and its footnote b.
    """
    conc = particle_concentration_M(cd_mol_per_L, cd_atoms_per_particle)
    eps = molar_extinction_per_M_cm(absorbance, particle_concentration_M=conc, path_cm=path_cm)
    return eps, epsilon_to_sigma_cm2(eps)
