"""Manifest → measurements → analyses → Results: the only glue.

:func:`analyze` reads the manifest, loads each measurement through the readers, runs
the analyses of each kind (in the order of :data:`multiphoton.io.manifest.KINDS`, so that
σ₂ and the PL peak exist before the ASE analysis needs them), and gathers every
quantity into a :class:`~multiphoton.results.Results`. :func:`write_outputs` writes the
output directory atomically.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..data import Decay, DecaySeries, SpectrumSeries
from ..errors import InputError
from ..io import tidy
from ..io.manifest import KINDS, Manifest, Measurement, SampleSpec, read_manifest
from ..results import Estimate, Results

__all__ = ["Context", "analyze", "write_outputs", "estimate_from_ufloat"]

log = logging.getLogger(__name__)

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
}

# Manifest keys passed on to the vendor readers, per kind of container read (docs/formats.md).
# A key applies to the measurement's `file`/`files`; prefixed with another file key and "_"
# (e.g. `irf_block = 1`) it applies to that file instead.
_READER_OPTIONS = {
    "irf": ("channel", "block", "gate_ns", "acquisition_window_s"),
    "pl_spectrum": ("frame",),
    "ta_map": ("layout", "spectral_axis", "delay_unit", "encoding"),
    "trpl_series": ("fluence_mJ_cm2", "fluence_per_power_mJ_cm2", "meta_rows", "time_unit"),
}

# Which container a file key holds when the kind is not the measurement's own.
_KEY_KINDS = {"irf": "irf", "ground_state": "absorption", "sample_2p": "pl_fluence_series",
              "reference_2p": "pl_fluence_series", "sample_1p": "pl_spectrum", "reference_1p": "pl_spectrum"}


def estimate_from_ufloat(u, *, method: str, unit: str = "", **kwargs) -> Estimate:
    """An :class:`Estimate` from an ``uncertainties`` number (or a plain float, stderr 0)."""
    value = float(getattr(u, "nominal_value", u))
    stderr = float(getattr(u, "std_dev", 0.0))
    return Estimate(value=value, stderr=stderr, method=method, unit=unit, **kwargs)


class Context:
    """What a glue function may use: loading, earlier quantities, and the Results.

    Attributes
    ----------
    manifest : Manifest
    results : Results
    """

    def __init__(self, manifest: Manifest, results: Results):
        self.manifest = manifest
        self.results = results
        self._uvalues: dict[tuple[str, str], Any] = {}
        self._cache: dict[tuple, Any] = {}
        self.store: dict[tuple[str, str], Any] = {}
        """Free-form per-sample objects shared between glue functions (e.g. absorption spectra)."""

    # -- samples and quantities ------------------------------------------------------
    def sample(self, sample_id: str) -> SampleSpec:
        """The manifest's sample ``sample_id``."""
        return self.manifest.samples[sample_id]

    def quantity(self, sample_id: str, name: str) -> Estimate | None:
        """An Estimate computed earlier in this run, or None."""
        return self.results.samples.get(sample_id, {}).get(name)

    def uvalue(self, sample_id: str, name: str):
        """The ``uncertainties`` number behind a quantity (keeps correlations), or None."""
        return self._uvalues.get((sample_id, name))

    def set(self, sample_id: str, name: str, estimate: Estimate, u=None) -> None:
        """Record a quantity (and optionally its correlated ``uncertainties`` number)."""
        self.results.add(sample_id, name, estimate)
        if u is not None and estimate.success:
            self._uvalues[(sample_id, name)] = u

    # -- loading -----------------------------------------------------------------------
    def load(self, m: Measurement, key: str = "file", kind: str | None = None):
        """The data container behind file key ``key`` of measurement ``m`` (None if absent)."""
        kind = kind or (_KEY_KINDS.get(key) if key != "file" else m.kind)
        if key == "file" and m.series:
            return self._load_series(m, kind)
        path = m.files.get(key)
        if path is None:
            return None
        cache_key = (path, kind, tuple(sorted((k, repr(v)) for k, v in m.options.items())))
        if cache_key not in self._cache:
            self._cache[cache_key] = _read(path, kind, m, key=key)
        return self._cache[cache_key]

    def _load_series(self, m: Measurement, kind: str):
        items = []
        for k, (path, extra) in enumerate(m.series):
            where = f"{m.where}, files[{k}]"
            group = "time_s" if kind == "time_series" else "fluence_mJ_cm2"
            if group not in extra:
                raise InputError(f"{where}: each entry needs {group} = … beside its file.")
            value = extra[group]
            if not isinstance(value, (int, float)) or isinstance(value, bool) or (group != "time_s" and value <= 0):
                raise InputError(f"{where}, key {group!r}: expected a number > 0, got {value!r}.")
            obj = _read(path, "irf" if kind == "trpl_series" else "pl_spectrum", m)
            items.append((float(value), obj, path))
        items.sort(key=lambda t: t[0])
        values = np.array([t[0] for t in items])
        if np.any(np.diff(values) == 0):
            raise InputError(f"{m.where}: two files have the same fluence/time; each must differ.")
        first = items[0][1]
        axis = first.time_ns if isinstance(first, Decay) else first.energy_eV
        for v, obj, path in items[1:]:
            other = obj.time_ns if isinstance(obj, Decay) else obj.energy_eV
            if other.shape != axis.shape or not np.allclose(other, axis, rtol=1e-9, atol=0):
                raise InputError(f"{path}: its axis differs from {items[0][2]}'s; all files of one "
                                 "series must share the same time or energy grid.")
        stack = np.stack([obj.counts for _, obj, _ in items])
        meta = {"sources": [str(p) for _, _, p in items], "files_meta": [dict(o.meta) for _, o, _ in items]}
        if kind == "trpl_series":
            return DecaySeries(values, axis, stack, meta=meta)
        if kind == "time_series":
            from ..data import SpectralTimeSeries
            return SpectralTimeSeries(values, axis, stack, meta=meta)
        return SpectrumSeries(values, axis, stack, meta=meta)


