"""TRPL text exports: PicoQuant FluoTime/EasyTau ``.dat`` and multi-column CSV.

``fluotime-dat``
    A Latin-1 header of ``key : value`` lines (``Sample``, ``Exc_Wavelength``,
    ``Exc_Attenuation``, ``Meas_BinWidth``, ``Sync_Frequency`` …), then a line
    ``Data:``, a column title line ``Time [ns]<TAB>Intensity [Cnts.]`` and the
    histogram → one :class:`~multiphoton.data.Decay`. The excitation attenuation is
    taken from the header (``Exc_Attenuation``, e.g. ``open (5)`` or ``10% (4)``;
    else an ``OD<x>`` in the sample name), never from the file name.
``trpl-csv``
    Column 0 the time (ns), one column per excitation power; after the title row,
    optional metadata rows (in the layout of Großmann et al.: laser power, ND
    filter optical density x (signal attenuated by 10^x), mean background), then
    the bins → :class:`~multiphoton.data.DecaySeries`. The number of metadata rows
    is found as the leading rows before the time column starts increasing.

Counts are returned as recorded (no background subtraction, no attenuation
correction: the numbers needed for both are in ``meta``). A reader never fits.
"""
from __future__ import annotations

import csv
import io
import logging
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Decay, DecaySeries
from ..errors import InputError
from ._files import check_counts, existing_file, make_decay

log = logging.getLogger(__name__)

__all__ = [
    "parse_attenuation",
    "read_fluotime_dat",
    "read_trpl_csv_raw",
    "read_trpl_csv",
    "GROSSMANN_META_ROWS",
]

GROSSMANN_META_ROWS = ("laser_power", "nd_filter_od", "background_counts")
_TIME_UNITS = {"ps": 1e-3, "ns": 1.0, "us": 1e3}
_NUM = r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"


def parse_attenuation(text) -> tuple[float | None, float | None]:
    """Transmission (0–1) and optical density of an attenuator description.

    Understands ``open`` (no attenuation), ``N %`` (transmission N/100) and
    ``OD x`` / ``ODx`` (transmission 10^-x); a trailing ``(k)`` filter-wheel index
    is ignored. Returns ``(None, None)`` for anything else.

    Examples
    --------
    >>> parse_attenuation("open (5)")
    (1.0, 0.0)
    >>> parse_attenuation("10% (4)")
    (0.1, 1.0)
    >>> parse_attenuation("Sample_OD2.0")
    (0.01, 2.0)
    """
    if text is None:
        return None, None
    s = str(text).strip()
    if re.match(r"^open\b", s, flags=re.IGNORECASE):
        return 1.0, 0.0
    m = re.match(rf"^({_NUM})\s*%", s)
    if m:
        t = float(m.group(1)) / 100.0
        if t > 0:
            return t, round(-math.log10(t), 12) + 0.0
    m = re.search(rf"OD\s*({_NUM})", s, flags=re.IGNORECASE)
    if m:
        od = float(m.group(1))
        return 10.0 ** (-od), od
    return None, None


def _value_unit(text):
    m = re.match(rf"^\s*({_NUM})\s*(\S*)", text or "")
    if not m:
        return None, None
    return float(m.group(1)), m.group(2)


def _check_fluotime_claims(path, header: dict, data: np.ndarray) -> None:
    """Compare what the header claims with what the data hold (a truncated or damaged file).

    ``Meas_PeakCounts`` is the maximum of the histogram: a file whose counts never reach
    it (or exceed it) lost or changed bins, and is refused. The data of a lifetime
    export span one laser period (1/``Sync_Frequency`` × ``Sync_SyncDiv``); a file
    spanning less than half of it is reported in ``file_warnings`` and the log (an
    export cut short, or a TCSPC range set shorter than the period).
    """
    peak, _ = _value_unit(header.get("Meas_PeakCounts"))
    top = float(data[:, 1].max())
    if peak is not None and math.isfinite(peak) and peak > 0 and not math.isclose(top, peak, rel_tol=1e-6):
        raise InputError(f"{path}: the header says Meas_PeakCounts = {peak:g} but the largest count in the "
                         f"data is {top:g}; bins are missing or damaged (a truncated file?); export it again.")


def _fluotime_coverage(path, header: dict, time_ns: np.ndarray, warnings_: list[str]) -> None:
    """Warn when the decay spans less than half the laser period the header gives."""
    sync, _ = _value_unit(header.get("Sync_Frequency"))
    div, _ = _value_unit(header.get("Sync_SyncDiv"))
    if not sync or not math.isfinite(sync) or sync <= 0 or time_ns.size < 2:
        return
    period_ns = 1e9 / sync * (div if div and math.isfinite(div) and div >= 1 else 1.0)
    span_ns = float(time_ns[-1] - time_ns[0] + (time_ns[1] - time_ns[0]))
    if span_ns < 0.5 * period_ns:
        msg = (f"the decay spans {span_ns:.6g} ns ({time_ns.size} bins) but one laser period is "
               f"{period_ns:.6g} ns (Sync_Frequency {sync:g} Hz): the export may be truncated")
        warnings_.append(msg)
        log.warning("%s: %s", path, msg)


