"""Layered spheres (core/shell/shell…): layer volumes, total volume, Cd atoms per particle.

All functions accept plain floats or ``uncertainties`` numbers; with the latter, the
TEM standard deviations propagate (linearly, with correlations) into every result.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from .errors import InputError
from .materials import get_material

__all__ = ["outer_diameters_nm", "layer_volumes_nm3", "total_volume_nm3", "cd_atoms_per_particle",
           "ensemble_layer_volumes_nm3", "ensemble_total_volume_nm3", "ensemble_cd_atoms_per_particle"]


def _nominal(x) -> float:
    return float(getattr(x, "nominal_value", x))


def outer_diameters_nm(core_diameter_nm, shell_thickness_nm: Sequence = ()):
    """Outer diameter (nm) of the core and of each shell: d₀, d₀ + 2t₁, d₀ + 2t₁ + 2t₂, …"""
    if _nominal(core_diameter_nm) <= 0:
        raise InputError(f"core_diameter_nm must be > 0 nm, got {_nominal(core_diameter_nm)}.")
    diameters = [core_diameter_nm]
    for i, t in enumerate(shell_thickness_nm):
        if _nominal(t) < 0:
            raise InputError(f"shell_thickness_nm[{i}] must be ≥ 0 nm, got {_nominal(t)}.")
        diameters.append(diameters[-1] + 2 * t)
    return diameters


def layer_volumes_nm3(core_diameter_nm, shell_thickness_nm: Sequence = ()):
    """Volume (nm³) of the core and of each shell of a concentric sphere.

    Parameters
    ----------
    core_diameter_nm : float or UFloat
        Core diameter in nm.
    shell_thickness_nm : sequence of float or UFloat
        Thickness of each shell (radial), core outwards, in nm.

    Returns
    -------
    list
        [V_core, V_shell1, …] in nm³; V_shell = π/6 (d_out³ − d_in³).

    Examples
    --------
    >>> [round(v, 1) for v in layer_volumes_nm3(2.0, [1.0])]
    [4.2, 29.3]
    """
    d = outer_diameters_nm(core_diameter_nm, shell_thickness_nm)
    vols = [math.pi / 6.0 * d[0] ** 3]
    for inner, outer in zip(d[:-1], d[1:]):
        vols.append(math.pi / 6.0 * (outer**3 - inner**3))
    return vols


def total_volume_nm3(core_diameter_nm, shell_thickness_nm: Sequence = ()):
    """Total particle volume (nm³) = π/6 · d_outer³.

    Examples
    --------
    >>> round(total_volume_nm3(10.9), 0)
    678.0
    """
    d = outer_diameters_nm(core_diameter_nm, shell_thickness_nm)
    return math.pi / 6.0 * d[-1] ** 3


def cd_atoms_per_particle(layers: Sequence[str], core_diameter_nm, shell_thickness_nm: Sequence = ()):
    """Number of Cd atoms in a layered particle: Σ V_layer · n_Cd(material of the layer).

    Parameters
    ----------
    layers : sequence of str
        Material of the core and of each shell, core first (e.g. ["CdS", "CdSe", "CdS"]).
    core_diameter_nm, shell_thickness_nm
        As in :func:`layer_volumes_nm3`; one thickness per layer after the core.

    Notes
    -----
    n_Cd = 2 / ((√3/2) a² c) for wurtzite; see :mod:`multiphoton.materials`.
    Every layer material must contain Cd (CdS, CdSe).
    """
    if len(layers) != len(shell_thickness_nm) + 1:
        raise InputError(
            f"layers has {len(layers)} entries but there are {len(shell_thickness_nm)} shell "
            "thicknesses; give one shell_thickness_nm per layer after the core."
        )
    vols = layer_volumes_nm3(core_diameter_nm, shell_thickness_nm)
    return sum(v * get_material(m).cd_density_per_nm3 for v, m in zip(vols, layers))


def ensemble_layer_volumes_nm3(core_nm, shells_nm: Sequence = ()):
    """Ensemble-mean volume (nm³) of the core and of each shell over a size distribution.

    Parameters
    ----------
    core_nm : (mean, std)
        Core diameter: mean (float or UFloat, the uncertainty of the mean) and ensemble
        std (float), in nm.
    shells_nm : sequence of (mean, std)
        Each shell thickness (radial), core outwards, as (mean, ensemble std) in nm.

    Returns
    -------
    list
        [⟨V_core⟩, ⟨V_shell1⟩, …] in nm³.

    Notes
    -----
    Every size is normal and independent (data contract section 3), so the outer radius
    of layer k, r_k = d₀/2 + Σ_{i≤k} t_i, is normal with mean r̄_k and variance
    s_k² = (σ_d/2)² + Σ σ_{t,i}², and ⟨r_k³⟩ = r̄_k³ + 3 r̄_k s_k²;
    ⟨V_k⟩ = 4π/3 (⟨r_k³⟩ − ⟨r_{k−1}³⟩) by linearity. With zero stds this is
    :func:`layer_volumes_nm3`. The stds enter as exact numbers: their own sampling
    error is second order.

    Examples
    --------
    >>> [round(v, 2) for v in ensemble_layer_volumes_nm3((2.0, 0.0), [(1.0, 0.0)])]
    [4.19, 29.32]
    >>> round(ensemble_layer_volumes_nm3((2.0, 0.2), [])[0], 3)  # π/6 (d³ + 3 d σ²)
    4.314
    """
    d_mean, d_sd = core_nm
    if _nominal(d_mean) <= 0:
        raise InputError(f"core_diameter_nm must be > 0 nm, got {_nominal(d_mean)}.")
    r, var = d_mean / 2.0, (float(d_sd) / 2.0) ** 2
    moments = [r**3 + 3.0 * r * var]
    for i, (t, t_sd) in enumerate(shells_nm):
        if _nominal(t) < 0:
            raise InputError(f"shell_thickness_nm[{i}] must be ≥ 0 nm, got {_nominal(t)}.")
        r, var = r + t, var + float(t_sd) ** 2
        moments.append(r**3 + 3.0 * r * var)
    four_thirds_pi = 4.0 * math.pi / 3.0
    return [four_thirds_pi * moments[0]] + [four_thirds_pi * (b - a) for a, b in zip(moments[:-1], moments[1:])]


def ensemble_total_volume_nm3(core_nm, shells_nm: Sequence = ()):
    """Ensemble-mean total particle volume (nm³); see :func:`ensemble_layer_volumes_nm3`.

    Examples
    --------
    >>> round(ensemble_total_volume_nm3((10.9, 0.0)), 0)
    678.0
    """
    return sum(ensemble_layer_volumes_nm3(core_nm, shells_nm))


def ensemble_cd_atoms_per_particle(layers: Sequence[str], core_nm, shells_nm: Sequence = ()):
    """Ensemble-mean Cd atoms per particle: Σ ⟨V_layer⟩ · n_Cd(material of the layer).

    Arguments as in :func:`ensemble_layer_volumes_nm3`; ``layers`` as in
    :func:`cd_atoms_per_particle`.

    Examples
    --------
    >>> a = ensemble_cd_atoms_per_particle(["CdS", "CdSe"], (4.0, 0.0), [(1.0, 0.0)])
    >>> b = cd_atoms_per_particle(["CdS", "CdSe"], 4.0, [1.0])
    >>> abs(a - b) < 1e-9
    True
    """
    if len(layers) != len(shells_nm) + 1:
        raise InputError(
            f"layers has {len(layers)} entries but there are {len(shells_nm)} shell "
            "thicknesses; give one shell_thickness_nm per layer after the core."
        )
    vols = ensemble_layer_volumes_nm3(core_nm, shells_nm)
    return sum(v * get_material(m).cd_density_per_nm3 for v, m in zip(vols, layers))
