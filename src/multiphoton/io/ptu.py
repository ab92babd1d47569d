"""PicoQuant PTU files (time-tagged TCSPC) → decay histograms, through ``ptufile``.

T3 records carry, for every photon, the start–stop (delay) time since the last
laser sync in units of the TCSPC resolution; histogramming them per detector
channel gives the fluorescence decay. T2 records carry only absolute arrival
times (no per-pulse delay), so a decay cannot be made from them without a
sync channel: such files are refused with
:class:`~multiphoton.errors.UnsupportedError` (their header can still be inspected).

Times are in ns on the decay axis, the header resolutions in s (as ptufile gives
them), the sync rate in Hz. The time axis is the start of each bin,
``t_i = i · resolution`` (ptufile's convention). A reader never fits.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Decay
from ..errors import InputError, UnsupportedError
from ._files import captured_log, existing_file, library_errors, make_decay

__all__ = ["decay_histogram", "read_ptu_histograms", "read_ptu_decay", "ptu_metadata"]

_log = logging.getLogger(__name__)


def decay_histogram(dtime_bins, channel, *, n_bins: int, channels) -> np.ndarray:
    """Histogram T3 photon delay times per detector channel.

    Parameters
    ----------
    dtime_bins : ndarray of shape (N,), int
        Start–stop time of each record in TCSPC bins.
    channel : ndarray of shape (N,), int
        Detector channel of each record; negative for non-photon records
        (overflows, markers), which are ignored.
    n_bins : int
        Minimum number of bins (usually the bins in one sync period); the
        histogram is longer if a delay exceeds it.
    channels : sequence of int
        Channels to histogram, one row each.

    Returns
    -------
    counts : ndarray of shape (len(channels), T), int64

    Examples
    --------
    >>> decay_histogram([0, 1, 1, 2, 1], [0, 0, 1, -1, 0], n_bins=3, channels=[0, 1])
    array([[1, 2, 0],
           [0, 1, 0]])
    """
    dtime = np.asarray(dtime_bins).astype(np.int64, copy=False)
    chan = np.asarray(channel).astype(np.int64, copy=False)
    photons = chan >= 0
    length = int(n_bins)
    if np.any(photons):
        length = max(length, int(dtime[photons].max()) + 1)
    out = np.zeros((len(channels), length), dtype=np.int64)
    for row, ch in enumerate(channels):
        sel = chan == int(ch)
        out[row] = np.bincount(dtime[sel], minlength=length)[:length]
    return out


def _open(path: Path):
    import ptufile

    return ptufile.PtuFile(os.fspath(path), mode="r")  # read-only


def _header_meta(ptu, path: Path) -> dict[str, Any]:
    tags = ptu.tags
    created = tags.get("File_CreatingTime")
    mode = int(tags.get("Measurement_Mode", 0))
    meta: dict[str, Any] = {
        "format": "ptu",
        "file": path.name,
        "record_type": ptu.record_type.name,
        "measurement_mode": {2: "T2", 3: "T3"}.get(mode, str(mode)),
        "number_records": int(ptu.number_records),
        "sync_rate_Hz": float(tags.get("TTResult_SyncRate", 0)),
        "tcspc_resolution_s": float(ptu.tcspc_resolution),
        "global_resolution_s": float(ptu.global_resolution),
        "acquisition_time_header_s": float(tags.get("MeasDesc_AcquisitionTime", 0)) * 1e-3,
        "hardware": str(tags.get("HW_Type", "")),
        "software": f"{tags.get('CreatorSW_Name', '')} {tags.get('CreatorSW_Version', '')}".strip(),
        "created": created.isoformat() if hasattr(created, "isoformat") else created,
        "comment": tags.get("File_Comment"),
    }
    return meta


def _check_records(ptu, path: Path) -> None:
    """Refuse a file whose record block is shorter than the header says (truncated)."""
    size = path.stat().st_size
    available = (size - ptu.record_offset) // 4
    declared = int(ptu.tags.get("TTResult_NumberOfRecords", 0))
    if declared > 0 and available < declared:
        raise InputError(
            f"{path}: truncated PTU file: the header declares {declared} records but the file "
            f"holds {available}; copy the complete file from the acquisition computer."
        )


def _decoded(path: Path):
    """Open, check and decode a PTU file: (meta, records recarray)."""
    path = existing_file(path)
    with captured_log("ptufile", relay=_log) as warnings_:
        with library_errors(path, "PicoQuant PTU"):
            with _open(path) as ptu:
                _check_records(ptu, path)
                meta = _header_meta(ptu, path)
                rec = ptu.decode_records()
                meta["acquisition_time_s"] = float(ptu.acquisition_time)
                n_period = int(ptu.number_bins_in_period) if ptu.is_t3 else 0
    meta["file_warnings"] = list(warnings_)
    chan = np.asarray(rec["channel"])
    present, counts = np.unique(chan[chan >= 0], return_counts=True)
    _count_channels(meta, present, counts)
    meta["bins_in_period"] = n_period
    return meta, rec


def _count_channels(meta, channels, photons) -> None:
    meta["counts_per_channel"] = {int(c): int(n) for c, n in zip(channels, photons) if n > 0}
    meta["channels"] = [int(c) for c, n in zip(channels, photons) if n > 0]


def _histogrammed(path: Path):
    """(meta, counts (C, T) int64) of a T3 file through ptufile's ``decode_histogram``
    (compiled, no per-photon arrays), or None for a T2 file or when the histogram does
    not hold every photon the records count (then the records are decoded instead).

    The histogram spans ``max(bins in one period, last bin with photons + 1)`` bins,
    one row per channel with photons, as :func:`decay_histogram` gives.
    """
    path = existing_file(path)
    with captured_log("ptufile", relay=_log) as warnings_:
        with library_errors(path, "PicoQuant PTU"):
            with _open(path) as ptu:
                _check_records(ptu, path)
                if not ptu.is_t3:
                    return None
                meta = _header_meta(ptu, path)
                n_period = int(ptu.number_bins_in_period)
                hist = ptu.decode_histogram(dtype=np.uint64,
                                            dtime=max(n_period, int(ptu.number_bins) + 1))
                photons = int(ptu.number_photons)
                active = list(ptu.active_channels)
                first = 0 if hist.shape[0] == ptu.number_channels_max else min(active, default=0)
                meta["acquisition_time_s"] = float(ptu.acquisition_time)
    if int(hist.sum()) != photons:
        return None
    meta["file_warnings"] = list(warnings_)
    rows = np.arange(hist.shape[0]) + first
    totals = hist.sum(axis=1)
    _count_channels(meta, rows, totals)
    keep = totals > 0
    used = np.flatnonzero(hist.any(axis=0))
    length = max(n_period, int(used[-1]) + 1 if used.size else 0)
    meta["bins_in_period"] = n_period
    return meta, hist[keep, :length].astype(np.int64)


def ptu_metadata(path) -> dict[str, Any]:
    """Header metadata and photon counts per channel of a PTU file (T2 or T3).

    Parameters
    ----------
    path : str or Path
        The ``.ptu`` file (opened read-only).

    Returns
    -------
    meta : dict
        ``record_type``, ``measurement_mode`` ("T2"/"T3"), ``number_records``,
        ``sync_rate_Hz``, ``tcspc_resolution_s``, ``global_resolution_s``,
        ``acquisition_time_s`` (from the records), ``acquisition_time_header_s``,
        ``counts_per_channel`` {channel: photons}, ``channels``, ``file_warnings``
        (recoverable header quirks, e.g. tags out of order).

    Examples
    --------
    >>> ptu_metadata("missing.ptu")
    Traceback (most recent call last):
    ...
    multiphoton.errors.InputError: missing.ptu: file not found; ...
    """
    meta, _ = _decoded(Path(path))
    return meta


def read_ptu_histograms(path, *, acquisition_window_s=None):
    """All decay histograms of a T3 PTU file, one row per detector channel with photons.

    Parameters
    ----------
    path : str or Path
        A T3-mode ``.ptu`` file.
    acquisition_window_s : (float, float), optional
        Keep only photons recorded between these laboratory times (s since the
        start of the acquisition), e.g. to exclude a bleached tail.

    Returns
    -------
    time_ns : ndarray of shape (T,)
        Start of each delay bin, ns (``i × tcspc_resolution``).
    counts : ndarray of shape (C, T), int64
        Photons per bin for each channel in ``meta["channels"]``.
    meta : dict
        As :func:`ptu_metadata`.

    Raises
    ------
    UnsupportedError
        For T2 files (no start–stop time per photon).
    InputError
        For missing, corrupt or truncated files.
    """
    path = Path(path)
    if acquisition_window_s is None:  # the whole acquisition: ptufile's compiled histogram
        fast = _histogrammed(path)
        if fast is not None:
            meta, counts = fast
            if not meta["channels"]:
                raise InputError(f"{path}: the PTU file holds no photon records; nothing to "
                                 "histogram.")
            meta["time_axis"] = "bin start"
            return np.arange(counts.shape[1]) * meta["tcspc_resolution_s"] * 1e9, counts, meta
    meta, rec = _decoded(path)
    if meta["measurement_mode"] != "T3":
        raise UnsupportedError(
            f"{path}: PTU record type {meta['record_type']} ({meta['measurement_mode']} mode) has no "
            f"per-pulse start-stop time, so no decay histogram can be made; a decay needs a file "
            f"recorded in T3 mode (or a T2 file with a laser sync channel, which is not supported). "
            f"Its header can still be inspected (multiphoton inspect)."
        )
    chan = np.asarray(rec["channel"])
    dtime = np.asarray(rec["dtime"])
    if acquisition_window_s is not None:
        try:
            t0, t1 = (float(v) for v in acquisition_window_s)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{path}: acquisition_window_s must be [start_s, stop_s], "
                             f"got {acquisition_window_s!r}.") from exc
        if not t0 < t1:
            raise InputError(f"{path}: acquisition_window_s = [{t0}, {t1}] needs start < stop.")
        t_s = np.asarray(rec["time"], dtype=float) * meta["global_resolution_s"]
        outside = (t_s < t0) | (t_s >= t1)
        chan = np.where(outside, -1, chan)
        meta["acquisition_window_s"] = [t0, t1]
    channels = meta["channels"]
    if not channels:
        raise InputError(f"{path}: the PTU file holds no photon records; nothing to histogram.")
    counts = decay_histogram(dtime, chan, n_bins=meta["bins_in_period"], channels=channels)
    time_ns = np.arange(counts.shape[1]) * meta["tcspc_resolution_s"] * 1e9
    meta["time_axis"] = "bin start"
    return time_ns, counts, meta


def read_ptu_decay(path, *, channel=None, gate_ns=None, acquisition_window_s=None) -> Decay:
    """One fluorescence decay (start–stop histogram) from a T3 PTU file.

    Parameters
    ----------
    path : str or Path
        A T3-mode ``.ptu`` file, opened read-only.
    channel : int or "sum", optional
        Detector channel (0-based, as in the records). Required when more than one
        channel recorded photons; ``"sum"`` adds all channels bin by bin.
    gate_ns : (float, float), optional
        Keep bins with ``start <= time_ns < stop``.
    acquisition_window_s : (float, float), optional
        See :func:`read_ptu_histograms`.

    Returns
    -------
    Decay
        ``time_ns`` (T,) bin starts in ns, ``counts`` (T,) photons; ``meta`` as
        :func:`ptu_metadata` plus ``channel``, ``total_counts``, ``gate_ns``.

    Raises
    ------
    UnsupportedError
        T2 file.
    InputError
        Unknown channel, several channels and no choice, corrupt file.
    """
    path = Path(path)
    time_ns, counts, meta = read_ptu_histograms(path, acquisition_window_s=acquisition_window_s)
    channels = meta["channels"]
    listing = ", ".join(f"{c} ({meta['counts_per_channel'][c]} photons)" for c in channels)
    if channel is None:
        if len(channels) > 1:
            raise InputError(
                f"{path}: photons were recorded on channels {listing}; choose one with "
                f"channel=<number>, or channel='sum' to add them."
            )
        row = counts[0]
        meta["channel"] = channels[0]
    elif isinstance(channel, str) and channel == "sum":
        row = counts.sum(axis=0)
        meta["channel"] = "sum"
    else:
        try:
            idx = channels.index(int(channel))
        except (TypeError, ValueError):
            raise InputError(f"{path}: channel={channel!r} has no photons; channels with photons: "
                             f"{listing} (or 'sum').") from None
        row = counts[idx]
        meta["channel"] = int(channel)
    meta["total_counts"] = int(row.sum())
    return make_decay(time_ns, row, meta, gate_ns=gate_ns, path=path)