def read_fluotime_dat(path, *, gate_ns=None) -> Decay:
    """One decay from a PicoQuant FluoTime / EasyTau ``.dat`` text export.

    Parameters
    ----------
    path : str or Path
        The ``.dat`` file (Latin-1 text), opened read-only.
    gate_ns : (float, float), optional
        Keep bins with ``start <= time_ns < stop``.

    Returns
    -------
    Decay
        ``time_ns`` (T,) the bin grid t0 + i × ``Meas_BinWidth`` when the file's
        (float32-rounded) times agree with it, else as written; ``counts`` (T,); ``meta`` holds every
        header field under ``header`` and parsed values: ``sample``,
        ``excitation_wavelength_nm``, ``detection_wavelength_nm``, ``bin_width_ns``,
        ``sync_frequency_Hz``, ``measurement_time_s``, ``exc_attenuation`` (as written),
        ``exc_transmission``, ``attenuation_od``, ``photon_counter``.

    Examples
    --------
    >>> read_fluotime_dat("missing.dat")
    Traceback (most recent call last):
    ...
    multiphoton.errors.InputError: missing.dat: file not found; ...
    """
    path = existing_file(path)
    raw = path.read_bytes()
    lines = raw.decode("latin-1").splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Data:")
    except StopIteration:
        raise InputError(f"{path}: no 'Data:' line; not a FluoTime/EasyTau text export "
                         f"(or the file is truncated).") from None
    header: dict[str, str] = {}
    for line in lines[:start]:
        key, sep, value = line.partition(" : ")
        key = key.strip()
        if sep and key and key not in header:
            header[key] = value.strip()
    if start + 1 >= len(lines) or "Time" not in lines[start + 1]:
        raise InputError(f"{path}: expected a 'Time [ns]<TAB>Intensity' title after 'Data:'; "
                         f"the file is truncated or not a FluoTime export.")
    title = lines[start + 1]
    unit_match = re.search(r"Time\s*\[(\w+)\]", title)
    unit = unit_match.group(1) if unit_match else "ns"
    if unit not in _TIME_UNITS:
        raise InputError(f"{path}: time column unit {unit!r} is not one of {', '.join(_TIME_UNITS)}.")
    rows = []
    for j, line in enumerate(lines[start + 2:], start=start + 3):
        if not line.strip():
            continue
        parts = line.replace(",", ".").split()
        try:
            t, c = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            raise InputError(f"{path}, line {j}: expected 'time<TAB>counts', got {line.strip()[:60]!r}; "
                             f"the file is truncated or corrupt.") from None
        rows.append((t, c))
    if len(rows) < 2:
        raise InputError(f"{path}: fewer than two data rows after 'Data:'; the file is truncated.")
    if not raw.endswith((b"\n", b"\r")):
        raise InputError(f"{path}: the last line ({lines[-1].strip()[:40]!r}) has no line end: the file was "
                         f"cut while being written or copied ({len(rows)} bins kept); export it again.")
    data = np.array(rows)
    if np.any(~np.isfinite(data)) or np.any(np.diff(data[:, 0]) <= 0):
        raise InputError(f"{path}: the time column must be finite and strictly increasing.")
    _check_fluotime_claims(path, header, data)
    time_ns = data[:, 0] * _TIME_UNITS[unit]
    bin_width, bw_unit = _value_unit(header.get("Meas_BinWidth"))
    bin_width_ns = bin_width * _TIME_UNITS[bw_unit] if bin_width is not None and bw_unit in _TIME_UNITS else None
    time_axis = "as written in the file"
    if bin_width_ns:
        # EasyTau writes the times as float32 (e.g. 1.99999994 for 2 ns): when they agree with
        # t0 + i × Meas_BinWidth to float32 precision, the exact bin grid is used.
        grid = time_ns[0] + bin_width_ns * np.arange(time_ns.size)
        tol = 4 * np.finfo(np.float32).eps * max(1.0, float(np.abs(time_ns).max()))
        if np.all(np.abs(grid - time_ns) <= tol):
            time_ns = grid
            time_axis = "t0 + i × Meas_BinWidth (the file's float32 times agree to within float32 precision)"

    transmission, od = parse_attenuation(header.get("Exc_Attenuation"))
    sample = header.get("Sample")
    sample_tr, sample_od = parse_attenuation(sample) if sample and re.search(r"OD\s*\d", sample) else (None, None)
    warnings_: list[str] = []
    if transmission is None and sample_tr is not None:
        transmission, od = sample_tr, sample_od
        warnings_.append("attenuation taken from the OD in the sample name (no parsable Exc_Attenuation)")
    elif transmission is not None and sample_od is not None and not math.isclose(od, sample_od, abs_tol=1e-6):
        warnings_.append(f"Exc_Attenuation (OD {od}) disagrees with the sample name (OD {sample_od}); "
                         f"Exc_Attenuation is used")
    _fluotime_coverage(path, header, time_ns, warnings_)
    exc_wl, _ = _value_unit(header.get("Exc_Wavelength"))
    det_wl, _ = _value_unit(header.get("Det_Wavelength"))
    sync, _ = _value_unit(header.get("Sync_Frequency"))
    meas_time, _ = _value_unit(header.get("Meas_Time"))
    meta: dict[str, Any] = {
        "format": "fluotime-dat",
        "file": path.name,
        "sample": sample,
        "excitation_wavelength_nm": exc_wl,
        "detection_wavelength_nm": det_wl,
        "bin_width_ns": bin_width_ns,
        "time_axis": time_axis,
        "sync_frequency_Hz": sync,
        "measurement_time_s": meas_time,
        "photon_counter": header.get("PhotonCounter"),
        "exc_attenuation": header.get("Exc_Attenuation"),
        "exc_transmission": transmission,
        "attenuation_od": od,
        "time_unit_in_file": unit,
        "file_warnings": warnings_,
        "header": header,
        "total_counts": float(data[:, 1].sum()),
    }
    return make_decay(time_ns, data[:, 1], meta, gate_ns=gate_ns, path=path)