def _format_of(path: Path, m: Measurement, key: str = "file") -> str:
    fmt = m.options.get("format" if key in ("file", "files") else f"{key}_format")
    if fmt:
        return str(fmt).lower()
    return "csv" if path.suffix.lower() == ".csv" else "vendor"


def _reader_options(m: Measurement, kind: str, key: str) -> dict:
    """The vendor-reader options of the manifest that apply to file key ``key``."""
    valid = _READER_OPTIONS.get(kind, ())
    if key in ("file", "files"):
        return {k: v for k, v in m.options.items() if k in valid}
    prefix = f"{key}_"
    return {k[len(prefix):]: v for k, v in m.options.items() if k.startswith(prefix) and k[len(prefix):] in valid}


def _read(path: Path, kind: str, m: Measurement, *, key: str = "file"):
    """Read one file as the container of ``kind`` (tidy CSV or a vendor format)."""
    fmt = _format_of(path, m, key)
    if fmt in ("csv", "tidy"):
        return _TIDY_READERS[kind](path)
    from ..io import vendor  # vendor formats: PTU, SDT, SIF, SPE, TA ASCII, text exports

    reader_opts = _reader_options(m, kind, key)
    fmt_arg = None if fmt == "vendor" else fmt
    readers = {"irf": vendor.read_decay, "trpl_series": vendor.read_decay_series,
               "pl_spectrum": vendor.read_spectrum, "ta_map": vendor.read_ta_map}
    if kind not in readers:
        raise InputError(f"{m.where}: {path.name}: a {kind} cannot be read from a {fmt} file; "
                         "give it as the data contract's CSV, or as `files = [...]` of single spectra.")
    try:
        return readers[kind](path, fmt=fmt_arg, **reader_opts)
    except InputError as exc:
        raise type(exc)(f"{m.where}, key {key!r}: {exc}") from exc


