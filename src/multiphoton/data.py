"""In-memory measurement containers shared by readers, the simulator and the pipeline.

Each is a frozen dataclass of numpy arrays (units in the field names, axes sorted
ascending, every value finite) plus a ``meta`` dict of what the file said. Readers
build them; analyses take their arrays; nothing here fits or opens files.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Spectrum",
    "SpectrumSeries",
    "Decay",
    "DecaySeries",
    "TAMap",
    "Absorption",
    "SpectralTimeSeries",
    "KnifeEdge",
    "ZScan",
]


def _ro(a) -> np.ndarray:
    arr = np.array(a, dtype=float)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Spectrum:
    """One emission spectrum: ``counts`` (M,) per eV on ``energy_eV`` (M,), ascending."""

    energy_eV: np.ndarray
    counts: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "energy_eV", _ro(self.energy_eV))
        object.__setattr__(self, "counts", _ro(self.counts))


@dataclass(frozen=True, eq=False)
class SpectrumSeries:
    """Spectra vs pump fluence: ``counts`` (F, M) per eV, ``fluence_mJ_cm2`` (F,), ``energy_eV`` (M,)."""

    fluence_mJ_cm2: np.ndarray
    energy_eV: np.ndarray
    counts: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("fluence_mJ_cm2", "energy_eV", "counts"):
            object.__setattr__(self, name, _ro(getattr(self, name)))


@dataclass(frozen=True, eq=False)
class Decay:
    """One time-resolved trace (e.g. an IRF): ``counts`` (T,) on ``time_ns`` (T,)."""

    time_ns: np.ndarray
    counts: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "time_ns", _ro(self.time_ns))
        object.__setattr__(self, "counts", _ro(self.counts))


@dataclass(frozen=True, eq=False)
class DecaySeries:
    """TRPL traces vs fluence: ``counts`` (F, T), ``fluence_mJ_cm2`` (F,), ``time_ns`` (T,)."""

    fluence_mJ_cm2: np.ndarray
    time_ns: np.ndarray
    counts: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("fluence_mJ_cm2", "time_ns", "counts"):
            object.__setattr__(self, name, _ro(getattr(self, name)))


@dataclass(frozen=True, eq=False)
class Absorption:
    """Ground-state absorbance (base 10, OD) ``absorbance`` (M,) on ``energy_eV`` (M,)."""

    energy_eV: np.ndarray
    absorbance: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "energy_eV", _ro(self.energy_eV))
        object.__setattr__(self, "absorbance", _ro(self.absorbance))


@dataclass(frozen=True, eq=False)
class TAMap:
    """Transient absorption ΔA (OD) ``dA`` (D, M) on ``delay_ps`` (D,) × ``energy_eV`` (M,).

    Where the file was on a wavelength axis, ``dA`` is still ΔA at each energy
    (ΔA is a density of states ratio, not a spectral density: no Jacobian applies).
    """

    delay_ps: np.ndarray
    energy_eV: np.ndarray
    dA: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("delay_ps", "energy_eV", "dA"):
            object.__setattr__(self, name, _ro(getattr(self, name)))


@dataclass(frozen=True, eq=False)
class SpectralTimeSeries:
    """Spectra over laboratory time: ``counts`` (S, M) per eV, ``time_s`` (S,), ``energy_eV`` (M,)."""

    time_s: np.ndarray
    energy_eV: np.ndarray
    counts: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("time_s", "energy_eV", "counts"):
            object.__setattr__(self, name, _ro(getattr(self, name)))


@dataclass(frozen=True, eq=False)
class KnifeEdge:
    """A knife-edge scan: transmitted ``power`` (K,) (any unit) at blade ``position_um`` (K,)."""

    position_um: np.ndarray
    power: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "position_um", _ro(self.position_um))
        object.__setattr__(self, "power", _ro(self.power))


@dataclass(frozen=True, eq=False)
class ZScan:
    """Open-aperture Z-scan: normalised ``transmittance`` (Z,) at sample positions ``z_mm`` (Z,)."""

    z_mm: np.ndarray
    transmittance: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "z_mm", _ro(self.z_mm))
        object.__setattr__(self, "transmittance", _ro(self.transmittance))
