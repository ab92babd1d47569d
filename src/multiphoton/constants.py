"""Physical constants (CODATA 2018 exact or recommended values, via scipy.constants).

Units are in the names: ``HC_EV_NM`` is h·c in eV·nm.
"""
from __future__ import annotations

from scipy import constants as _c

__all__ = [
    "AVOGADRO_PER_MOL",
    "ELEMENTARY_CHARGE_C",
    "PLANCK_J_S",
    "SPEED_OF_LIGHT_M_S",
    "HC_EV_NM",
    "GM_CM4_S",
    "NM3_CM3",
    "LN10",
]

AVOGADRO_PER_MOL: float = _c.N_A
"""Avogadro constant, 1/mol."""

ELEMENTARY_CHARGE_C: float = _c.e
"""Elementary charge, C (also J per eV)."""

PLANCK_J_S: float = _c.h
"""Planck constant, J s."""

SPEED_OF_LIGHT_M_S: float = _c.c
"""Speed of light in vacuum, m/s."""

HC_EV_NM: float = _c.h * _c.c / _c.e * 1e9
"""h·c in eV·nm (≈ 1239.84198): E[eV] = HC_EV_NM / λ[nm]."""

GM_CM4_S: float = 1e-50
"""One Goeppert-Mayer unit, cm⁴ s per photon."""

NM3_CM3: float = 1e-21
"""One cubic nanometre in cm³ (particle volumes from TEM sizes are in nm³)."""

LN10: float = 2.302585092994046
"""Natural logarithm of 10 (base-10 absorbance to natural-log optical depth)."""
