"""Reader of the experiment manifest (TOML, data contract section 2).

Validates structure and types and resolves file paths relative to the manifest; it
does not open the measurement files (that is :mod:`multiphoton.pipeline`'s job through
the readers).
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["Manifest", "SampleSpec", "Measurement", "read_manifest", "KINDS", "FILE_KEYS"]

KINDS = (
    "absorption",
    "pl_spectrum",
    "tpef",
    "pl_fluence_series",
    "trpl_series",
    "ase_series",
    "ta_map",
    "laser_series",
    "time_series",
)
"""Measurement kinds of the data contract, in the order the pipeline runs them."""

FILE_KEYS = ("file", "irf", "ground_state", "sample_2p", "reference_2p", "sample_1p", "reference_1p")
"""Manifest keys whose values are file paths (relative to the manifest)."""

_TPEF_KEYS = ("sample_2p", "reference_2p", "sample_1p", "reference_1p")


def _uncertain(value, where: str) -> tuple[float, float]:
    """``[value, std]`` or a plain number → (value, std)."""
    if isinstance(value, bool):
        raise InputError(f"{where}: expected a number or [value, std], got {value!r}.")
    if isinstance(value, (int, float)):
        v, s = float(value), 0.0
    elif isinstance(value, list) and len(value) == 2 and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in value
    ):
        v, s = float(value[0]), float(value[1])
    else:
        raise InputError(f"{where}: expected a number or [value, std], got {value!r}.")
    if not (math.isfinite(v) and math.isfinite(s)) or s < 0:
        raise InputError(f"{where}: value and std must be finite and std ≥ 0, got {value!r}.")
    return v, s


@dataclass(frozen=True)
class SampleSpec:
    """One ``[[sample]]`` of the manifest; sizes as (value, std) in nm or nm³."""

    id: str
    layers: tuple[str, ...] = ()
    core_diameter_nm: tuple[float, float] | None = None
    shell_thickness_nm: tuple[tuple[float, float], ...] = ()
    total_volume_nm3: tuple[float, float] | None = None
    cd_atoms_per_particle: tuple[float, float] | None = None
    icp: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Measurement:
    """One ``[[measurement]]``: sample id, kind, files (absolute paths) and the other keys."""

    sample: str
    kind: str
    index: int
    files: dict[str, Path]
    options: dict[str, Any]
    series: tuple[tuple[Path, dict[str, Any]], ...] = ()

    @property
    def where(self) -> str:
        """Where this measurement is in the manifest, for error messages."""
        return f"measurement #{self.index + 1} ({self.kind}, sample {self.sample})"

    def float(self, name: str, default=None) -> float:
        """The number under key ``name``; InputError naming it when absent or not a number."""
        if name not in self.options:
            if default is not None:
                return float(default)
            raise InputError(f"{self.where}: the key {name!r} is required; add `{name} = …` to it.")
        v, s = _uncertain(self.options[name], f"{self.where}, key {name!r}")
        return v

    def uncertain(self, name: str, default=None) -> tuple[float, float]:
        """``[value, std]`` or a plain number under key ``name`` as (value, std)."""
        if name not in self.options:
            if default is not None:
                return _uncertain(default, name)
            raise InputError(f"{self.where}: the key {name!r} is required; add `{name} = …` to it.")
        return _uncertain(self.options[name], f"{self.where}, key {name!r}")

    def str(self, name: str, default: str | None = None) -> str:
        """The string under key ``name`` (or ``default``)."""
        value = self.options.get(name, default)
        if value is None:
            raise InputError(f"{self.where}: the key {name!r} is required; add `{name} = \"…\"` to it.")
        if not isinstance(value, str):
            raise InputError(f"{self.where}, key {name!r}: expected text, got {value!r}.")
        return value


@dataclass(frozen=True)
class Manifest:
    """The whole manifest: campaign name, samples, measurements, its path and text."""

    name: str
    samples: dict[str, SampleSpec]
    measurements: tuple[Measurement, ...]
    path: Path
    text: str


def _sample(raw: dict, i: int, path: Path) -> SampleSpec:
    where = f"{path}: sample #{i + 1}"
    if not isinstance(raw, dict) or "id" not in raw:
        raise InputError(f"{where}: every [[sample]] needs an id = \"…\".")
    sid = str(raw["id"])
    where = f"{path}: sample {sid!r}"
    layers = raw.get("layers", [])
    if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
        raise InputError(f"{where}, key 'layers': expected a list of materials, core first, e.g. [\"CdS\", \"CdSe\", \"CdS\"].")
    core = _uncertain(raw["core_diameter_nm"], f"{where}, key 'core_diameter_nm'") if "core_diameter_nm" in raw else None
    shells_raw = raw.get("shell_thickness_nm", [])
    if not isinstance(shells_raw, list):
        raise InputError(f"{where}, key 'shell_thickness_nm': expected a list with one entry per shell.")
    shells = tuple(_uncertain(s, f"{where}, shell_thickness_nm[{k}]") for k, s in enumerate(shells_raw))
    vol = _uncertain(raw["total_volume_nm3"], f"{where}, key 'total_volume_nm3'") if "total_volume_nm3" in raw else None
    ncd = (_uncertain(raw["cd_atoms_per_particle"], f"{where}, key 'cd_atoms_per_particle'")
           if "cd_atoms_per_particle" in raw else None)
    if core is not None and layers and len(layers) != len(shells) + 1:
        raise InputError(
            f"{where}: {len(layers)} layers but {len(shells)} shell thicknesses; give one "
            "shell_thickness_nm per layer after the core."
        )
    if core is not None and core[0] <= 0:
        raise InputError(f"{where}, key 'core_diameter_nm': must be > 0 nm.")
    icp = raw.get("icp")
    if icp is not None:
        if not isinstance(icp, dict):
            raise InputError(f"{where}: [sample.icp] must be a table.")
        for key in ("cd_mol_per_L", "absorbance", "energy_eV", "path_cm"):
            if key not in icp:
                raise InputError(f"{where}, [sample.icp]: the key {key!r} is required.")
        icp = {
            "cd_mol_per_L": _uncertain(icp["cd_mol_per_L"], f"{where}, icp.cd_mol_per_L"),
            "absorbance": _uncertain(icp["absorbance"], f"{where}, icp.absorbance"),
            "energy_eV": _uncertain(icp["energy_eV"], f"{where}, icp.energy_eV")[0],
            "path_cm": _uncertain(icp["path_cm"], f"{where}, icp.path_cm")[0],
        }
    known = {"id", "layers", "core_diameter_nm", "shell_thickness_nm", "total_volume_nm3", "cd_atoms_per_particle", "icp"}
    return SampleSpec(sid, tuple(layers), core, shells, vol, ncd, icp, {k: v for k, v in raw.items() if k not in known})


def _measurement(raw: dict, i: int, path: Path, samples: dict[str, SampleSpec]) -> Measurement:
    where = f"{path}: measurement #{i + 1}"
    if not isinstance(raw, dict):
        raise InputError(f"{where}: must be a table.")
    for key in ("sample", "kind"):
        if key not in raw:
            raise InputError(f"{where}: the key {key!r} is required.")
    kind = raw["kind"]
    if kind not in KINDS:
        raise InputError(f"{where}: unknown kind {kind!r}; use one of {', '.join(KINDS)}.")
    sid = str(raw["sample"])
    if sid not in samples:
        raise InputError(
            f"{where}: sample {sid!r} is not defined; add a [[sample]] with id = \"{sid}\" "
            f"or use one of {', '.join(samples) or '(none defined)'}."
        )
    where = f"{path}: measurement #{i + 1} ({kind}, sample {sid})"
    base = path.parent
    files: dict[str, Path] = {}
    for key in FILE_KEYS:
        if key in raw:
            if not isinstance(raw[key], str):
                raise InputError(f"{where}, key {key!r}: expected a file path (text).")
            p = (base / raw[key]).resolve()
            if not p.is_file():
                raise InputError(f"{where}, key {key!r}: file {raw[key]!r} not found (looked for {p}); "
                                 "paths are relative to the manifest.")
            files[key] = p
    series: list[tuple[Path, dict[str, Any]]] = []
    if "files" in raw:
        entries = raw["files"]
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) and "file" in e for e in entries):
            raise InputError(f"{where}, key 'files': expected a list of tables like "
                             "{ file = \"a.ptu\", fluence_mJ_cm2 = 0.2 }.")
        for k, e in enumerate(entries):
            p = (base / str(e["file"])).resolve()
            if not p.is_file():
                raise InputError(f"{where}, files[{k}]: file {e['file']!r} not found (looked for {p}).")
            series.append((p, {kk: vv for kk, vv in e.items() if kk != "file"}))
    if kind == "tpef":
        missing = [k for k in _TPEF_KEYS if k not in files]
        if missing:
            raise InputError(f"{where}: a tpef measurement needs the files {', '.join(_TPEF_KEYS)}; "
                             f"missing {', '.join(missing)}.")
    elif "file" not in files and not series:
        raise InputError(f"{where}: the key 'file' is required (or 'files' for a series of vendor files).")
    options = {k: v for k, v in raw.items() if k not in ("sample", "kind", "files") + FILE_KEYS}
    return Measurement(sid, kind, i, files, options, tuple(series))


def read_manifest(path) -> Manifest:
    """Parse and validate an experiment manifest.

    Raises
    ------
    InputError
        When the file is missing, not valid TOML, or a sample or measurement is malformed;
        the message names the file, entry and key.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise InputError(f"{path}: manifest not found.")
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc}); fix the syntax at that line.") from exc
    samples_raw = raw.get("sample", [])
    if not isinstance(samples_raw, list) or not samples_raw:
        raise InputError(f"{path}: no [[sample]] defined; a manifest needs at least one sample.")
    samples: dict[str, SampleSpec] = {}
    for i, s in enumerate(samples_raw):
        spec = _sample(s, i, path)
        if spec.id in samples:
            raise InputError(f"{path}: sample id {spec.id!r} is defined twice; ids must be unique.")
        samples[spec.id] = spec
    meas_raw = raw.get("measurement", [])
    if not isinstance(meas_raw, list):
        raise InputError(f"{path}: [[measurement]] entries must be an array of tables.")
    measurements = tuple(_measurement(m, i, path, samples) for i, m in enumerate(meas_raw))
    return Manifest(str(raw.get("name", path.stem)), samples, measurements, path, text)
