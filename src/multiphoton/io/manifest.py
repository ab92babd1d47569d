"""Reader of the experiment manifest (TOML, data contract section 2), strict.

Every table becomes a frozen, typed options object of :mod:`multiphoton.io.options`,
checked once here: unknown keys anywhere (top level, sample, ``icp``, measurement,
a ``files`` entry, reader options, prefixed ``irf_…`` options) are refused with the
nearest known key suggested; values are type- and range-checked; file paths are
resolved relative to the manifest and must exist. It does not open the measurement
files (that is the pipeline's job through the readers).
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .options import (FORMAT_NAMES, KINDS, OPTIONS_BY_KIND, READER_OPTIONS, IcpOptions,
                      MeasurementOptions, SampleOptions, SeriesFile)
from .schema import check_keys, known_keys, nearest, parse_table, unknown_key_error

__all__ = ["Manifest", "read_manifest", "KINDS", "TOP_LEVEL_KEYS"]

TOP_LEVEL_KEYS = ("name", "notes", "standards", "sample", "measurement")
"""Keys allowed at the top of a manifest."""

_SIZE_KEYS = ("core_diameter_nm", "shell_thickness_nm", "icp")


@dataclass(frozen=True)
class Manifest:
    """The whole manifest: campaign name, samples, measurements, its path and text."""

    name: str
    samples: dict[str, SampleOptions]
    measurements: tuple[MeasurementOptions, ...]
    path: Path
    text: str
    standards: Path | None = None


def _pair(value, where: str, key: str) -> tuple[float, float]:
    """``[mean, std]`` or a plain number → (mean, std), std ≥ 0, mean > 0 (TEM sizes)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v, s = float(value), 0.0
    elif (isinstance(value, list) and len(value) == 2
          and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)):
        v, s = float(value[0]), float(value[1])
    else:
        raise InputError(f"{where}, key {key!r}: expected a number or [mean, std] in nm, got {value!r}.")
    if not (math.isfinite(v) and math.isfinite(s)) or s < 0:
        raise InputError(f"{where}, key {key!r}: mean and std must be finite and std ≥ 0, got {value!r}.")
    if v <= 0:
        raise InputError(f"{where}, key {key!r}: must be > 0 nm, got {v:g}.")
    return v, s


def _sample(raw, i: int, path: Path) -> SampleOptions:
    where = f"{path}: sample #{i + 1}"
    if not isinstance(raw, dict) or "id" not in raw:
        raise InputError(f"{where}: every [[sample]] needs an id = \"…\".")
    where = f"{path}: sample {str(raw['id'])!r}"
    given: dict[str, Any] = {}
    if "core_diameter_nm" in raw:
        given["core_diameter_nm"] = _pair(raw["core_diameter_nm"], where, "core_diameter_nm")
    shells = raw.get("shell_thickness_nm", [])
    if not isinstance(shells, list) or (len(shells) == 2 and all(isinstance(x, (int, float)) for x in shells)
                                         and not isinstance(shells[0], list) and "layers" in raw
                                         and len(raw["layers"]) != 2):
        raise InputError(f"{where}, key 'shell_thickness_nm': expected a list with one [mean, std] per "
                         "layer after the core, e.g. [[2.1, 0.3], [1.1, 0.4]].")
    given["shell_thickness_nm"] = tuple(_pair(s, where, f"shell_thickness_nm[{k}]") for k, s in enumerate(shells))
    if "icp" in raw:
        if not isinstance(raw["icp"], dict):
            raise InputError(f"{where}: [sample.icp] must be a table.")
        given["icp"] = parse_table(IcpOptions, raw["icp"], f"{where}, [sample.icp]")
    spec = parse_table(SampleOptions, raw, where, extra=_SIZE_KEYS, given=given)
    if spec.core_diameter_nm is not None and spec.layers and len(spec.layers) != len(spec.shell_thickness_nm) + 1:
        raise InputError(f"{where}: {len(spec.layers)} layers but {len(spec.shell_thickness_nm)} shell "
                         "thicknesses; give one shell_thickness_nm per layer after the core.")
    return spec


def _file(base: Path, value, where: str, key: str) -> Path:
    if not isinstance(value, str):
        raise InputError(f"{where}, key {key!r}: expected a file path (text), got {value!r}.")
    p = (base / value).resolve()
    if not p.is_file():
        raise InputError(f"{where}, key {key!r}: file {value!r} not found (looked for {p}); "
                         "paths are relative to the manifest.")
    return p


def _format(value, where: str, key: str) -> str:
    if not isinstance(value, str) or value.lower() not in FORMAT_NAMES:
        guess = nearest(str(value).lower(), FORMAT_NAMES)
        hint = f"; did you mean {guess!r}?" if guess else ""
        raise InputError(f"{where}, key {key!r}: unknown format {value!r}; use one of "
                         f"{', '.join(FORMAT_NAMES)}{hint}")
    return value.lower()


