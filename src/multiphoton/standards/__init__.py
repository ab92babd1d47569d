"""Reference dyes and solvents of the relative methods, each value cited.

The data live in ``reference_dyes.toml`` beside this module (format described at its
top and in docs/standards.md). A lab's own file in the same format, named in the manifest
with ``standards = "my_dyes.toml"``, extends the library: its dyes and solvents are
added, and where it tabulates the same thing (a σ₂ spectrum from the same source, an ε
at the same energy, a quantum yield in the same solvent, a solvent) its value wins.

Lookups return a :class:`ReferenceValue` whose ``details`` record the tabulated points
used and how the value was obtained (linear interpolation inside one tabulated σ₂
spectrum, or a single point within its stated tolerance); a request outside every
tabulated range is refused with the ranges named.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..units import epsilon_to_sigma_cm2

__all__ = ["ReferenceValue", "Library", "load_library", "get_reference", "list_references",
           "sigma2_GM", "sigma1_cm2", "quantum_yield", "refractive_index", "describe",
           "short_citation"]

_SOLVENT_KEYS = {"refractive_index", "std", "wavelength_nm", "source", "where"}
_DYE_KEYS = {"name", "solvent", "aliases", "sigma2", "epsilon", "quantum_yield"}
_SIGMA2_KEYS = {"energy_eV", "value_GM", "std_GM", "tolerance_eV", "source", "where", "note"}
_EPS_KEYS = {"energy_eV", "value_per_M_cm", "std_per_M_cm", "tolerance_eV", "solvent", "source", "where", "note"}
_QY_KEYS = {"value", "std", "solvent", "source", "where", "note"}


@dataclass(frozen=True)
class ReferenceValue:
    """A library value: ``value`` ± ``std`` in ``unit`` at ``energy_eV`` (None for a QY or n).

    ``details`` says which tabulated points were used and how (JSON-safe).
    """

    value: float
    std: float
    unit: str
    energy_eV: float | None
    source: str
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Library:
    """The standards library: dyes and solvents (plain dicts as in the TOML, validated)."""

    dyes: dict
    solvents: dict
    files: tuple[str, ...]


def _err(where: str, msg: str) -> InputError:
    return InputError(f"standards file {where}: {msg}")


def _check_keys(table, known: set, where: str) -> None:
    from ..io.schema import nearest

    if not isinstance(table, dict):
        raise _err(where, "must be a table.")
    for key in table:
        if key not in known:
            guess = nearest(key, sorted(known))
            hint = f"did you mean {guess!r}?" if guess else f"known keys: {', '.join(sorted(known))}"
            raise _err(where, f"unknown key {key!r}; {hint}")


def _number(table, key: str, where: str, *, positive=True, required=True):
    if key not in table:
        if required:
            raise _err(where, f"the key {key!r} is required.")
        return None
    v = table[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or (positive and v <= 0) \
            or v < 0:
        raise _err(where, f"key {key!r} must be a {'positive' if positive else 'non-negative'} number, got {v!r}.")
    return float(v)


def _text(table, key: str, where: str) -> str:
    v = table.get(key)
    if not isinstance(v, str) or not v.strip():
        raise _err(where, f"the key {key!r} (text) is required: every number names its source and "
                          "the table or figure it comes from.")
    return v


def _check_sigma2(row, where: str) -> dict:
    _check_keys(row, _SIGMA2_KEYS, where)
    cols = {}
    for key in ("energy_eV", "value_GM", "std_GM"):
        v = row.get(key)
        if not isinstance(v, list) or not v:
            raise _err(where, f"key {key!r} must be a non-empty list of numbers.")
        cols[key] = [_number({key: x}, key, where, positive=key != "std_GM") for x in v]
    if len({len(c) for c in cols.values()}) != 1:
        raise _err(where, "energy_eV, value_GM and std_GM must have the same length.")
    if any(b <= a for a, b in zip(cols["energy_eV"], cols["energy_eV"][1:])):
        raise _err(where, "energy_eV must be strictly ascending.")
    tol = _number(row, "tolerance_eV", where, required=False)
    if len(cols["energy_eV"]) > 1 and tol is not None:
        raise _err(where, "tolerance_eV applies to single-point spectra only (a spectrum is interpolated).")
    for key in ("source", "where"):
        _text(row, key, where)
    return {**row, **cols, "tolerance_eV": tol or 0.0}


def _check_epsilon(row, where: str) -> dict:
    _check_keys(row, _EPS_KEYS, where)
    for key in ("energy_eV", "value_per_M_cm"):
        _number(row, key, where)
    _number(row, "std_per_M_cm", where, positive=False)
    for key in ("source", "where", "solvent"):
        _text(row, key, where)
    return {**row, "tolerance_eV": _number(row, "tolerance_eV", where, required=False) or 0.0}


def _check_qy(row, where: str) -> dict:
    _check_keys(row, _QY_KEYS, where)
    v = _number(row, "value", where)
    if v > 1:
        raise _err(where, f"quantum yield must be ≤ 1, got {v}.")
    _number(row, "std", where, positive=False)
    for key in ("source", "where", "solvent"):
        _text(row, key, where)
    return dict(row)


def _parse(raw: dict, where: str) -> tuple[dict, dict]:
    _check_keys(raw, {"solvents", "dyes"}, where)
    solvents = {}
    for name, s in raw.get("solvents", {}).items():
        w = f"{where} [solvents.{name}]"
        _check_keys(s, _SOLVENT_KEYS, w)
        _number(s, "refractive_index", w)
        _number(s, "std", w, positive=False)
        _number(s, "wavelength_nm", w, required=False)
        _text(s, "source", w)
        _text(s, "where", w)
        solvents[name.lower()] = dict(s)
    dyes = {}
    for key, d in raw.get("dyes", {}).items():
        w = f"{where} [dyes.{key}]"
        _check_keys(d, _DYE_KEYS, w)
        aliases = d.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise _err(w, "aliases must be a list of texts.")
        entry = {"name": d.get("name", key), "solvent": d.get("solvent", ""), "aliases": aliases}
        for tab, check in (("sigma2", _check_sigma2), ("epsilon", _check_epsilon), ("quantum_yield", _check_qy)):
            rows = d.get(tab, [])
            if not isinstance(rows, list):
                raise _err(w, f"{tab} must be an array of tables ([[dyes.{key}.{tab}]]).")
            entry[tab] = [check(r, f"{w}.{tab}[{i}]") for i, r in enumerate(rows)]
        dyes[key.lower()] = entry
    return dyes, solvents


def _read(path: Path, where: str) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"standards file {where} not found; `standards = ...` names a TOML file "
                         "beside the manifest.") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _err(where, f"not valid UTF-8 TOML ({exc}).") from exc


def _merge(base: list, extra: list, same) -> list:
    out = [r for r in base if not any(same(r, e) for e in extra)]
    return out + list(extra)


@cache
def _bundled() -> Library:
    text = files(__package__).joinpath("reference_dyes.toml").read_text(encoding="utf-8")
    dyes, solvents = _parse(tomllib.loads(text), "multiphoton/standards/reference_dyes.toml")
    return Library(dyes, solvents, ("multiphoton/standards/reference_dyes.toml",))


def load_library(path: Path | str | None = None) -> Library:
    """The bundled library, extended by a lab's own file ``path`` (same format) if given.

    Raises
    ------
    InputError
        When the lab file is missing, not TOML, or a key or value is wrong (named).
    """
    if path is None:
        return _bundled()
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        stat = None
    return _with_lab(str(path), None if stat is None else (stat.st_mtime_ns, stat.st_size))


@cache
def _with_lab(path_text: str, _stamp) -> Library:
    """The library extended by the lab file (cached while the file is unchanged)."""
    lib = _bundled()
    path = Path(path_text)
    dyes, solvents = _parse(_read(path, str(path)), str(path))
    merged_dyes = {k: dict(v) for k, v in lib.dyes.items()}
    for key, d in dyes.items():
        for row in (*d["sigma2"], *d["epsilon"], *d["quantum_yield"]):
            row["library"] = str(path)
        old = merged_dyes.get(key)
        if old is None:
            merged_dyes[key] = d
            continue
        merged_dyes[key] = {
            "name": d["name"] if d["name"] != key else old["name"], "solvent": d["solvent"] or old["solvent"],
            "aliases": sorted(set(old["aliases"]) | set(d["aliases"])),
            "sigma2": _merge(old["sigma2"], d["sigma2"], lambda a, b: a["source"] == b["source"]),
            "epsilon": _merge(old["epsilon"], d["epsilon"], lambda a, b: abs(a["energy_eV"] - b["energy_eV"]) < 1e-6),
            "quantum_yield": _merge(old["quantum_yield"], d["quantum_yield"],
                                    lambda a, b: a["solvent"].lower() == b["solvent"].lower()),
        }
    return Library(merged_dyes, {**lib.solvents, **solvents}, (*lib.files, str(path)))


def list_references(path=None) -> list[str]:
    """Keys of the reference dyes in the library (e.g. ``"rhodamine-6g"``)."""
    return sorted(load_library(path).dyes)


def _dye(name: str, path=None) -> tuple[str, dict]:
    key = name.strip().lower()
    lib = load_library(path)
    for dye_key, entry in sorted(lib.dyes.items()):
        if key == dye_key or key in [a.lower() for a in entry.get("aliases", [])]:
            return dye_key, entry
    raise InputError(
        f"reference dye {name!r} is not in the standards library; use one of "
        f"{', '.join(sorted(lib.dyes))} (`multiphoton standards` lists them), add it to a lab file "
        "named by `standards = \"my_dyes.toml\"`, or give its values in the manifest."
    )


def get_reference(name: str, path=None) -> dict:
    """The library entry of a dye: key, name, solvent and its tabulated values."""
    dye_key, entry = _dye(name, path)
    return {"key": dye_key, **entry}


def sigma2_GM(name: str, energy_eV: float, path=None) -> ReferenceValue:
    """Two-photon cross section (GM) of reference dye ``name`` at photon energy ``energy_eV``.

    Linear interpolation between the two tabulated points of one source's spectrum that
    bracket ``energy_eV`` (the std interpolated the same way: the points' errors are
    taken as fully correlated, as a calibration error is); a single-point spectrum is
    used as it is within its stated ``tolerance_eV``. Outside every range: InputError.

    Examples
    --------
    >>> r = sigma2_GM("rhodamine-6g", 1.55)
    >>> r.value, r.std, r.details["interpolation"]
    (16.2, 2.4, 'single tabulated point within its stated tolerance (0.015 eV)')
    """
    dye_key, entry = _dye(name, path)
    ranges = []
    for spec in entry["sigma2"]:
        e = np.asarray(spec["energy_eV"])
        lo, hi = e[0] - spec["tolerance_eV"], e[-1] + spec["tolerance_eV"]
        ranges.append(f"{lo:.3f}–{hi:.3f} eV ({spec['source'].split(',')[0]} …)")
        if not lo - 1e-12 <= energy_eV <= hi + 1e-12:
            continue
        v, s = np.asarray(spec["value_GM"]), np.asarray(spec["std_GM"])
        if e.size == 1:
            k = [0]
            how = f"single tabulated point within its stated tolerance ({spec['tolerance_eV']} eV)"
            value, std = float(v[0]), float(s[0])
        else:
            j = int(np.clip(np.searchsorted(e, energy_eV), 1, e.size - 1))
            k = [j - 1, j]
            value, std = float(np.interp(energy_eV, e, v)), float(np.interp(energy_eV, e, s))
            how = "linear interpolation between the two bracketing tabulated points"
        details = {"dye": dye_key, "requested_eV": float(energy_eV), "interpolation": how,
                   "tabulated_points": [{"energy_eV": float(e[i]), "value_GM": float(v[i]), "std_GM": float(s[i])}
                                        for i in k],
                   "source": spec["source"], "where": spec["where"], "library": spec.get("library", "bundled")}
        return ReferenceValue(value, std, "GM", float(energy_eV), spec["source"], details)
    have = "; ".join(ranges) or "none"
    raise InputError(
        f"the standards library has no two-photon cross section of {dye_key} at {energy_eV:.3f} eV "
        f"(tabulated ranges: {have}); it does not extrapolate. Measure it and give "
        "reference_sigma2_GM = [value, std] in the manifest, or add a spectrum to a lab standards file.")


def sigma1_cm2(name: str, energy_eV: float, path=None) -> ReferenceValue:
    """One-photon cross section (cm²) of reference dye ``name`` at ``energy_eV``, from its ε.

    ε points are discrete: the point within its ``tolerance_eV`` of ``energy_eV`` is used.

    Examples
    --------
    >>> r = sigma1_cm2("rhodamine-6g", 2.34)
    >>> f"{r.value:.3e}"
    '4.435e-16'
    """
    dye_key, entry = _dye(name, path)
    rows = [r for r in entry["epsilon"] if abs(r["energy_eV"] - energy_eV) <= r["tolerance_eV"] + 1e-12]
    if not rows:
        have = ", ".join(f"{r['energy_eV']:.3f} ± {r['tolerance_eV']} eV" for r in entry["epsilon"]) or "none"
        raise InputError(
            f"the standards library has no molar extinction of {dye_key} at {energy_eV:.3f} eV "
            f"(tabulated: {have}); measure it and give reference_sigma1_cm2 = [value, std] in the "
            "manifest, or add it to a lab standards file (`standards = \"my_dyes.toml\"`).")
    row = min(rows, key=lambda r: abs(r["energy_eV"] - energy_eV))
    value = float(epsilon_to_sigma_cm2(row["value_per_M_cm"]))
    std = float(epsilon_to_sigma_cm2(row["std_per_M_cm"]))
    details = {"dye": dye_key, "requested_eV": float(energy_eV), "interpolation": "tabulated point (no interpolation)",
               "tabulated_points": [{"energy_eV": row["energy_eV"], "epsilon_per_M_cm": row["value_per_M_cm"],
                                     "std_per_M_cm": row["std_per_M_cm"]}],
               "solvent": row["solvent"], "source": row["source"], "where": row["where"],
               "library": row.get("library", "bundled")}
    return ReferenceValue(value, std, "cm2", float(row["energy_eV"]), row["source"], details)


def quantum_yield(name: str, solvent: str | None = None, path=None) -> ReferenceValue:
    """Fluorescence quantum yield of dye ``name`` in ``solvent`` (default: the one tabulated).

    Examples
    --------
    >>> quantum_yield("r6g", "ethanol").value
    0.95
    """
    dye_key, entry = _dye(name, path)
    rows = entry["quantum_yield"]
    if solvent is not None:
        rows = [r for r in rows if r["solvent"].lower() == solvent.strip().lower()]
    if len(rows) != 1:
        have = ", ".join(r["solvent"] for r in entry["quantum_yield"]) or "none"
        what = f"in {solvent}" if solvent else "without a solvent named (several are tabulated)"
        raise InputError(f"the standards library has no single quantum yield of {dye_key} {what} "
                         f"(tabulated solvents: {have}); give reference_qy = [value, std] "
                         "or name reference_solvent.")
    r = rows[0]
    details = {"dye": dye_key, "solvent": r["solvent"], "source": r["source"], "where": r["where"],
               "library": r.get("library", "bundled")}
    return ReferenceValue(float(r["value"]), float(r["std"]), "", None, r["source"], details)


def refractive_index(solvent: str, path=None) -> ReferenceValue:
    """Refractive index of ``solvent`` (a key of the library's ``[solvents]``).

    Examples
    --------
    >>> refractive_index("ethanol").value
    1.3611
    """
    lib = load_library(path)
    s = lib.solvents.get(solvent.strip().lower())
    if s is None:
        raise InputError(f"solvent {solvent!r} is not in the standards library (known: "
                         f"{', '.join(sorted(lib.solvents))}); give its refractive index as "
                         "sample_n / reference_n instead.")
    details = {"solvent": solvent, "wavelength_nm": s.get("wavelength_nm"), "source": s["source"],
               "where": s["where"]}
    return ReferenceValue(float(s["refractive_index"]), float(s["std"]), "", None, s["source"], details)


_JOURNAL = re.compile(r"([A-Z][A-Za-z.\s]*?\d+), [A-Z]?\d+ \((\d{4})\)")


def short_citation(source: str) -> str:
    """A short form of a ``source`` text: first author's surname, journal, volume and year.

    The first publication of ``source`` is shortened (a source naming two publications
    separated by ``;`` keeps the first); a citation without a journal volume is cut to its
    first author and year, and a text that does not start with an author list (a lab's own
    note) to its first comma-separated part.

    Examples
    --------
    >>> short_citation("P. Sengupta, J. Balaji, S. Maiti, J. Chem. Phys. 112, 9201 (2000), doi:10.1063/1.481540")
    'Sengupta et al., J. Chem. Phys. 112 (2000)'
    >>> short_citation("W. M. Haynes (ed.), CRC Handbook of Chemistry and Physics, 97th ed., CRC Press (2016)")
    'Haynes (2016)'
    """
    first = source.split(";")[0]
    parts = [s.strip() for s in first.split(",")]
    surname = re.sub(r"\s*\(.*?\)", "", parts[0]).split()[-1] if parts and parts[0] else "?"
    m = _JOURNAL.search(first)
    n_authors = sum(1 for s in parts if re.fullmatch(r"(?:[A-Z][a-z]?\.\s?-?)+\s?[A-Z][\w'-]+(?:\s\(ed\.\))?", s))
    if n_authors == 0:  # not an author list (a lab's own note): its first part as written
        return parts[0] if parts else source
    who = surname + (" et al." if n_authors > 2 else "")
    if n_authors == 2:
        who = f"{surname} & {re.sub(r'[(].*?[)]', '', parts[1]).split()[-1]}"
    if m:
        return f"{who}, {m.group(1).strip()} ({m.group(2)})"
    year = re.findall(r"\((\d{4})\)", first)
    return f"{who} ({year[-1]})" if year else who


def describe(path=None) -> list[dict]:
    """One row per dye (and per solvent): what ``multiphoton standards`` prints.

    Each row has ``dye``, ``quantity``, ``solvent``, ``range_eV``, ``source`` (in full) and
    ``cite`` (its :func:`short_citation`).
    """
    lib = load_library(path)
    rows = []
    for key, d in sorted(lib.dyes.items()):
        for spec in d["sigma2"]:
            e = spec["energy_eV"]
            rows.append({"dye": key, "quantity": "sigma2_GM", "solvent": d["solvent"],
                         "range_eV": f"{e[0] - spec['tolerance_eV']:.3f}–{e[-1] + spec['tolerance_eV']:.3f}",
                         "source": spec["source"]})
        for r in d["epsilon"]:
            rows.append({"dye": key, "quantity": "epsilon_per_M_cm", "solvent": r["solvent"],
                         "range_eV": f"{r['energy_eV'] - r['tolerance_eV']:.3f}–{r['energy_eV'] + r['tolerance_eV']:.3f}",
                         "source": r["source"]})
        for r in d["quantum_yield"]:
            rows.append({"dye": key, "quantity": "quantum_yield", "solvent": r["solvent"], "range_eV": "",
                         "source": r["source"]})
    for name, s in sorted(lib.solvents.items()):
        rows.append({"dye": "", "quantity": "refractive_index", "solvent": name, "range_eV": "",
                     "source": s["source"]})
    for r in rows:
        r["cite"] = short_citation(r["source"])
    return rows
