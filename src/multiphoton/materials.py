"""Semiconductor parameters used by the structure and extinction calculations, each sourced.

Cd number densities follow from the wurtzite lattice constants: a hexagonal cell of
volume (√3/2)·a²·c holds two formula units (two Cd atoms).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import InputError

__all__ = ["Material", "MATERIALS", "get_material"]


@dataclass(frozen=True)
class Material:
    """A wurtzite II–VI compound.

    Attributes
    ----------
    name : str
        Formula, e.g. ``"CdS"``.
    a_nm, c_nm : float
        Wurtzite lattice constants in nm.
    cd_per_cell : int
        Cd atoms per hexagonal unit cell (2 for wurtzite CdX).
    source : str
        Where the lattice constants come from.
    """

    name: str
    a_nm: float
    c_nm: float
    cd_per_cell: int
    source: str

    @property
    def cell_volume_nm3(self) -> float:
        """Hexagonal unit-cell volume (√3/2)·a²·c in nm³."""
        return math.sqrt(3.0) / 2.0 * self.a_nm**2 * self.c_nm

    @property
    def cd_density_per_nm3(self) -> float:
        """Cd atoms per nm³.

        Examples
        --------
        >>> round(get_material("CdS").cd_density_per_nm3, 2)
        20.11
        """
        return self.cd_per_cell / self.cell_volume_nm3


MATERIALS: dict[str, Material] = {
    "CdS": Material(
        "CdS", 0.4136, 0.6714, 2,
        "wurtzite CdS, JCPDS card 77-2306 (a = 4.136 Å, c = 6.714 Å), as cited by Diroll et al. 2023 Fig. 1e",
    ),
    "CdSe": Material(
        "CdSe", 0.4299, 0.701, 2,
        "wurtzite CdSe (a = 4.299 Å, c = 7.01 Å), Landolt–Börnstein III/41B",
    ),
}


def get_material(name: str) -> Material:
    """The :class:`Material` called ``name`` (case-insensitive)."""
    for key, mat in MATERIALS.items():
        if key.lower() == str(name).lower():
            return mat
    raise InputError(
        f"material {name!r} is not known; use one of {', '.join(MATERIALS)} "
        "(add it to multiphoton.materials with its lattice constants and source)."
    )
