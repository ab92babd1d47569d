"""Reader of the data contract's tidy CSV files (one header row, one observation per row).

Each ``read_*`` function returns a container of :mod:`multiphoton.data` with sorted axes.
Spectra given per wavelength are converted to per energy with the Jacobian; absorbance
and ΔA (not spectral densities) only change axis. Rows may come in any order.

The CSV parsing is hand-written on the standard ``csv`` module rather than
``numpy.genfromtxt`` because the contract requires every bad cell to be reported with
its file, row and column, which genfromtxt cannot do.
"""
from __future__ import annotations

import csv
import logging
import math
from pathlib import Path

import numpy as np

from ..data import Absorption, Decay, DecaySeries, KnifeEdge, SpectralTimeSeries, Spectrum, SpectrumSeries, TAMap
from ..errors import InputError
from ..units import spectrum_per_nm_to_per_eV, wavelength_nm_to_energy_eV

__all__ = [
    "read_columns",
    "read_knife_edge",
    "EXCITATION_COLUMNS",
    "read_spectrum",
    "read_absorption",
    "read_spectrum_series",
    "read_decay",
    "read_decay_series",
    "read_ta_map",
    "read_time_series",
]

log = logging.getLogger(__name__)

_MAX_ABS = 1e100
"""Largest magnitude accepted in a cell: beyond it squares and sums overflow float64."""


def _not_all_zero(path, values, column: str) -> None:
    """Refuse a value column that is zero everywhere (an empty export, a detector off)."""
    if not np.any(values):
        raise InputError(f"{path}, column {column}: every value is zero; the file holds no signal "
                         "(an empty export, or the wrong column?); export the measured data.")


