"""Andor Solis ``.sif`` spectra (single or kinetic series), through ``sif_parser``.

The detector records counts per pixel; the file's wavelength calibration
(a polynomial in the 1-based pixel number) places each pixel at λ (nm).
Spectra are returned per eV: counts per pixel ÷ |dλ/dpixel| gives counts per
nm, then the Jacobian λ²/hc (:func:`multiphoton.units.spectrum_per_nm_to_per_eV`)
gives counts per eV on an ascending energy axis. The raw wavelength axis and
counts per pixel are available from :func:`read_sif_raw`. A reader never fits.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Spectrum
from ..errors import InputError, UnsupportedError
from ..units import energy_eV_to_wavelength_nm
from ._files import (check_counts, check_wavelengths, existing_file, library_errors, pick_frame,
                     pixel_spectrum_to_per_eV)

__all__ = ["read_sif_raw", "read_sif_spectra", "read_sif_spectrum"]


class _EOFGuardedFile(io.BufferedReader):
    """A read-only file whose ``read`` raises EOFError at the end of the file.

    sif_parser 0.3.6 reads header words one byte at a time until a space and loops
    forever on a file truncated inside its header (``read`` returns b"" at EOF);
    this guard turns that into an error we can report.
    """

    def read(self, size=-1, /):
        data = super().read(size)
        if size is not None and size > 0 and not data:
            raise EOFError("unexpected end of file inside the SIF header or data")
        return data


def _s(value) -> Any:
    if isinstance(value, bytes):
        return value.decode("latin-1").strip()
    return value


def _calibration(info, n_frames: int, width: int):
    """Wavelength (F, M) per frame and the dispersion dλ/dpixel (F, M), from the polynomial."""
    pixels = np.arange(1, width + 1, dtype=float)
    keys = [f"Calibration_data_for_frame_{k + 1}" for k in range(n_frames)]
    if all(k in info for k in keys):
        coeffs = [np.asarray(info[k], dtype=float) for k in keys]
    elif "Calibration_data" in info:
        coeffs = [np.asarray(info["Calibration_data"], dtype=float)] * n_frames
    else:
        return None, None, None
    poly = np.polynomial.polynomial
    wl = np.array([poly.polyval(pixels, c) for c in coeffs])
    disp = np.array([poly.polyval(pixels, poly.polyder(c)) if c.size > 1 else np.zeros(width)
                     for c in coeffs])
    return wl, disp, [c.tolist() for c in coeffs]


def read_sif_raw(path):
    """Wavelength calibration and counts per pixel of every frame of a ``.sif`` file.

    Parameters
    ----------
    path : str or Path
        The ``.sif`` file, opened read-only.

    Returns
    -------
    wavelength_nm : ndarray of shape (F, M)
        Calibrated wavelength of every pixel of every frame (pixel order).
    counts : ndarray of shape (F, M)
        Counts per pixel, as recorded (full vertical binning or one track).
    meta : dict
        Exposure, cycle times, detector, temperature, gain, calibration coefficients
        (``calibration_coefficients``: c0, c1, … in the 1-based pixel number).

    Raises
    ------
    UnsupportedError
        No wavelength calibration, or an image (several rows) rather than spectra.
    InputError
        Missing, corrupt or truncated file.
    """
    import sif_parser

    path = existing_file(path)
    with library_errors(path, "Andor SIF"):
        with _EOFGuardedFile(io.FileIO(path, "r")) as fh:  # read-only; closed even on failure
            data, info = sif_parser.np_open(fh)
        data = np.asarray(data, dtype=float)
        if data.ndim != 3 or data.shape[0] < 1:
            raise InputError(f"{path}: the SIF file holds no complete frame (data shape {data.shape}).")
        n_frames, rows, width = data.shape
        declared = int(info.get("NumberOfFrames", n_frames))
        if n_frames != declared:
            raise InputError(f"{path}: truncated SIF file: header declares {declared} frames, "
                             f"{n_frames} found.")
        wl, disp, coeffs = _calibration(info, n_frames, width)
    if rows != 1:
        raise UnsupportedError(
            f"{path}: each frame is an image of {rows} rows × {width} pixels, not a spectrum; "
            f"record in full-vertical-binning or single-track mode, or export the binned spectrum."
        )
    if wl is None:
        raise UnsupportedError(
            f"{path}: the file has no wavelength calibration (x axis in pixels only), so the spectrum "
            f"cannot be put on an energy axis; calibrate the spectrograph in Solis and save again."
        )
    check_counts(path, data, what="counts of the spectrum")
    check_wavelengths(path, wl, source=f"wavelength calibration {coeffs[0]}")
    started = info.get("ExperimentTime")
    meta: dict[str, Any] = {
        "format": "sif",
        "file": path.name,
        "frames": int(n_frames),
        "pixels": int(width),
        "detector": _s(info.get("DetectorType")),
        "detector_temperature_C": info.get("DetectorTemperature"),
        "exposure_time_s": info.get("ExposureTime"),
        "cycle_time_s": info.get("CycleTime"),
        "accumulated_cycles": info.get("AccumulatedCycles"),
        "gain": info.get("GainDAC"),
        "gate_width_s": info.get("GateWidth"),
        "gate_delay_s": info.get("GateDelay"),
        "data_type": _s(info.get("DataType")),
        "original_filename": _s(info.get("OriginalFilename")),
        "experiment_time_unix": int(started) if started else None,  # as stored; time zone unstated
        "calibration_coefficients": coeffs[0] if len(coeffs) and all(c == coeffs[0] for c in coeffs)
        else coeffs,
        "wavelength_range_nm": [float(wl.min()), float(wl.max())],
        "counts_unit_in_file": "counts per pixel",
    }
    meta["_dispersion_nm_per_px"] = disp
    return wl, data[:, 0, :], meta


def read_sif_spectra(path) -> list[Spectrum]:
    """Every frame of a ``.sif`` file (e.g. a kinetic series) as a Spectrum per eV.

    Returns
    -------
    list of Spectrum
        One per frame, in file order; ``energy_eV`` (M,) ascending, ``counts`` (M,)
        in counts per eV; ``meta`` has ``frame`` (0-based), ``frames``,
        ``frame_time_s`` (frame × cycle time, nominal), ``wavelength_nm`` (M,)
        aligned with ``energy_eV``, and the file's metadata.
    """
    path = Path(path)
    wl, counts, meta = read_sif_raw(path)
    disp = meta.pop("_dispersion_nm_per_px")
    out = []
    for f in range(counts.shape[0]):
        with library_errors(path, "Andor SIF"):
            energy, per_eV = pixel_spectrum_to_per_eV(wl[f], counts[f], dispersion_nm_per_px=disp[f])
        m = dict(meta)
        m["frame"] = f
        m["frame_time_s"] = f * float(meta["cycle_time_s"] or 0.0)
        m["wavelength_nm"] = energy_eV_to_wavelength_nm(energy)  # aligned with energy_eV
        m["counts_unit"] = "counts per eV (counts per pixel / |dλ/dpixel| × λ²/hc)"
        out.append(Spectrum(energy_eV=energy, counts=per_eV, meta=m))
    return out


def read_sif_spectrum(path, *, frame=None) -> Spectrum:
    """One spectrum (counts per eV) from a ``.sif`` file.

    Parameters
    ----------
    path : str or Path
        The ``.sif`` file.
    frame : int, optional
        Frame of a kinetic series (0-based); required when the file has several.

    Returns
    -------
    Spectrum
        See :func:`read_sif_spectra`.

    Examples
    --------
    >>> read_sif_spectrum("missing.sif")
    Traceback (most recent call last):
    ...
    multiphoton.errors.InputError: missing.sif: file not found; ...
    """
    path = Path(path)
    spectra = read_sif_spectra(path)
    return pick_frame(spectra, frame, path)
