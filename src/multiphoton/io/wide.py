"""Wide tables: one axis column, then one column per condition (``layout = "wide"``).

A lab's spreadsheet export often holds a whole series side by side::

    Wavelength (nm),30 s,60 s,90 s
    450,54.7,16.8,13.4
    451,59.7,18.4,13.9

:func:`read_wide_table` reads it into the series container of a measurement kind: the
first column is the axis (``wavelength_nm`` / ``energy_eV`` for spectra, ``time_ns`` for
decays; named as in the data contract or like ``Wavelength (nm)``), every other column one
condition whose value (fluence, time, temperature, aliquot) is parsed from its header
(``30 s``, ``2 min``, ``0.5 mJ/cm2``) or given as ``header_values``. Spectra per nm become
spectra per eV with the Jacobian. Nothing is fitted.
"""
from __future__ import annotations

import csv
import re

import numpy as np

from ..data import DecaySeries, SpectralTimeSeries, SpectrumSeries
from ..errors import InputError
from ..units import spectrum_per_nm_to_per_eV
from ._files import existing_file

__all__ = ["read_wide_table", "describe_wide_table", "CONTAINERS"]

CONTAINERS = {"pl_fluence_series": "fluence_mJ_cm2", "ase_series": "fluence_mJ_cm2",
              "laser_series": "fluence_mJ_cm2", "time_series": "time_s", "trpl_series": "fluence_mJ_cm2"}
"""Containers a wide table can be read as, and the quantity its header values give."""

_AXES = {"wavelength_nm": "wavelength_nm", "wavelength (nm)": "wavelength_nm", "wavelength": "wavelength_nm",
         "energy_ev": "energy_eV", "energy (ev)": "energy_eV", "time_ns": "time_ns", "time (ns)": "time_ns"}
_TO_UNIT = {"time_s": {"": 1.0, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0},
            "fluence_mJ_cm2": {"": 1.0, "mj/cm2": 1.0, "mj/cm^2": 1.0, "uj/cm2": 1e-3, "µj/cm2": 1e-3,
                               "μj/cm2": 1e-3}}
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _header_value(text: str, quantity: str, path, col: int) -> float:
    m = _NUMBER.match(text)
    if not m:
        raise InputError(f"{path}, column {col + 1} header {text!r}: no number to read as {quantity}; "
                         "give the values with header_values = [...] (one per column after the axis).")
    unit = m.group(2).lower().replace(" ", "")
    factors = _TO_UNIT[quantity]
    if unit not in factors:
        raise InputError(f"{path}, column {col + 1} header {text!r}: unit {m.group(2)!r} is not one of "
                         f"{', '.join(u for u in factors if u)} for {quantity}; give header_values = [...].")
    return float(m.group(1)) * factors[unit]


