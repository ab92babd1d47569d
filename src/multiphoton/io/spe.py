"""Princeton Instruments ``.spe`` spectra: SPE 3.0 (LightField) and SPE 2.x (WinSpec).

Written here with numpy and :mod:`xml.etree` because no maintained PyPI package
reads both versions with their wavelength calibration well (imageio's SPE plugin
is not a dependency of this project, and the small standalone readers on PyPI are
unmaintained). The layout follows Princeton Instruments' "SPE 3.0 File Format
Specification":

- a 4100-byte binary header (little-endian): ``xdim`` uint16 at 42, ``datatype``
  int16 at 108, ``ydim`` uint16 at 656, XML footer offset uint64 at 678,
  ``NumFrames`` int32 at 1446, ``file_header_ver`` float32 at 1992;
- the frames from byte 4100;
- SPE 3.0: an XML footer describing the frames (pixel format, region size,
  stride) and the wavelength of every pixel (``Calibrations/WavelengthMapping``);
- SPE 2.x: the x calibration in the header: ``polynom_order`` int8 at 3101,
  ``polynom_coeff`` 6 × float64 at 3263 (λ = Σ cₖ pᵏ, p the 1-based pixel number),
  ``calib_valid`` at 3098, ``laser_position`` float64 at 3311.

Spectra are returned per eV: counts per pixel ÷ |dλ/dpixel| × λ²/hc. A reader never fits.
"""
from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Spectrum
from ..errors import InputError, UnsupportedError
from ..units import energy_eV_to_wavelength_nm
from ._files import check_counts, check_wavelengths, existing_file, library_errors, pick_frame, pixel_spectrum_to_per_eV

__all__ = ["parse_spe3_footer", "read_spe_raw", "read_spe_spectra", "read_spe_spectrum"]