def _series(cls, raw_files, base: Path, where: str, defaults: dict) -> tuple[SeriesFile, ...]:
    group = cls.SERIES
    if not isinstance(raw_files, list) or not raw_files or not all(isinstance(e, dict) for e in raw_files):
        raise InputError(f"{where}, key 'files': expected a list of tables like "
                         f"{{ file = \"a.ptu\", {group} = 0.2 }}.")
    container = "irf" if cls.KIND == "trpl_series" else "pl_spectrum"
    allowed = {"file", group, "notes", "format", *READER_OPTIONS.get(container, ())}
    out = []
    for k, e in enumerate(raw_files):
        here = f"{where}, files[{k}]"
        for key in e:
            if key not in allowed:
                raise unknown_key_error(key, here, allowed)
        if "file" not in e:
            raise InputError(f"{here}: each entry needs file = \"…\".")
        if group not in e:
            raise InputError(f"{here}: each entry needs {group} = … beside its file.")
        value = e[group]
        if (not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value)
                or (group != "time_s" and value <= 0)):
            raise InputError(f"{here}, key {group!r}: expected a number"
                             f"{' > 0' if group != 'time_s' else ''}, got {value!r}.")
        opts = {**defaults, **{kk: vv for kk, vv in e.items() if kk in READER_OPTIONS.get(container, ())}}
        fmt = _format(e["format"], here, "format") if "format" in e else None
        out.append(SeriesFile(_file(base, e["file"], here, "file"), float(value), opts, fmt))
    values = sorted(s.value for s in out)
    if any(a == b for a, b in zip(values, values[1:])):
        raise InputError(f"{where}, key 'files': two entries have the same {group}; each must differ.")
    return tuple(out)


def _measurement(raw, i: int, path: Path, samples: dict[str, SampleOptions],
                 standards: Path | None = None) -> MeasurementOptions:
    where = f"{path}: measurement #{i + 1}"
    if not isinstance(raw, dict):
        raise InputError(f"{where}: must be a table.")
    for key in ("sample", "kind"):
        if key not in raw:
            raise InputError(f"{where}: the key {key!r} is required.")
    kind = raw["kind"]
    if kind not in OPTIONS_BY_KIND:
        guess = nearest(str(kind), KINDS)
        hint = f"did you mean {guess!r}? " if guess else ""
        raise InputError(f"{where}: unknown kind {kind!r}; {hint}use one of {', '.join(KINDS)}.")
    sid = str(raw["sample"])
    if sid not in samples:
        guess = nearest(sid, samples)
        hint = f"did you mean {guess!r}, or " if guess else ""
        raise InputError(f"{where}: sample {sid!r} is not defined; {hint}add a [[sample]] with id = \"{sid}\" "
                         f"(defined: {', '.join(samples) or 'none'}).")
    cls = OPTIONS_BY_KIND[kind]
    where = f"{path}: measurement #{i + 1} ({kind}, sample {sid})"
    base = path.parent
    extra = _extra_keys(cls)
    check_keys(raw, known_keys(cls) | extra, where)
    typed = _fields(cls)
    readers: dict[str, dict[str, Any]] = {}
    formats: dict[str, str] = {}
    for key, value in raw.items():
        if key in typed or key in ("sample", "kind", "files") or key in cls.FILES \
                or key in getattr(cls, "EXTRA_KEYS", ()):
            continue
        for fk in cls.FILES:
            prefix = "" if fk == "file" else f"{fk}_"
            if not key.startswith(prefix):
                continue
            name = key[len(prefix):]
            if name == "format":
                formats[fk] = _format(value, where, key)
            elif name in _reader_keys(cls, fk):
                readers.setdefault(fk, {})[name] = value
    files = {k: _file(base, raw[k], where, k) for k in cls.FILES if k in raw}
    series: tuple[SeriesFile, ...] = ()
    if "files" in raw:
        if "file" in raw:
            raise InputError(f"{where}: give `file` or `files`, not both.")
        series = _series(cls, raw["files"], base, where, readers.get("file", {}))
    missing = [k for k in cls.REQUIRED_FILES if k not in files and not (k == "file" and series)]
    if missing:
        if cls.REQUIRED_FILES == ("file",):
            alt = " (or 'files' for a series of vendor files)" if cls.SERIES else ""
            raise InputError(f"{where}: the key 'file' is required{alt}.")
        raise InputError(f"{where}: a {kind} measurement needs the files {', '.join(cls.REQUIRED_FILES)}; "
                         f"missing {', '.join(missing)}.")
    given = dict(sample=sid, kind=kind, index=i, manifest=path, files=files, series=series,
                 formats=formats, reader_options=readers, standards=standards)
    if hasattr(cls, "parse_extra"):
        given.update(cls.parse_extra(raw, base, where))
    return parse_table(cls, raw, where, extra=extra, given=given)


def _extra_keys(cls) -> set[str]:
    """The keys of a measurement of class ``cls`` besides its typed options: sample, kind,
    file keys, ``files``, ``format`` and reader options (prefixed for other file keys)."""
    keys = {"sample", "kind", *cls.FILES, *getattr(cls, "EXTRA_KEYS", ())}
    if cls.SERIES:
        keys.add("files")
    for fk in cls.FILES:
        prefix = "" if fk == "file" else f"{fk}_"
        keys |= {prefix + name for name in ("format", *_reader_keys(cls, fk))}
    return keys


