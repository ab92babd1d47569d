"""Two-photon reference dyes for the relative TPEF method, each value cited.

The data live in ``reference_dyes.toml`` beside this module; :func:`get_reference`
returns the cross sections of one dye at the requested photon energies.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from ..errors import InputError
from ..units import epsilon_to_sigma_cm2

__all__ = ["ReferenceValue", "get_reference", "list_references", "sigma2_GM", "sigma1_cm2"]


@dataclass(frozen=True)
class ReferenceValue:
    """A tabulated cross section: ``value`` ± ``std`` in ``unit`` at ``energy_eV``, with its source."""

    value: float
    std: float
    unit: str
    energy_eV: float
    source: str


@cache
def _table() -> dict:
    text = files(__package__).joinpath("reference_dyes.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def list_references() -> list[str]:
    """Keys of the reference dyes in the library (e.g. ``"rhodamine-6g"``)."""
    return sorted(k for k, v in _table().items() if isinstance(v, dict))


def _dye(name: str) -> tuple[str, dict]:
    key = name.strip().lower()
    table = _table()
    for dye_key in list_references():
        entry = table[dye_key]
        if key == dye_key or key in [a.lower() for a in entry.get("aliases", [])]:
            return dye_key, entry
    raise InputError(
        f"reference dye {name!r} is not in the standards library; use one of "
        f"{', '.join(list_references())}, or give reference_sigma2_GM and "
        "reference_sigma1_cm2 in the manifest."
    )


def _lookup(name: str, table_key: str, energy_eV: float, what: str) -> dict:
    dye_key, entry = _dye(name)
    tol = float(_table()["energy_tolerance_eV"])
    rows = entry.get(table_key, [])
    best = min(rows, key=lambda r: abs(r["energy_eV"] - energy_eV), default=None)
    if best is None or abs(best["energy_eV"] - energy_eV) > tol:
        have = ", ".join(f"{r['energy_eV']:.3f} eV" for r in rows) or "none"
        raise InputError(
            f"the standards library has no {what} of {dye_key} within {tol} eV of "
            f"{energy_eV:.3f} eV (tabulated: {have}); measure it and give it in the "
            f"manifest as {'reference_sigma2_GM' if table_key == 'sigma2' else 'reference_sigma1_cm2'} "
            "= [value, std]."
        )
    return best


def sigma2_GM(name: str, energy_eV: float) -> ReferenceValue:
    """Two-photon cross section (GM) of reference dye ``name`` at photon energy ``energy_eV``.

    Examples
    --------
    >>> r = sigma2_GM("rhodamine-6g", 1.55)
    >>> r.value, r.std
    (16.2, 2.4)
    """
    row = _lookup(name, "sigma2", energy_eV, "two-photon cross section")
    return ReferenceValue(row["value_GM"], row["std_GM"], "GM", row["energy_eV"], row["source"])


def sigma1_cm2(name: str, energy_eV: float) -> ReferenceValue:
    """One-photon cross section (cm²) of reference dye ``name`` at ``energy_eV``, from its ε."""
    row = _lookup(name, "epsilon", energy_eV, "molar extinction")
    value = float(epsilon_to_sigma_cm2(row["value_per_M_cm"]))
    std = float(epsilon_to_sigma_cm2(row["std_per_M_cm"]))
    return ReferenceValue(value, std, "cm2", row["energy_eV"], row["source"])


def get_reference(name: str) -> dict:
    """The library entry of a dye: name, solvent and its tabulated values (for reports)."""
    dye_key, entry = _dye(name)
    return {"key": dye_key, **entry}