def read_columns(path, required, *, alternatives=()):
    """Read a tidy CSV into float columns, checking every cell.

    Parameters
    ----------
    path : path-like
        The CSV file (UTF-8, comma-separated, one header row).
    required : sequence of str
        Columns that must be present.
    alternatives : sequence of tuple of str
        Groups of which exactly one column must be present (e.g. ("energy_eV", "wavelength_nm")).

    Returns
    -------
    dict of str to ndarray
        Only the required and the found alternative columns, as float arrays, plus
        ``"_row"`` (the 1-based line number of each row in the file).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found; check the path in the manifest (relative to the manifest).")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not a UTF-8 text CSV (byte {exc.start} is {exc.object[exc.start:exc.start + 1]!r}: "
            "Latin-1/Windows-1252 text, or a binary file?); save the CSV as UTF-8 (e.g. "
            f"`iconv -f latin1 -t utf-8 {path.name}`), or export the data as CSV.") from None
    except csv.Error as exc:  # a field over csv.field_size_limit() (128 KiB), a NUL byte, …
        raise InputError(f"{path}, line {reader.line_num + 1}: not a readable CSV ({exc}); a CSV cell "
                         "holds one number: check the delimiter and the quotes of that line.") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise InputError(f"{path}: the file is empty; it needs a header row and data rows.")
    header = [h.strip() for h in rows[0]]
    wanted = list(required)
    for group in alternatives:
        found = [c for c in group if c in header]
        if len(found) != 1:
            what = "none" if not found else "both " + " and ".join(found)
            raise InputError(
                f"{path}: needs exactly one of the columns {' or '.join(group)}, found {what}; "
                f"the header is {', '.join(header)}."
            )
        wanted.append(found[0])
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; the header is {', '.join(header)}. "
            f"Rename the columns to the data contract's names ({', '.join(wanted)})."
        )
    if len(rows) < 2:
        raise InputError(f"{path}: has a header but no data rows.")
    idx = {c: header.index(c) for c in wanted}
    out = {c: np.empty(len(rows) - 1) for c in wanted}
    for i, row in enumerate(rows[1:]):
        line = i + 2
        for c, j in idx.items():
            cell = row[j].strip() if j < len(row) else ""
            try:
                value = float(cell)
            except ValueError:
                raise InputError(
                    f"{path}, row {line}, column {c}: {cell!r} is not a number; fix or delete that row."
                ) from None
            if not math.isfinite(value):
                raise InputError(
                    f"{path}, row {line}, column {c}: {cell} is not finite (NaN or infinity); "
                    "replace it with a measured value or delete the row."
                )
            if abs(value) > _MAX_ABS:
                raise InputError(
                    f"{path}, row {line}, column {c}: {cell} is implausibly large (|value| > {_MAX_ABS:g}), "
                    "an overflow or a unit error; rescale the column (counts in counts, OD in OD).")
            out[c][i] = value
    out["_row"] = np.arange(2, len(rows) + 1)
    return out


def _energy_axis(path, cols, *, density: bool):
    """Return (energy_eV per row, jacobian per row) from whichever axis column is present."""
    if "energy_eV" in cols:
        e = cols["energy_eV"]
        if np.any(e <= 0):
            row = int(cols["_row"][np.argmax(e <= 0)])
            raise InputError(f"{path}, row {row}, column energy_eV: energies must be > 0 eV.")
        return e, np.ones_like(e), "energy_eV"
    wl = cols["wavelength_nm"]
    if np.any(wl <= 0):
        row = int(cols["_row"][np.argmax(wl <= 0)])
        raise InputError(f"{path}, row {row}, column wavelength_nm: wavelengths must be > 0 nm.")
    e = wavelength_nm_to_energy_eV(wl)
    if density:
        # per-nm density → per-eV density: multiply by λ²/hc (units.spectrum_per_nm_to_per_eV).
        _, jac = spectrum_per_nm_to_per_eV(wl, np.ones_like(wl))
        jac = jac[np.argsort(np.argsort(e))]  # back to row order
        return e, jac, "wavelength_nm"
    return e, np.ones_like(e), "wavelength_nm"


def _single(path, cols, value_col, *, density):
    e, jac, axis = _energy_axis(path, cols, density=density)
    order = np.argsort(e, kind="stable")
    e_sorted = e[order]
    if np.any(np.diff(e_sorted) == 0):
        k = int(np.argmax(np.diff(e_sorted) == 0))
        rows = sorted(int(cols["_row"][order[k]]), int(cols["_row"][order[k + 1]]))
        raise InputError(
            f"{path}, rows {rows[0]} and {rows[1]}: the same {axis} appears twice; "
            "each point of a spectrum must appear once."
        )
    return e_sorted, (cols[value_col] * jac)[order], axis


def read_spectrum(path) -> Spectrum:
    """A ``pl_spectrum`` file: ``energy_eV`` or ``wavelength_nm``, ``counts`` → Spectrum (per eV)."""
    cols = read_columns(path, ["counts"], alternatives=[("energy_eV", "wavelength_nm")])
    _not_all_zero(path, cols["counts"], "counts")
    e, c, axis = _single(path, cols, "counts", density=True)
    return Spectrum(e, c, meta={"source": str(path), "axis": axis})


def read_absorption(path) -> Absorption:
    """An ``absorption`` file: ``energy_eV`` or ``wavelength_nm``, ``absorbance`` (OD, no Jacobian)."""
    cols = read_columns(path, ["absorbance"], alternatives=[("energy_eV", "wavelength_nm")])
    _not_all_zero(path, cols["absorbance"], "absorbance")
    e, a, axis = _single(path, cols, "absorbance", density=False)
    return Absorption(e, a, meta={"source": str(path), "axis": axis})


def read_decay(path) -> Decay:
    """A single trace (e.g. an IRF): ``time_ns``, ``counts``."""
    cols = read_columns(path, ["time_ns", "counts"])
    _not_all_zero(path, cols["counts"], "counts")
    order = np.argsort(cols["time_ns"], kind="stable")
    t = cols["time_ns"][order]
    if np.any(np.diff(t) == 0):
        raise InputError(f"{path}: a time_ns value appears twice; each time bin must appear once.")
    return Decay(t, cols["counts"][order], meta={"source": str(path)})


def _grid(path, group_vals, axis_vals, values, rows, *, group_name, axis_name):
    """Arrange long-format rows into a (G, A) grid; every group must share one axis grid."""
    groups = np.unique(group_vals)
    axis = np.unique(axis_vals)
    grid = np.full((groups.size, axis.size), np.nan)
    gi = np.searchsorted(groups, group_vals)
    ai = np.searchsorted(axis, axis_vals)
    seen_row = np.zeros((groups.size, axis.size), dtype=int)
    n_dupes = 0
    for g, a, v, r in zip(gi, ai, values, rows):
        if seen_row[g, a]:
            if grid[g, a] != v:
                raise InputError(
                    f"{path}: {group_name} = {groups[g]:g} appears twice with different data "
                    f"(rows {seen_row[g, a]} and {r} at {axis_name} = {axis[a]:g}); a duplicated "
                    f"{group_name} must be merged or removed."
                )
            n_dupes += 1
            continue
        grid[g, a] = v
        seen_row[g, a] = r
    if n_dupes:
        log.info("%s: %d identical duplicated rows ignored", path, n_dupes)
    if np.isnan(grid).any():
        g, a = np.argwhere(np.isnan(grid))[0]
        raise InputError(
            f"{path}: {group_name} = {groups[g]:g} has no value at {axis_name} = {axis[a]:g}; "
            f"every {group_name} must be measured on the same {axis_name} grid."
        )
    return groups, axis, grid


def _series(path, group, value_col, *, density, positive_group=True):
    cols = read_columns(path, [group, value_col], alternatives=[("energy_eV", "wavelength_nm")])
    _not_all_zero(path, cols[value_col], value_col)
    if positive_group and np.any(cols[group] <= 0):
        row = int(cols["_row"][np.argmax(cols[group] <= 0)])
        raise InputError(
            f"{path}, row {row}, column {group}: {cols[group][np.argmax(cols[group] <= 0)]:g} must be > 0; "
            "remove zero-fluence (dark) rows or subtract them beforehand."
        )
    e, jac, axis = _energy_axis(path, cols, density=density)
    groups, energy, grid = _grid(path, cols[group], e, cols[value_col] * jac, cols["_row"],
                                 group_name=group, axis_name=axis)
    return groups, energy, grid, axis


EXCITATION_COLUMNS = ("fluence_mJ_cm2", "pulse_energy_uJ", "power_mW")
"""Columns a series may give its excitation in (data contract section 5); the pipeline
turns the other two into fluence with the measurement's beam."""


