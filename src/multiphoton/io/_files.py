"""Small helpers shared by the vendor readers (private).

Opening a file read-only, turning a library's exception into an
:class:`~multiphoton.errors.InputError` that names the file, gating a decay in
time, and converting a CCD spectrum (counts per pixel on a wavelength
calibration) into counts per eV. Nothing here fits.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Decay
from ..errors import InputError, MultiphotonError
from ..units import spectrum_per_nm_to_per_eV

__all__ = [
    "existing_file",
    "library_errors",
    "captured_log",
    "gate_decay",
    "make_decay",
    "pixel_spectrum_to_per_eV",
    "json_safe",
    "check_options",
    "pick_frame",
    "check_counts",
    "check_wavelengths",
]

MAX_COUNTS = 1e100
"""Largest magnitude accepted in a data array (beyond it sums of squares overflow float64)."""

WAVELENGTH_RANGE_NM = (100.0, 30000.0)
"""Plausible calibrated wavelengths of an optical spectrometer, nm (vacuum UV to mid infrared)."""


def existing_file(path) -> Path:
    """Return ``path`` as a :class:`~pathlib.Path`, or raise InputError if it is not a file."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found; check the path (relative paths are taken from the "
                         f"current directory or the manifest's folder).")
    if not p.is_file():
        raise InputError(f"{p}: is not a regular file (a directory?); give the path of one data file.")
    return p


@contextlib.contextmanager
def library_errors(path, what: str) -> Iterator[None]:
    """Turn any exception raised by a reading library into an InputError naming ``path``.

    Our own :class:`~multiphoton.errors.MultiphotonError` passes through unchanged.
    """
    try:
        yield
    except MultiphotonError:
        raise
    except Exception as exc:  # noqa: BLE001 - every library failure becomes one clear error
        raise InputError(
            f"{path}: cannot be read as a {what} file ({type(exc).__name__}: {exc}). "
            f"The file may be truncated or corrupt, or not a {what} file; "
            f"re-export it from the instrument software or pass the right format."
        ) from exc


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def captured_log(logger_name: str, *, relay: logging.Logger) -> Iterator[list[str]]:
    """Collect what a library logs (recoverable file quirks) instead of printing it.

    The messages are yielded as a list (to be stored in ``meta["file_warnings"]``) and
    relayed to ``relay`` at INFO level.
    """
    lib_logger = logging.getLogger(logger_name)
    handler = _ListHandler()
    old_propagate = lib_logger.propagate
    lib_logger.addHandler(handler)
    lib_logger.propagate = False
    try:
        yield handler.messages
    finally:
        lib_logger.removeHandler(handler)
        lib_logger.propagate = old_propagate
        for msg in handler.messages:
            relay.info("%s", msg)


def gate_decay(time_ns: np.ndarray, counts: np.ndarray, gate_ns, *, path) -> tuple[np.ndarray, np.ndarray]:
    """Keep the bins with ``gate_ns[0] <= time_ns < gate_ns[1]`` (a time gate in ns)."""
    if gate_ns is None:
        return time_ns, counts
    try:
        lo, hi = (float(v) for v in gate_ns)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{path}: gate_ns must be two numbers [start_ns, stop_ns], got {gate_ns!r}.") from exc
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise InputError(f"{path}: gate_ns = [{lo}, {hi}] must be finite with start < stop.")
    keep = (time_ns >= lo) & (time_ns < hi)
    if not np.any(keep):
        raise InputError(
            f"{path}: gate_ns = [{lo}, {hi}] ns selects no bin; the time axis spans "
            f"{time_ns.min():.6g} to {time_ns.max():.6g} ns."
        )
    return time_ns[keep], counts[keep]


def check_counts(path, counts, *, what: str = "counts") -> None:
    """Refuse data that are non-finite, implausibly large (overflow) or zero everywhere.

    Examples
    --------
    >>> check_counts("x.sif", [0.0, 0.0])
    Traceback (most recent call last):
    ...
    multiphoton.errors.InputError: x.sif: every value of the counts is zero; ...
    """
    c = np.asarray(counts, dtype=float)
    if c.size == 0:
        raise InputError(f"{path}: the file holds no {what}; it is empty or truncated.")
    if not np.all(np.isfinite(c)):
        raise InputError(f"{path}: the {what} hold non-finite values (NaN or infinity); the file is "
                         "corrupt or an overflow occurred; re-export it from the instrument software.")
    peak = float(np.abs(c).max())
    if peak > MAX_COUNTS:
        raise InputError(f"{path}: the {what} reach {peak:.3g}, beyond any detector (> {MAX_COUNTS:g}): "
                         "an overflow or a corrupt file; re-export it, or rescale the values.")
    if peak == 0:
        raise InputError(f"{path}: every value of the {what} is zero; the file holds no signal "
                         "(detector off, empty channel or frame?); give a measured file.")