def _handlers() -> dict[str, Callable[[Measurement, Context], None]]:
    from . import emission, gain, table1

    return {
        "absorption": table1.run_absorption,
        "pl_spectrum": table1.run_pl_spectrum,
        "tpef": table1.run_tpef,
        "pl_fluence_series": table1.run_pl_fluence_series,
        "trpl_series": emission.run_trpl_series,
        "ase_series": emission.run_ase_series,
        "ta_map": gain.run_ta_map,
        "laser_series": gain.run_laser_series,
        "time_series": gain.run_time_series,
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def analyze(manifest_path, *, only: Iterable[str] | None = None,
            progress: Callable[[str], None] | None = None) -> Results:
    """Run every analysis the manifest's measurements allow.

    Parameters
    ----------
    manifest_path : path-like
        The experiment TOML (data contract section 2).
    only : iterable of str, optional
        Keep only these quantities in the Results (every analysis still runs, since
        some need others: ⟨N⟩ at threshold needs σ₂).
    progress : callable, optional
        Called with a short label before each step.

    Returns
    -------
    Results

    Raises
    ------
    InputError
        Bad input anywhere (the message names the file, row or field and what to do).
    """
    from . import table1

    manifest = read_manifest(manifest_path)
    results = Results(name=manifest.name, manifest_text=manifest.text,
                      software={"name": "multiphoton", "version": __version__})
    ctx = Context(manifest, results)
    handlers = _handlers()
    for sid, spec in manifest.samples.items():
        if progress:
            progress(f"{sid}: sizes and extinction")
        table1.run_sample(spec, ctx)
    ordered = sorted(manifest.measurements, key=lambda m: (KINDS.index(m.kind), m.index))
    for m in ordered:
        if progress:
            progress(f"{m.sample}: {m.kind} (#{m.index + 1})")
        handlers[m.kind](m, ctx)
    seen: set[Path] = set()
    base = manifest.path.parent
    for m in manifest.measurements:
        for p in list(m.files.values()) + [p for p, _ in m.series]:
            if p not in seen:
                seen.add(p)
                try:
                    rel = os.path.relpath(p, base)
                except ValueError:  # pragma: no cover - other drive on Windows
                    rel = str(p)
                results.inputs.append({"path": rel, "sha256": _sha256(p), "bytes": p.stat().st_size})
    if only is not None:
        keep = set(only)
        for sid in results.samples:
            results.samples[sid] = {q: e for q, e in results.samples[sid].items() if q in keep}
        results.warnings = [w for w in results.warnings if w.quantity in keep]
    return results


def write_outputs(results: Results, out_dir, *, force: bool = False, report: bool = True) -> dict[str, Path]:
    """Write results.json, plot_data.json, manifest.toml and the report into ``out_dir`` atomically.

    Everything is written to a temporary sibling directory first and renamed into place
    at the end, so a failure leaves no half-written output.

    Parameters
    ----------
    out_dir : path-like
        Output directory; must not exist or be empty unless ``force`` (then it is replaced).
    """
    out = Path(out_dir).resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise FileExistsError(f"{out} exists and is not empty; choose another --out or pass --force to replace it.")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        (tmp / "results.json").write_text(json.dumps(results.to_json(), indent=2, allow_nan=False) + "\n",
                                          encoding="utf-8")
        from ..results import _jsonable

        (tmp / "plot_data.json").write_text(json.dumps(_jsonable(results.plots), allow_nan=False) + "\n",
                                            encoding="utf-8")
        (tmp / "manifest.toml").write_text(results.manifest_text, encoding="utf-8")
        if report:
            from ..report import write_report

            write_report(results, tmp)
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, trash / out.name)
            os.replace(tmp, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {p.name: p for p in out.iterdir()}