def _excitation_column(path) -> str:
    """The one excitation column of a series file's header (fluence, pulse energy or power)."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next((r for r in csv.reader(fh) if any(c.strip() for c in r)), [])
    except (OSError, UnicodeDecodeError):
        return "fluence_mJ_cm2"  # read_columns reports the problem
    found = [c for c in EXCITATION_COLUMNS if c in [h.strip() for h in header]]
    if len(found) > 1:
        raise InputError(f"{path}: give the excitation in one column, found {' and '.join(found)}.")
    return found[0] if found else "fluence_mJ_cm2"


def _excitation_meta(column: str, values) -> tuple[np.ndarray, dict]:
    """Fluence array and meta of a series whose excitation column is ``column``: a power or
    energy column leaves the fluence NaN (never relabelled) and its values in ``meta``."""
    if column == "fluence_mJ_cm2":
        return values, {}
    return np.full(np.shape(values), np.nan), {"excitation_column": column, "excitation_values": np.asarray(values)}


def read_spectrum_series(path) -> SpectrumSeries:
    """``pl_fluence_series``/``ase_series``/``laser_series``: fluence (or ``pulse_energy_uJ`` or
    ``power_mW``), axis, counts → SpectrumSeries."""
    column = _excitation_column(path)
    f, e, c, axis = _series(path, column, "counts", density=True)
    f, extra = _excitation_meta(column, f)
    return SpectrumSeries(f, e, c, meta={"source": str(path), "axis": axis, **extra})


def read_decay_series(path) -> DecaySeries:
    """``trpl_series``: ``fluence_mJ_cm2``, ``time_ns``, ``counts`` → DecaySeries (F, T)."""
    column = _excitation_column(path)
    cols = read_columns(path, [column, "time_ns", "counts"])
    _not_all_zero(path, cols["counts"], "counts")
    if np.any(cols[column] <= 0):
        row = int(cols["_row"][np.argmax(cols[column] <= 0)])
        raise InputError(f"{path}, row {row}, column {column}: the excitation must be > 0.")
    f, t, c = _grid(path, cols[column], cols["time_ns"], cols["counts"], cols["_row"],
                    group_name=column, axis_name="time_ns")
    f, extra = _excitation_meta(column, f)
    return DecaySeries(f, t, c, meta={"source": str(path), **extra})


def read_knife_edge(path) -> KnifeEdge:
    """``knife_edge``: ``position_um``, ``power`` → KnifeEdge (sorted by position)."""
    cols = read_columns(path, ["position_um", "power"])
    order = np.argsort(cols["position_um"], kind="stable")
    x = cols["position_um"][order]
    if np.any(np.diff(x) == 0):
        row = int(cols["_row"][order][1:][np.diff(x) == 0][0])
        raise InputError(f"{path}, row {row}, column position_um: position repeated; one power per position.")
    return KnifeEdge(x, cols["power"][order], meta={"source": str(path)})


def read_ta_map(path) -> TAMap:
    """``ta_map``: ``delay_ps``, axis, ``dA`` (OD; no Jacobian) → TAMap (D, M)."""
    cols = read_columns(path, ["delay_ps", "dA"], alternatives=[("energy_eV", "wavelength_nm")])
    _not_all_zero(path, cols["dA"], "dA")
    e, _, axis = _energy_axis(path, cols, density=False)
    d, energy, grid = _grid(path, cols["delay_ps"], e, cols["dA"], cols["_row"],
                            group_name="delay_ps", axis_name=axis)
    return TAMap(d, energy, grid, meta={"source": str(path), "axis": axis})


def read_time_series(path) -> SpectralTimeSeries:
    """``time_series``: ``time_s``, axis, ``counts`` → SpectralTimeSeries (S, M)."""
    t, e, c, axis = _series(path, "time_s", "counts", density=True, positive_group=False)
    return SpectralTimeSeries(t, e, c, meta={"source": str(path), "axis": axis})