def check_wavelengths(path, wavelength_nm, *, source: str = "wavelength calibration") -> None:
    """Refuse a wavelength axis that is not finite, strictly monotonic and in a plausible range.

    A damaged calibration (e.g. coefficients [0, 1, 0, 0], i.e. the pixel number read as
    nm) would otherwise put a spectrum at 1–1024 nm without a word.

    Examples
    --------
    >>> check_wavelengths("x.sif", [1.0, 2.0, 3.0])
    Traceback (most recent call last):
    ...
    multiphoton.errors.InputError: x.sif: the wavelength calibration gives 1 to 3 nm, ...
    """
    wl = np.asarray(wavelength_nm, dtype=float)
    lo, hi = WAVELENGTH_RANGE_NM
    fix = "the calibration in the file is damaged or missing; re-calibrate and save it again from the " \
          "instrument software."
    if not np.all(np.isfinite(wl)):
        raise InputError(f"{path}: the {source} gives non-finite wavelengths; {fix}")
    d = np.diff(wl, axis=-1)
    if d.size and not (np.all(d > 0) or np.all(d < 0)):
        raise InputError(f"{path}: the {source} is not strictly monotonic across the pixels; {fix}")
    if wl.size and (wl.min() < lo or wl.max() > hi):
        raise InputError(f"{path}: the {source} gives {wl.min():.4g} to {wl.max():.4g} nm, outside the "
                         f"plausible {lo:g}–{hi:g} nm of an optical spectrometer; {fix}")


def make_decay(time_ns, counts, meta: Mapping[str, Any], *, gate_ns=None, path) -> Decay:
    """Build a :class:`~multiphoton.data.Decay`, gated if asked, with the gate in meta.

    Raises InputError when the counts are non-finite, overflowing or all zero.
    """
    check_counts(path, counts, what="counts of the decay")
    t, c = gate_decay(np.asarray(time_ns, float), np.asarray(counts, float), gate_ns, path=path)
    meta = dict(meta)
    meta["gate_ns"] = None if gate_ns is None else [float(gate_ns[0]), float(gate_ns[1])]
    meta["bins"] = int(t.size)
    return Decay(time_ns=t, counts=c, meta=meta)


def pixel_spectrum_to_per_eV(wavelength_nm, counts_per_pixel, *, dispersion_nm_per_px=None):
    """Counts per CCD pixel on a wavelength calibration → counts per eV on an ascending energy axis.

    Parameters
    ----------
    wavelength_nm : ndarray of shape (M,)
        Calibrated wavelength of each pixel centre, nm (monotonic).
    counts_per_pixel : ndarray of shape (..., M)
        Counts recorded in each pixel.
    dispersion_nm_per_px : ndarray of shape (M,), optional
        dλ/dpixel in nm; by default ``numpy.gradient(wavelength_nm)``.

    Returns
    -------
    energy_eV : ndarray of shape (M,), ascending
    counts_per_eV : ndarray of shape (..., M)

    Notes
    -----
    A pixel collects S_λ(λ)·|dλ/dp| counts, so S_λ = counts / |dλ/dp| (per nm); then
    S_E = S_λ · λ²/hc (:func:`multiphoton.units.spectrum_per_nm_to_per_eV`). The total
    Σ counts = ∫ S_E dE is conserved to the accuracy of the pixel widths.

    Examples
    --------
    >>> e, s = pixel_spectrum_to_per_eV([600.0, 601.0, 602.0], [10.0, 10.0, 10.0])
    >>> bool(e[0] < e[-1]), round(float(s[0] * abs(e[1] - e[0])), 1)  # ≈ counts per pixel
    (True, 10.0)
    """
    wl = np.asarray(wavelength_nm, dtype=float)
    counts = np.asarray(counts_per_pixel, dtype=float)
    if dispersion_nm_per_px is None:
        dispersion = np.gradient(wl)
    else:
        dispersion = np.asarray(dispersion_nm_per_px, dtype=float)
    dispersion = np.abs(dispersion)
    if np.any(~np.isfinite(dispersion)) or np.any(dispersion <= 0):
        raise InputError("wavelength calibration is not strictly monotonic (zero or undefined dλ/dpixel); "
                         "the spectrum cannot be put on an energy axis; check the calibration in the file.")
    return spectrum_per_nm_to_per_eV(wl, counts / dispersion)


def json_safe(value: Any, *, max_list: int = 64) -> Any:
    """Convert metadata to JSON-serialisable values (numbers, strings, lists, dicts).

    Arrays longer than ``max_list`` become ``{"size", "min", "max"}`` summaries.
    """
    if isinstance(value, Mapping):
        return {str(k): json_safe(v, max_list=max_list) for k, v in value.items()}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.rstrip(b"\0").decode("latin-1")
    if isinstance(value, np.ndarray):
        if value.size > max_list and value.dtype.kind in "biuf":
            finite = value[np.isfinite(value)] if value.dtype.kind == "f" else value
            return {"size": int(value.size),
                    "min": json_safe(finite.min()) if finite.size else None,
                    "max": json_safe(finite.max()) if finite.size else None}
        return [json_safe(v, max_list=max_list) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [json_safe(v, max_list=max_list) for v in value]
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def check_options(options: Mapping[str, Any], valid, *, where: str) -> None:
    """Raise InputError naming unknown keyword options and listing the valid ones."""
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise InputError(
            f"{where}: unknown option(s) {', '.join(map(repr, unknown))}; "
            f"valid options are: {', '.join(sorted(valid)) or '(none)'}."
        )


def pick_frame(spectra, frame, path):
    """Choose one frame of a list of spectra, or raise InputError listing the frames."""
    n = len(spectra)
    if frame is None:
        if n > 1:
            raise InputError(f"{path}: the file holds {n} frames (a kinetic series); choose one with "
                             f"frame=<0..{n - 1}> or read them all with read_spectra.")
        return spectra[0]
    try:
        k = int(frame)
        if not 0 <= k < n:
            raise IndexError
    except (TypeError, ValueError, IndexError):
        raise InputError(f"{path}: frame={frame!r} does not exist; the file holds {n} frame(s), "
                         f"numbered 0..{n - 1}.") from None
    return spectra[k]
