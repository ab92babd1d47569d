"""Layered spheres (core/shell/shell…): layer volumes, total volume, Cd atoms per particle.

All functions accept plain floats or ``uncertainties`` numbers; with the latter, the
TEM standard deviations propagate (linearly, with correlations) into every result.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from .errors import InputError
from .materials import get_material

__all__ = ["outer_diameters_nm", "layer_volumes_nm3", "total_volume_nm3", "cd_atoms_per_particle"]


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