def read_wide_table(path, container: str, *, layout: str = "wide", header_values=None):
    """A series from a wide CSV table: one axis column, one column per condition.

    Parameters
    ----------
    path : str or Path
        Comma-separated text; the first line is the header.
    container : str
        A key of :data:`CONTAINERS` (the measurement's kind).
    layout : {"wide"}
        The only layout this reader takes (the option that selects it).
    header_values : sequence of float or None
        The condition of each data column (fluence in mJ/cm², time in s), instead of
        parsing the headers.

    Returns
    -------
    SpectrumSeries, SpectralTimeSeries or DecaySeries
        Sorted by condition and axis; ``meta``: ``source``, ``layout``, ``axis``,
        ``headers`` (as in the file), ``header_values_given``.

    Raises
    ------
    InputError
        Unknown axis header, a header without a number (and no ``header_values``), a
        non-numeric cell (row and column named), repeated axis or condition values,
        ``header_values`` of the wrong length.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.csv"
    >>> _ = p.write_text("Wavelength (nm),30 s,1 min\\n500,1,2\\n510,3,4\\n")
    >>> s = read_wide_table(p, "time_series")
    >>> [float(v) for v in s.time_s], s.counts.shape
    ([30.0, 60.0], (2, 2))
    """
    path = existing_file(path)
    if layout != "wide":
        raise InputError(f"{path}: layout {layout!r}: this reader takes layout = \"wide\".")
    if container not in CONTAINERS:
        raise InputError(f"{path}: a wide table cannot be read as {container!r}; kinds: {', '.join(CONTAINERS)}.")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    if len(rows) < 3 or len(rows[0]) < 2:
        raise InputError(f"{path}: a wide table needs a header, ≥ 2 rows and ≥ 2 columns.")
    header = [h.strip() for h in rows[0]]
    axis = _AXES.get(header[0].lower())
    if axis is None or (container == "trpl_series") != (axis == "time_ns"):
        want = "time_ns / Time (ns)" if container == "trpl_series" else "wavelength_nm, Wavelength (nm) or energy_eV"
        raise InputError(f"{path}, column 1 header {header[0]!r}: not an axis for {container}; name it {want}.")
    quantity = CONTAINERS[container]
    ncol = len(header) - 1
    if header_values is not None:
        values = np.asarray(header_values, dtype=float)
        if values.shape != (ncol,):
            raise InputError(f"{path}: header_values has {values.size} values for {ncol} data columns.")
    else:
        values = np.array([_header_value(h, quantity, path, j + 1) for j, h in enumerate(header[1:])])
    data = np.empty((len(rows) - 1, ncol + 1))
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != ncol + 1:
            raise InputError(f"{path}, row {i}: {len(r)} cells, the header has {ncol + 1}.")
        for j, cell in enumerate(r):
            try:
                data[i - 2, j] = float(cell)
            except ValueError:
                raise InputError(f"{path}, row {i}, column {j + 1}: {cell!r} is not a number.") from None
    if not np.all(np.isfinite(data)):
        raise InputError(f"{path}: the table has NaN or inf cells; remove them.")
    if np.unique(values).size != values.size:
        raise InputError(f"{path}: two columns have the same {quantity}; each must differ.")
    x, y = data[:, 0], data[:, 1:].T  # (C, M)
    if np.unique(x).size != x.size:
        raise InputError(f"{path}: the {axis} column repeats a value; each point must appear once.")
    order = np.argsort(values)
    values, y = values[order], y[order]
    meta = {"source": str(path), "layout": "wide", "axis": axis, "headers": header,
            "header_values_given": header_values is not None}
    if axis == "time_ns":
        o = np.argsort(x)
        return DecaySeries(values, x[o], y[:, o], meta=meta)
    if axis == "wavelength_nm":
        if np.any(x <= 0):
            raise InputError(f"{path}: wavelengths must be > 0 nm.")
        e, y = spectrum_per_nm_to_per_eV(x, y)
    else:
        o = np.argsort(x)
        e, y = x[o], y[:, o]
    cls = SpectralTimeSeries if container == "time_series" else SpectrumSeries
    return cls(values, e, y, meta=meta)



def describe_wide_table(path) -> dict:
    """What a wide table holds, for ``multiphoton inspect``: shape, axes and the headers.

    Spectra are read as a ``time_series`` when their headers are times, else as a
    ``pl_fluence_series`` (headers as fluences, or their column numbers when not numbers);
    a ``time_ns`` axis as a ``trpl_series``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.csv"
    >>> _ = p.write_text("Wavelength (nm),30 s,1 min\\n500,1,2\\n510,3,4\\n")
    >>> describe_wide_table(p)["axes"]["time_s"]["max"]
    60.0
    """
    with open(existing_file(path), newline="", encoding="utf-8-sig") as fh:
        first = next(csv.reader(fh), [""])
    is_decay = _AXES.get(first[0].strip().lower()) == "time_ns"
    tries = [("trpl_series", None)] if is_decay else [("time_series", None), ("pl_fluence_series", None)]
    tries.append((tries[-1][0], list(range(1, len(first)))))
    err = None
    for container, given in tries:
        try:
            obj = read_wide_table(path, container, header_values=given)
            break
        except InputError as exc:
            err = exc
    else:
        raise err
    quantity = "column" if given is not None else CONTAINERS[container]
    values = getattr(obj, CONTAINERS[container])
    axis_name, axis = ("time_ns", obj.time_ns) if is_decay else ("energy_eV", obj.energy_eV)
    unit = {"time_s": "s", "fluence_mJ_cm2": "mJ/cm2", "column": ""}[quantity]

    def rng(v, u):
        return {"unit": u, "size": int(np.size(v)), "min": float(np.min(v)), "max": float(np.max(v))}

    return {"shape": list(obj.counts.shape), "axes": {quantity: rng(values, unit), axis_name: rng(axis, axis_name[-2:] if is_decay else "eV")},
            "meta": {**obj.meta, "read_as": container}}