def read_trpl_csv_raw(path, *, meta_rows=None, time_unit="ns"):
    """Time axis, transients and per-column metadata rows of a multi-column TRPL CSV.

    Parameters
    ----------
    path : str or Path
        CSV with a title row; column 0 time, columns 1… one transient each.
    meta_rows : sequence of str, optional
        Names of the metadata rows between the title row and the first bin. By
        default their number is found (leading rows before the time column starts
        to increase) and three rows are named as in Großmann et al.
        (:data:`GROSSMANN_META_ROWS`), others ``meta_row_1``, …; ``()`` for none.
    time_unit : {"ps", "ns", "us"}
        Unit of the time column.

    Returns
    -------
    time_ns : ndarray of shape (T,)
    counts : ndarray of shape (F, T)
    meta : dict
        ``columns`` (titles), one list per metadata row (e.g. ``laser_power``,
        ``nd_filter_od``, ``background_counts``), ``attenuation`` = 10^nd_filter_od
        when present, ``bin_width_ns``.
    """
    path = existing_file(path)
    if time_unit not in _TIME_UNITS:
        raise InputError(f"{path}: time_unit={time_unit!r} is not one of {', '.join(_TIME_UNITS)}.")
    text = path.read_bytes().decode("latin-1")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        rows = [r for r in reader if any(c.strip() for c in r)]
    except csv.Error as exc:  # a field over csv.field_size_limit() (128 KiB), a NUL byte, …
        raise InputError(f"{path}, line {reader.line_num}: not a readable CSV ({exc}); a cell holds one "
                         "number: check the delimiter and the quotes of that line.") from None
    if len(rows) < 3:
        raise InputError(f"{path}: fewer than three non-empty rows; expected a title row and data rows.")
    titles = [c.strip() for c in rows[0]]
    width = len(titles)
    if width < 2:
        raise InputError(f"{path}: one column only; expected time and at least one transient column.")
    ragged = [i for i, r in enumerate(rows[1:], start=2) if len(r) != width]
    if ragged:
        raise InputError(f"{path}, row {ragged[0]}: {len(rows[ragged[0] - 1])} values but the title row has "
                         f"{width}; the file is truncated or ragged.")
    try:
        table = np.array([[float(c) for c in r] for r in rows[1:]], dtype=float)
    except ValueError as exc:
        bad = next(i for i, r in enumerate(rows[1:], start=2) if not _all_float(r))
        raise InputError(f"{path}, row {bad}: non-numeric value ({exc}); every row after the title "
                         f"must be numbers.") from None
    t = table[:, 0]
    if meta_rows is None:
        k = 0
        while k < t.size - 1 and not np.all(np.diff(t[k:]) > 0):
            k += 1
        names = GROSSMANN_META_ROWS if k == 3 else tuple(f"meta_row_{i + 1}" for i in range(k))
    else:
        names = tuple(meta_rows)
        k = len(names)
    body = table[k:]
    if body.shape[0] < 2 or np.any(np.diff(body[:, 0]) <= 0):
        raise InputError(f"{path}: after {k} metadata row(s) the time column is not strictly increasing; "
                         f"give meta_rows=[…] with the names of the rows before the first bin.")
    if np.any(~np.isfinite(body)):
        raise InputError(f"{path}: non-finite values (NaN/inf) in the transients.")
    time_ns = body[:, 0] * _TIME_UNITS[time_unit]
    counts = body[:, 1:].T.copy()
    check_counts(path, counts, what="counts of the transients")
    meta: dict[str, Any] = {
        "format": "trpl-csv",
        "file": path.name,
        "columns": titles[1:],
        "meta_rows": list(names),
        "transients": int(counts.shape[0]),
        "bins": int(counts.shape[1]),
        "bin_width_ns": float(np.median(np.diff(time_ns))),
        "time_unit_in_file": time_unit,
    }
    for i, name in enumerate(names):
        meta[name] = table[i, 1:].tolist()
    if "nd_filter_od" in meta:
        od = np.asarray(meta["nd_filter_od"], dtype=float)
        if not np.all(np.isfinite(od) & (np.abs(od) <= 20)):
            raise InputError(f"{path}: the ND filter row gives OD {meta['nd_filter_od']}; an optical density "
                             "is finite and within ±20; check the metadata rows (meta_rows=[…]).")
        meta["attenuation"] = [10.0 ** x for x in meta["nd_filter_od"]]
    return time_ns, counts, meta


