"""The one parser of manifest tables: typed fields, strict keys, units at the edge.

A manifest table (a sample, its ``icp`` block, a measurement, a ``files`` entry) is
described by a frozen dataclass whose fields carry a :func:`opt` spec in their
metadata: the value type, its range, its unit, whether ``[value, std]`` is allowed. One
function, :func:`parse_table`, checks a TOML table against such a class: every key
must be a field (or an explicitly allowed extra key), every value must have the
field's type and range; an unknown key is refused with the nearest known key
suggested. Photon energies (``*_eV`` fields marked ``photon=True``) also accept the
``*_nm`` spelling and are converted; a value outside the physical range gets a unit
hint. Values are validated here, where they enter, and never re-parsed.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any

from uncertainties import ufloat

from ..constants import HC_EV_NM
from ..errors import InputError

__all__ = ["opt", "REQUIRED", "parse_table", "unknown_key_error", "nearest", "check_keys", "known_keys", "record", "PHOTON_EV_RANGE"]

REQUIRED = dataclasses.MISSING
"""Default of a required field."""

PHOTON_EV_RANGE = (0.2, 12.0)
"""Photon energies accepted without a unit hint (eV): mid-IR to vacuum UV."""

_TYPES = ("number", "uncertain", "int", "int_or_auto", "text", "choice", "pair", "numbers", "bool", "texts")


def opt(type_: str, default=None, *, unit: str = "", doc: str = "", gt: float | None = None,
        ge: float | None = None, le: float | None = None, lt: float | None = None,
        choices: Iterable[str] = (), photon: bool = False, reader: bool = False):
    """A dataclass field holding one manifest key.

    Parameters
    ----------
    type_ : {"number", "uncertain", "int", "text", "choice", "pair", "numbers", "bool", "texts"}
        ``number`` a finite float; ``uncertain`` a number or ``[value, std]`` (kept as an
        ``uncertainties`` number when std > 0, else a float); ``int`` a whole number;
        ``text`` a string; ``choice`` one of ``choices``; ``pair`` ``[lo, hi]`` with
        lo < hi; ``numbers`` a list of numbers (a single number is a list of one);
        ``bool``; ``texts`` a list of strings; ``int_or_auto`` a whole number or the text
        ``"auto"``.
    default
        The default (``REQUIRED`` for a required key). Defaults are explicit: they are
        what the analysis uses and what ``details.options`` records.
    unit : str
        Unit of the value (documentation, error messages).
    gt, ge, le, lt : float, optional
        Range of the value (of the nominal value for ``uncertain``).
    photon : bool
        A photon energy in eV: the ``*_nm`` spelling is accepted and converted, and a value
        outside :data:`PHOTON_EV_RANGE` is refused with a unit hint.
    reader : bool
        An option handed to the file reader as given (see docs/formats.md).
    """
    if type_ not in _TYPES:  # pragma: no cover - programming error
        raise ValueError(f"unknown option type {type_!r}")
    meta = {"type": type_, "unit": unit, "doc": doc, "gt": gt, "ge": ge, "le": le, "lt": lt,
            "choices": tuple(choices), "photon": photon, "reader": reader}
    if default is REQUIRED:
        return dataclasses.field(metadata=meta)
    if isinstance(default, (list, dict)):  # pragma: no cover - programming error
        raise ValueError("mutable default")
    return dataclasses.field(default=default, metadata=meta)


def nearest(key: str, known: Iterable[str]) -> str | None:
    """The known key closest to ``key``, or None.

    A key that differs only in case wins; otherwise the closest by difflib's ratio
    (≥ 0.6), compared case-insensitively, so that ``excitation_Ev`` suggests
    ``excitation_eV``, not ``excitation_nm``.
    """
    known = list(known)
    low: dict[str, str] = {}
    for k in known:
        low.setdefault(k.lower(), k)
    if key.lower() in low:
        return low[key.lower()]
    match = difflib.get_close_matches(key.lower(), list(low), n=1, cutoff=0.6)
    return low[match[0]] if match else None


def check_keys(raw: Mapping[str, Any], known: Iterable[str], where: str) -> None:
    """Refuse the first key of ``raw`` that is not in ``known`` (see :func:`unknown_key_error`)."""
    known = set(known)
    for key in raw:
        if key not in known:
            raise unknown_key_error(key, where, known)


def unknown_key_error(key: str, where: str, known: Iterable[str]) -> InputError:
    """The error for an unknown key: names it and suggests the nearest known one."""
    known = sorted(set(known))
    guess = nearest(key, known)
    hint = (f"did you mean {guess!r}?" if guess else
            f"known keys here: {', '.join(known)}")
    return InputError(f"unknown key {key!r} in {where}; {hint} "
                      "(every manifest key is one the data contract or docs/contract-extensions.md defines)")


def _num(value, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}, key {key!r}: expected a number, got {value!r}.")
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"{where}, key {key!r}: expected a finite number, got {value!r}.")
    return v


def _check_range(v: float, meta: Mapping, where: str, key: str) -> None:
    unit = f" {meta['unit']}" if meta["unit"] else ""
    for bound, ok, word in (("gt", lambda b: v > b, ">"), ("ge", lambda b: v >= b, "≥"),
                            ("lt", lambda b: v < b, "<"), ("le", lambda b: v <= b, "≤")):
        b = meta[bound]
        if b is not None and not ok(b):
            raise InputError(f"{where}, key {key!r}: must be {word} {b:g}{unit}, got {v:g}.")


def _photon_hint(v: float, key: str) -> str:
    stem = key[:-3] if key.endswith("_eV") else key
    if 100.0 <= v <= 20000.0:
        return (f"photon energies are in eV; {v:g} nm is {HC_EV_NM / v:.4g} eV, "
                f"or write {stem}_nm = {v:g}")
    return f"photon energies are in eV (expected {PHOTON_EV_RANGE[0]:g}–{PHOTON_EV_RANGE[1]:g} eV)"


def _value(value, meta: Mapping, where: str, key: str):
    kind = meta["type"]
    if kind == "number":
        v = _num(value, where, key)
        if meta["photon"] and not PHOTON_EV_RANGE[0] <= v <= PHOTON_EV_RANGE[1]:
            raise InputError(f"{where}, key {key!r} = {v:g}: {_photon_hint(v, key)}.")
        _check_range(v, meta, where, key)
        return v
    if kind == "uncertain":
        if isinstance(value, list):
            if len(value) != 2:
                raise InputError(f"{where}, key {key!r}: expected a number or [value, std], got {value!r}.")
            v, s = (_num(x, where, key) for x in value)
        else:
            v, s = _num(value, where, key), 0.0
        if s < 0:
            raise InputError(f"{where}, key {key!r}: the std must be ≥ 0, got {value!r}.")
        _check_range(v, meta, where, key)
        return ufloat(v, s) if s > 0 else v
    if kind == "int_or_auto":
        if value == "auto":
            return "auto"
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{where}, key {key!r}: expected a whole number or \"auto\", got {value!r}.")
        _check_range(value, meta, where, key)
        return int(value)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{where}, key {key!r}: expected a whole number, got {value!r}.")
        _check_range(value, meta, where, key)
        return int(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise InputError(f"{where}, key {key!r}: expected true or false, got {value!r}.")
        return value
    if kind in ("text", "choice"):
        if not isinstance(value, str):
            raise InputError(f"{where}, key {key!r}: expected text in quotes, got {value!r}.")
        if kind == "choice" and value not in meta["choices"]:
            guess = nearest(value, meta["choices"])
            hint = f" (did you mean {guess!r}?)" if guess else ""
            raise InputError(f"{where}, key {key!r}: {value!r} is not one of "
                             f"{', '.join(map(repr, meta['choices']))}{hint}.")
        return value
    if kind == "texts":
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise InputError(f"{where}, key {key!r}: expected a list of texts, got {value!r}.")
        return tuple(value)
    if kind == "pair":
        if not isinstance(value, list) or len(value) != 2:
            raise InputError(f"{where}, key {key!r}: expected [low, high], got {value!r}.")
        lo, hi = (_num(x, where, key) for x in value)
        if not lo < hi:
            raise InputError(f"{where}, key {key!r}: expected [low, high] with low < high, got {value!r}.")
        for x in (lo, hi):
            _check_range(x, meta, where, key)
        return (lo, hi)
    # numbers
    values = value if isinstance(value, list) else [value]
    if not values:
        raise InputError(f"{where}, key {key!r}: expected a list of numbers, got an empty list.")
    return tuple(_num(x, where, key) for x in values)


def known_keys(cls) -> set[str]:
    """The manifest keys of dataclass ``cls``: its :func:`opt` fields and their ``*_nm`` aliases."""
    fields = {f.name: f for f in dataclasses.fields(cls) if "type" in f.metadata}
    return set(fields) | {f"{n[:-3]}_nm" for n, f in fields.items() if f.metadata["photon"] and n.endswith("_eV")}


def parse_table(cls, raw: Mapping[str, Any], where: str, *, extra: Iterable[str] = (),
                given: Mapping[str, Any] | None = None):
    """Check the TOML table ``raw`` against dataclass ``cls`` and build it.

    Parameters
    ----------
    cls : dataclass type
        Fields with :func:`opt` metadata are manifest keys; other fields come from ``given``.
    raw : mapping
        The table as read.
    where : str
        Where the table is, for messages ("…/experiment.toml: measurement #4 (ase_series,
        sample QS-4.5)").
    extra : iterable of str
        Keys handled by the caller (file keys, reader options): allowed, not parsed.
    given : mapping, optional
        Values of the non-manifest fields.

    Raises
    ------
    InputError
        An unknown key (with the nearest known one), a missing required key, a value of
        the wrong type or out of range.
    """
    fields = {f.name: f for f in dataclasses.fields(cls) if "type" in f.metadata}
    aliases = {f"{name[:-3]}_nm": name for name, f in fields.items()
               if f.metadata["photon"] and name.endswith("_eV")}
    check_keys(raw, set(fields) | set(aliases) | set(extra), where)
    values: dict[str, Any] = dict(given or {})
    for alias, name in aliases.items():
        if alias in raw:
            if name in raw:
                raise InputError(f"{where}: give {name!r} or {alias!r}, not both.")
            nm = _num(raw[alias], where, alias)
            if not 50.0 <= nm <= 50000.0:
                raise InputError(f"{where}, key {alias!r} = {nm:g}: wavelengths are in nm "
                                 "(e.g. 800 for a Ti:sapphire fundamental).")
            values[name] = HC_EV_NM / nm
    for name, f in fields.items():
        if name in raw:
            values[name] = _value(raw[name], f.metadata, where, name)
        elif name not in values and f.default is dataclasses.MISSING:
            raise InputError(f"{where}: the key {name!r} is required; add `{name} = …`"
                             + (f" ({f.metadata['unit']})" if f.metadata["unit"] else "") + ".")
    return cls(**values)


def record(obj) -> dict[str, Any]:
    """The manifest fields of an options object as JSON-safe values (for ``details``).

    ``uncertainties`` numbers become ``[value, std]``; fields left at None are omitted.
    """
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if "type" not in f.metadata:
            continue
        v = getattr(obj, f.name)
        if v is None:
            continue
        if hasattr(v, "std_dev"):
            v = [float(v.nominal_value), float(v.std_dev)]
        elif isinstance(v, tuple):
            v = list(v)
        out[f.name] = v
    return out
