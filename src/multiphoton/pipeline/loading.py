"""Reading a measurement's files into containers (tidy CSV or vendor formats).

:func:`load_measurement` returns the containers of one measurement by file key; a
``files = [...]`` series is read file by file and stacked. Reads are cached per run
(:class:`Loader`), so a file named twice (a film's absorption as a measurement and as a
TA ``ground_state``) is read once.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Decay, DecaySeries, SpectralTimeSeries, SpectrumSeries
from ..errors import InputError
from ..io import tidy
from ..io.zscan_csv import read_zscan
from ..io.options import MeasurementOptions

__all__ = ["Loader"]

_TIDY_READERS: dict[str, Callable] = {
    "absorption": tidy.read_absorption,
    "pl_spectrum": tidy.read_spectrum,
    "pl_fluence_series": tidy.read_spectrum_series,
    "ase_series": tidy.read_spectrum_series,
    "laser_series": tidy.read_spectrum_series,
    "trpl_series": tidy.read_decay_series,
    "irf": tidy.read_decay,
    "ta_map": tidy.read_ta_map,
    "time_series": tidy.read_time_series,
    "knife_edge": tidy.read_knife_edge,
    "zscan": read_zscan,
}


def _read(path: Path, container: str, fmt: str | None, reader_options: dict, where: str):
    """Read one file as ``container`` (tidy CSV or a vendor format)."""
    if reader_options.get("layout") == "wide":  # one axis column, one column per condition
        from ..io import wide

        other = sorted(set(reader_options) - {"layout", "header_values"})
        if other:
            raise InputError(f"{where}: {path.name}: reader option(s) {', '.join(other)} do not apply to "
                             "layout = \"wide\" (it takes header_values).")
        return wide.read_wide_table(path, container, **reader_options)
    if fmt is None:
        fmt = "csv" if path.suffix.lower() == ".csv" else "vendor"
    if fmt in ("csv", "tidy"):
        return _TIDY_READERS[container](path)
    from ..io import vendor  # vendor formats: PTU, SDT, SIF, SPE, TA ASCII, text exports

    readers = {"irf": vendor.read_decay, "trpl_series": vendor.read_decay_series,
               "pl_spectrum": vendor.read_spectrum, "ta_map": vendor.read_ta_map}
    if container not in readers:
        raise InputError(f"{where}: {path.name}: a {container} cannot be read from a {fmt} file; "
                         "give it as the data contract's CSV, or as `files = [...]` of single spectra.")
    return readers[container](path, fmt=None if fmt == "vendor" else fmt, **reader_options)


class Loader:
    """Reads measurement files, once each per run."""

    def __init__(self):
        self._cache: dict[tuple, Any] = {}

    def _cached(self, path: Path, container: str, fmt, reader_options: dict, where: str):
        key = (path, container, fmt, tuple(sorted((k, repr(v)) for k, v in reader_options.items())))
        if key not in self._cache:
            self._cache[key] = _read(path, container, fmt, reader_options, where)
        return self._cache[key]

    def load(self, m: MeasurementOptions) -> dict[str, Any]:
        """The containers of measurement ``m`` by file key (absent keys are left out)."""
        data: dict[str, Any] = {}
        for key in m.FILES:
            where = f"{m.where}, key {key!r}"
            try:
                if key == "file" and m.series:
                    data[key] = self._series(m)
                elif key in m.files:
                    data[key] = self._cached(m.files[key], m.container(key), m.formats.get(key),
                                             dict(m.reader_options.get(key, {})), where)
            except InputError as exc:
                if m.where in str(exc):
                    raise
                raise type(exc)(f"{where}: {exc}") from exc
        for key, path in getattr(m, "extra_files", {}).items():  # e.g. quantum_yield dilutions
            data[key] = self._cached(path, "pl_spectrum", None, {}, f"{m.where}, {key}")
        return data

    def _series(self, m: MeasurementOptions):
        """A ``files = [...]`` series stacked into one container (sorted by fluence or time)."""
        single = "irf" if m.kind == "trpl_series" else "pl_spectrum"
        items = []
        for k, entry in enumerate(m.series):
            obj = self._cached(entry.path, single, entry.format or m.formats.get("file"), dict(entry.reader_options),
                               f"{m.where}, files[{k}]")
            items.append((entry.value, obj, entry.path))
        items.sort(key=lambda t: t[0])
        values = np.array([t[0] for t in items])
        first = items[0][1]
        axis = first.time_ns if isinstance(first, Decay) else first.energy_eV
        for _, obj, path in items[1:]:
            other = obj.time_ns if isinstance(obj, Decay) else obj.energy_eV
            if other.shape != axis.shape or not np.allclose(other, axis, rtol=1e-9, atol=0):
                raise InputError(f"{path}: its axis differs from {items[0][2]}'s; all files of one "
                                 "series must share the same time or energy grid.")
        stack = np.stack([obj.counts for _, obj, _ in items])
        meta = {"sources": [str(p) for _, _, p in items], "files_meta": [dict(o.meta) for _, o, _ in items]}
        if m.kind == "trpl_series":
            return DecaySeries(values, axis, stack, meta=meta)
        if m.kind == "time_series":
            return SpectralTimeSeries(values, axis, stack, meta=meta)
        return SpectrumSeries(values, axis, stack, meta=meta)