HEADER_BYTES = 4100
_DATATYPES = {0: "<f4", 1: "<i4", 2: "<i2", 3: "<u2", 5: "<f8", 6: "u1", 8: "<u4"}
_PIXEL_FORMATS = {
    "MonochromeUnsigned16": "<u2",
    "MonochromeUnsigned32": "<u4",
    "MonochromeFloating32": "<f4",
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find_all(root, name: str):
    return [el for el in root.iter() if _local(el.tag) == name]


def _first_text(root, name: str, parent: str | None = None):
    for el in root.iter():
        if parent is not None and _local(el.tag) == parent:
            for child in el:
                if _local(child.tag) == name and child.text:
                    return child.text.strip()
        elif parent is None and _local(el.tag) == name and el.text and el.text.strip():
            return el.text.strip()
    return None


def _float_or_none(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def parse_spe3_footer(xml_text: str) -> dict[str, Any]:
    """Frame layout, wavelength calibration and settings from an SPE 3.0 XML footer.

    Parameters
    ----------
    xml_text : str
        The XML footer (from the offset stored at byte 678 to the end of the file).

    Returns
    -------
    dict
        ``frames``, ``dtype`` (numpy dtype string), ``frame_stride_bytes``,
        ``width``, ``height``, ``wavelength_nm`` (ndarray of shape (width,) or None)
        and settings (``exposure_time_ms``, ``sensor_temperature_C``,
        ``center_wavelength_nm``, ``camera``, ``spectrometer``, ``created``, ``software``).

    Examples
    --------
    >>> xml = ('<SpeFormat xmlns="http://www.princetoninstruments.com/spe/2009">'
    ...        '<DataFormat><DataBlock type="Frame" count="2" pixelFormat="MonochromeUnsigned16" '
    ...        'size="6" stride="6"><DataBlock type="Region" count="1" width="3" height="1" '
    ...        'size="6" stride="6"/></DataBlock></DataFormat><Calibrations>'
    ...        '<WavelengthMapping id="1"><Wavelength>500,501,502.5</Wavelength>'
    ...        '</WavelengthMapping></Calibrations></SpeFormat>')
    >>> f = parse_spe3_footer(xml)
    >>> f["frames"], f["width"], f["dtype"], f["wavelength_nm"].tolist()
    (2, 3, '<u2', [500.0, 501.0, 502.5])
    """
    root = ET.fromstring(xml_text)
    frame_blocks = [b for b in _find_all(root, "DataBlock") if b.get("type") == "Frame"]
    if len(frame_blocks) != 1:
        raise UnsupportedError(f"SPE 3.0 footer describes {len(frame_blocks)} frame blocks; one is supported.")
    frame = frame_blocks[0]
    regions = [b for b in frame if _local(b.tag) == "DataBlock" and b.get("type") == "Region"]
    if len(regions) != 1 or int(regions[0].get("count", "1")) != 1:
        raise UnsupportedError(
            f"SPE 3.0 file with {len(regions)} region blocks per frame; only single-region spectra are "
            f"read. Save one region of interest per file in LightField."
        )
    region = regions[0]
    fmt = frame.get("pixelFormat", "")
    if fmt not in _PIXEL_FORMATS:
        raise UnsupportedError(f"SPE 3.0 pixel format {fmt!r} is not one of {sorted(_PIXEL_FORMATS)}.")
    width, height = int(region.get("width")), int(region.get("height"))

    wavelength = None
    mappings = _find_all(root, "WavelengthMapping")
    if mappings:
        m = mappings[0]
        for child in m:
            name = _local(child.tag)
            if name == "Wavelength" and child.text:
                wavelength = np.array([float(v) for v in child.text.replace(";", ",").split(",") if v.strip()])
            elif name == "WavelengthError" and child.text:  # "λ,err λ,err …"
                wavelength = np.array([float(pair.split(",")[0]) for pair in child.text.split()])
        if wavelength is not None and wavelength.size != width:
            # mapping over the full sensor: cut the region out and average its binned pixels
            ids = set((region.get("calibrations") or "").split(","))
            sensor = [s for s in _find_all(root, "SensorMapping") if s.get("id") in ids]
            if sensor:
                x0 = int(sensor[0].get("x", 0))
                xbin = int(sensor[0].get("xBinning", 1))
                seg = wavelength[x0:x0 + width * xbin]
                if seg.size == width * xbin:
                    wavelength = seg.reshape(width, xbin).mean(axis=1)
            if wavelength.size != width:
                raise UnsupportedError(
                    f"SPE 3.0 wavelength mapping has {wavelength.size} values for a region {width} "
                    f"pixels wide and no usable sensor mapping."
                )
    origin = _find_all(root, "Origin")
    cameras = [c for c in _find_all(root, "Camera") if c.get("model")]
    spectrometers = [s for s in _find_all(root, "Spectrometer") if s.get("model")]
    return {
        "frames": int(frame.get("count", "1")),
        "dtype": _PIXEL_FORMATS[fmt],
        "pixel_format": fmt,
        "frame_stride_bytes": int(frame.get("stride", frame.get("size"))),
        "region_bytes": int(region.get("size", width * height * np.dtype(_PIXEL_FORMATS[fmt]).itemsize)),
        "width": width,
        "height": height,
        "wavelength_nm": wavelength,
        "wavelength_orientation": mappings[0].get("orientation") if mappings else None,
        "exposure_time_ms": _float_or_none(_first_text(root, "ExposureTime", parent="ShutterTiming")),
        "sensor_temperature_C": _float_or_none(_first_text(root, "Reading", parent="Temperature")),
        "center_wavelength_nm": _float_or_none(_first_text(root, "CenterWavelength")),
        "camera": cameras[0].get("model") if cameras else None,
        "spectrometer": spectrometers[0].get("model") if spectrometers else None,
        "created": origin[0].get("created") if origin else None,
        "software": (f"{origin[0].get('software', '')} {origin[0].get('softwareVersion', '')}".strip()
                     if origin else None),
    }


def _read_spe3(raw: bytes, path: Path):
    (xml_offset,) = struct.unpack_from("<Q", raw, 678)
    if not HEADER_BYTES <= xml_offset < len(raw):
        raise InputError(f"{path}: truncated SPE 3.0 file: the XML footer (at byte {xml_offset}) "
                         f"is missing from a {len(raw)}-byte file.")
    footer = parse_spe3_footer(raw[xml_offset:].decode("utf-8"))
    n, stride = footer["frames"], footer["frame_stride_bytes"]
    if HEADER_BYTES + n * stride > xml_offset:
        raise InputError(f"{path}: SPE 3.0 footer declares {n} frames of {stride} bytes, more than "
                         f"the file holds before its footer.")
    if footer["height"] != 1:
        raise UnsupportedError(f"{path}: frames are images of {footer['height']} rows; only spectra "
                               f"(one row, binned on the chip) are read.")
    if footer["wavelength_nm"] is None:
        raise UnsupportedError(f"{path}: no wavelength calibration in the SPE 3.0 footer; calibrate "
                               f"the spectrometer in LightField and save again.")
    dt = np.dtype(footer["dtype"])
    counts = np.empty((n, footer["width"]))
    for k in range(n):
        start = HEADER_BYTES + k * stride
        counts[k] = np.frombuffer(raw, dtype=dt, count=footer["width"], offset=start)
    wl = footer.pop("wavelength_nm")
    meta = {k: v for k, v in footer.items() if k not in ("dtype",)}
    meta["spe_version"] = "3.0"
    return wl, counts, meta, None


def _read_spe2(raw: bytes, path: Path, version: float):
    (datatype,) = struct.unpack_from("<h", raw, 108)
    (xdim,) = struct.unpack_from("<H", raw, 42)
    (ydim,) = struct.unpack_from("<H", raw, 656)
    (nframes,) = struct.unpack_from("<i", raw, 1446)
    if datatype not in _DATATYPES:
        raise InputError(f"{path}: unknown SPE data type code {datatype} at byte 108; the file is corrupt.")
    dt = np.dtype(_DATATYPES[datatype])
    frame_bytes = xdim * ydim * dt.itemsize
    if nframes < 1 or xdim < 1 or ydim < 1:
        raise InputError(f"{path}: SPE header gives {nframes} frames of {xdim}×{ydim}; the file is corrupt.")
    if HEADER_BYTES + nframes * frame_bytes > len(raw):
        raise InputError(f"{path}: truncated SPE file: header declares {nframes} frames of {xdim}×{ydim} "
                         f"{dt} ({HEADER_BYTES + nframes * frame_bytes} bytes), the file has {len(raw)}.")
    if ydim != 1:
        raise UnsupportedError(f"{path}: frames are images of {ydim} rows; only spectra (one row) are read.")
    valid = raw[3098]
    (order,) = struct.unpack_from("<b", raw, 3101)
    coeffs = np.array(struct.unpack_from("<6d", raw, 3263))[: max(order, 0) + 1]
    if not valid or order < 1 or not np.any(coeffs[1:]):
        raise UnsupportedError(f"{path}: the WinSpec file has no valid x calibration (calib_valid="
                               f"{valid}, polynom_order={order}); calibrate and save again.")
    pixels = np.arange(1, xdim + 1, dtype=float)
    poly = np.polynomial.polynomial
    wl = poly.polyval(pixels, coeffs)
    disp = poly.polyval(pixels, poly.polyder(coeffs))
    if not (np.all(wl > 100.0) and np.all(wl < 20000.0)):
        raise UnsupportedError(f"{path}: the x calibration gives {wl.min():.4g}–{wl.max():.4g}, not "
                               f"wavelengths in nm; recalibrate in nm.")
    counts = np.frombuffer(raw, dtype=dt, count=nframes * xdim, offset=HEADER_BYTES).reshape(nframes, xdim)
    (exp_s,) = struct.unpack_from("<f", raw, 10)
    (temp,) = struct.unpack_from("<f", raw, 36)
    (laser,) = struct.unpack_from("<d", raw, 3311)
    (center,) = struct.unpack_from("<f", raw, 72)
    meta = {
        "spe_version": f"{version:.1f}",
        "frames": int(nframes),
        "width": int(xdim),
        "height": int(ydim),
        "datatype": str(dt),
        "exposure_time_s": float(exp_s),
        "detector_temperature_C": float(temp),
        "date": raw[20:30].split(b"\0")[0].decode("latin-1"),
        "calibration_coefficients": coeffs.tolist(),
        "calibration_label": raw[3018:3058].split(b"\0")[0].decode("latin-1"),
        "laser_position": float(laser),
        "center_wavelength_nm": float(center),
    }
    return wl, counts.astype(float), meta, disp


def read_spe_raw(path):
    """Wavelength axis and counts per pixel of every frame of an ``.spe`` file.

    Parameters
    ----------
    path : str or Path
        SPE 3.0 (LightField) or 2.x (WinSpec) file, opened read-only.

    Returns
    -------
    wavelength_nm : ndarray of shape (F, M)
        Wavelength of every pixel (the same for every frame), nm.
    counts : ndarray of shape (F, M)
        Counts per pixel.
    meta : dict
        Version, frames, exposure, temperature, calibration, instrument names.

    Raises
    ------
    UnsupportedError
        Images (several rows), several regions, or no wavelength calibration.
    InputError
        Missing, corrupt or truncated file.
    """
    path = existing_file(path)
    raw = path.read_bytes()
    if len(raw) < HEADER_BYTES:
        raise InputError(f"{path}: truncated SPE file: {len(raw)} bytes, shorter than the "
                         f"{HEADER_BYTES}-byte header.")
    with library_errors(path, "Princeton Instruments SPE"):
        (version,) = struct.unpack_from("<f", raw, 1992)
        if version >= 3.0:
            wl, counts, meta, disp = _read_spe3(raw, path)
        elif 1.0 <= version < 3.0:
            wl, counts, meta, disp = _read_spe2(raw, path, version)
        else:
            raise InputError(f"{path}: file_header_ver {version!r} at byte 1992 is not an SPE version; "
                             f"not an SPE file, or corrupt.")
    check_counts(path, counts, what="counts of the spectrum")
    check_wavelengths(path, wl)
    meta = {"format": "spe", "file": path.name, **meta,
            "wavelength_range_nm": [float(np.min(wl)), float(np.max(wl))],
            "counts_unit_in_file": "counts per pixel"}
    meta["_dispersion_nm_per_px"] = disp
    wl2 = np.broadcast_to(wl, counts.shape).copy()
    return wl2, counts, meta


def read_spe_spectra(path) -> list[Spectrum]:
    """Every frame of an ``.spe`` file as a Spectrum in counts per eV (ascending energy).

    Each Spectrum's ``meta`` holds the file's metadata plus ``frame`` (0-based) and
    ``wavelength_nm`` aligned with ``energy_eV``.
    """
    path = Path(path)
    wl, counts, meta = read_spe_raw(path)
    disp = meta.pop("_dispersion_nm_per_px")
    out = []
    for f in range(counts.shape[0]):
        with library_errors(path, "Princeton Instruments SPE"):
            energy, per_eV = pixel_spectrum_to_per_eV(wl[f], counts[f], dispersion_nm_per_px=disp)
        m = dict(meta)
        m["frame"] = f
        m["wavelength_nm"] = energy_eV_to_wavelength_nm(energy)
        m["counts_unit"] = "counts per eV (counts per pixel / |dλ/dpixel| × λ²/hc)"
        out.append(Spectrum(energy_eV=energy, counts=per_eV, meta=m))
    return out


def read_spe_spectrum(path, *, frame=None) -> Spectrum:
    """One spectrum (counts per eV) of an ``.spe`` file; ``frame`` (0-based) if it has several.

    Examples
    --------
    >>> read_spe_spectrum("missing.spe")
    Traceback (most recent call last):
    ...
    multiphoton.errors.InputError: missing.spe: file not found; ...
    """
    path = Path(path)
    return pick_frame(read_spe_spectra(path), frame, path)