def _reader_keys(cls, key: str) -> set[str]:
    """Reader options that apply to file key ``key`` of a measurement of class ``cls``."""
    valid = set(READER_OPTIONS.get(cls.FILES[key] or cls.KIND, ()))
    if key == "file" and cls.SERIES:  # single files of a `files = [...]` series
        valid |= set(READER_OPTIONS["irf" if cls.KIND == "trpl_series" else "pl_spectrum"])
    return valid


def _fields(cls) -> set[str]:
    from dataclasses import fields

    return {f.name for f in fields(cls) if "type" in f.metadata}


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: the manifest is not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
            "TOML files are UTF-8: re-save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)."
        ) from None


def _todos(raw, where: str) -> list[str]:
    """Where the manifest still holds a ``"TODO"`` placeholder (written by ``multiphoton init``)."""
    out: list[str] = []
    if isinstance(raw, dict):
        for k, v in raw.items():
            if isinstance(v, str) and v.strip().upper().startswith("TODO"):
                out.append(f"{where}{k}")
            else:
                out += _todos(v, f"{where}{k}.")
    elif isinstance(raw, list):
        for i, v in enumerate(raw):
            label = {"sample.": "sample", "measurement.": "measurement"}.get(where)
            out += _todos(v, f"{label} #{i + 1}: " if label else f"{where[:-1]}[{i}].")
    return out


def read_manifest(path) -> Manifest:
    """Parse and validate an experiment manifest.

    Returns
    -------
    Manifest
        With one :class:`~multiphoton.io.options.SampleOptions` per sample and one
        options object of its kind per measurement.

    Raises
    ------
    InputError
        When the file is missing, not UTF-8 or not valid TOML, a key is unknown (the
        nearest known key is suggested), a value has the wrong type or range, or a
        file it names does not exist; the message names the manifest, entry and key.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise InputError(f"{path}: manifest not found.")
    text = _decode(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc}); fix the syntax at that line.") from exc
    todos = _todos(raw, "")
    if todos:
        raise InputError(f"{path}: {len(todos)} value(s) are still \"TODO\" placeholders (left by "
                         f"`multiphoton init` for values the files do not give): {'; '.join(todos)}. "
                         "Replace each with its value (see the comment beside it).")
    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            raise unknown_key_error(key, f"{path} (top level)", TOP_LEVEL_KEYS)
    name = raw.get("name", path.stem)
    if not isinstance(name, str):
        raise InputError(f"{path}, key 'name': expected text, got {name!r}.")
    samples_raw = raw.get("sample", [])
    if not isinstance(samples_raw, list) or not samples_raw:
        raise InputError(f"{path}: no [[sample]] defined; a manifest needs at least one sample.")
    samples: dict[str, SampleOptions] = {}
    for i, s in enumerate(samples_raw):
        spec = _sample(s, i, path)
        if spec.id in samples:
            raise InputError(f"{path}: sample id {spec.id!r} is defined twice; ids must be unique.")
        samples[spec.id] = spec
    meas_raw = raw.get("measurement", [])
    if not isinstance(meas_raw, list):
        raise InputError(f"{path}: [[measurement]] entries must be an array of tables.")
    standards = _standards(raw, path)
    measurements = tuple(_measurement(m, i, path, samples, standards) for i, m in enumerate(meas_raw))
    names: dict[str, MeasurementOptions] = {}
    for m in measurements:
        if m.name is not None:
            if m.name in names:
                raise InputError(f"{path}: {m.where} and {names[m.name].where} share the name {m.name!r}; "
                                 "names must be unique.")
            names[m.name] = m
    for m in measurements:
        ref = getattr(m, "beam_radius_from", None)
        if ref is None:
            continue
        knife = names.get(ref)
        if knife is None or knife.kind != "knife_edge" or knife.sample != m.sample:
            have = [n for n, k in names.items() if k.kind == "knife_edge" and k.sample == m.sample]
            raise InputError(f"{path}: {m.where}, key 'beam_radius_from': no knife_edge measurement of sample "
                             f"{m.sample!r} is named {ref!r} (knife edges of this sample: "
                             f"{', '.join(have) or 'none'}); add `name = \"{ref}\"` to it.")
        if m.beam_radius_um is not None:
            raise InputError(f"{path}: {m.where}: give beam_radius_um or beam_radius_from, not both.")
    return Manifest(name, samples, measurements, path, text, standards)


def _standards(raw: dict, path: Path) -> Path | None:
    """The lab's standards file (``standards = "my_dyes.toml"``), checked now as strictly as
    the manifest; None when not given."""
    if "standards" not in raw:
        return None
    from .. import standards

    std_path = _file(path.parent, raw["standards"], f"{path} (top level)", "standards")
    standards.load_library(std_path)
    return std_path