def _all_float(row) -> bool:
    try:
        [float(c) for c in row]
    except ValueError:
        return False
    return True


def read_trpl_csv(path, *, fluence_mJ_cm2=None, fluence_per_power_mJ_cm2=None, meta_rows=None,
                  time_unit="ns") -> DecaySeries:
    """Transients at several excitation powers from a multi-column CSV → DecaySeries.

    Parameters
    ----------
    path : str or Path
        See :func:`read_trpl_csv_raw`.
    fluence_mJ_cm2 : sequence of float, optional
        Pump fluence of each transient column, mJ/cm².
    fluence_per_power_mJ_cm2 : float, optional
        Instead of ``fluence_mJ_cm2``: fluence per unit of the file's ``laser_power``
        row (mJ/cm² per power unit; from the spot size and repetition rate).
    meta_rows, time_unit
        See :func:`read_trpl_csv_raw`.

    Returns
    -------
    DecaySeries
        ``fluence_mJ_cm2`` (F,), ``time_ns`` (T,), ``counts`` (F, T) as recorded; rows
        sorted by fluence; ``meta`` as :func:`read_trpl_csv_raw` (per-column lists in
        the same order as the rows).

    Raises
    ------
    InputError
        Neither fluence option given (the file gives power, not fluence), or a
        wrong number of fluences.
    """
    path = Path(path)
    time_ns, counts, meta = read_trpl_csv_raw(path, meta_rows=meta_rows, time_unit=time_unit)
    n = counts.shape[0]
    if fluence_mJ_cm2 is not None and fluence_per_power_mJ_cm2 is not None:
        raise InputError(f"{path}: give fluence_mJ_cm2 or fluence_per_power_mJ_cm2, not both.")
    if fluence_mJ_cm2 is not None:
        fluence = np.atleast_1d(np.asarray(fluence_mJ_cm2, dtype=float))
        if fluence.size != n:
            raise InputError(f"{path}: fluence_mJ_cm2 has {fluence.size} values for {n} transient columns "
                             f"({', '.join(meta['columns'])}).")
        meta["fluence_source"] = "given"
    elif fluence_per_power_mJ_cm2 is not None:
        if "laser_power" not in meta:
            raise InputError(f"{path}: fluence_per_power_mJ_cm2 needs a laser_power metadata row; the file has "
                             f"rows {meta['meta_rows']}.")
        fluence = np.asarray(meta["laser_power"], dtype=float) * float(fluence_per_power_mJ_cm2)
        meta["fluence_source"] = f"laser_power × {float(fluence_per_power_mJ_cm2)}"
    else:
        powers = meta.get("laser_power")
        raise InputError(
            f"{path}: the file gives no fluence (laser power row: {powers}); pass fluence_mJ_cm2=[one per "
            f"column] or fluence_per_power_mJ_cm2=<mJ/cm² per power unit>."
        )
    if np.any(~np.isfinite(fluence)) or np.any(fluence < 0):
        raise InputError(f"{path}: fluences must be finite and ≥ 0, got {fluence.tolist()}.")
    if not np.any(fluence > 0):
        raise InputError(f"{path}: every fluence is zero ({fluence.tolist()}); give fluence_mJ_cm2=[one per "
                         "column] or a fluence_per_power_mJ_cm2 > 0.")
    order = np.argsort(fluence, kind="stable")
    for key in ("columns", *meta["meta_rows"], "attenuation"):
        if key in meta:
            meta[key] = [meta[key][i] for i in order]
    return DecaySeries(fluence_mJ_cm2=fluence[order], time_ns=time_ns, counts=counts[order], meta=meta)
