"""A first manifest from a folder of measurement files (``multiphoton init FOLDER``).

:func:`scan_folder` looks at every file in a folder (and its sub-folders): it detects
the format (:func:`multiphoton.io.vendor.detect_format`, the data contract's CSV
header, a multi-column TRPL CSV), reads the header with the reader
(:func:`multiphoton.io.inspect.inspect_file`) and guesses the measurement kind, the
sample, and the fluence or attenuation of each file from its header or its name
(``OD1.0``, ``10%``, ``0.5mJcm2``, ``2mW``). :func:`write_manifest_text` groups the
files into samples and series and writes a commented ``experiment.toml`` in which
every guess carries a ``# guess:`` comment and every value the analysis needs but
the files do not give is the text ``"TODO"``. :func:`multiphoton.io.manifest.read_manifest`
refuses a manifest that still holds a ``"TODO"``, naming each one, so that nothing is
analysed on a made-up number.

Nothing is fitted; no file in the folder is modified.
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, MultiphotonError

__all__ = ["FileGuess", "scan_folder", "write_manifest_text", "init_folder", "TODO"]

TODO = "TODO"
"""The placeholder of a value to fill in; ``read_manifest`` refuses it by name."""

_SKIP_NAMES = {"experiment.toml", "truth.json", "results.json", "plot_data.json"}

# series value tokens in a file name: optical density, transmission, fluence, power
_OD = re.compile(r"(?<![A-Za-z])OD[_-]?(\d+(?:[.p]\d+)?)", re.I)
_FLUENCE = re.compile(r"(\d+(?:[.p]\d+)?)[_-]?(mJ|uJ|µJ)[_-]?(?:per[_-]?)?cm2", re.I)
_POWER = re.compile(r"(\d+(?:[.p]\d+)?)[_-]?(mW|uW|µW|nW)(?![A-Za-z])", re.I)
_TEMPERATURE = re.compile(r"(\d+(?:\.\d+)?)\s*K(?![A-Za-z])")


def _num(text: str) -> float:
    return float(text.replace("p", "."))


@dataclass
class FileGuess:
    """What :func:`scan_folder` found in one file.

    Attributes
    ----------
    path : Path
    format : str or None
        A format of :data:`multiphoton.io.vendor.FORMATS`, ``"csv"`` (the data
        contract's tidy CSV) or None (not recognised; the file is listed, not used).
    role : str or None
        ``decay``, ``decay_series``, ``spectrum``, ``spectrum_series``, ``absorption``,
        ``ta_map``, ``time_series``, ``irf`` or None.
    kind : str or None
        The measurement kind guessed.
    stem : str
        The file name without its series tokens (OD, power, trailing index): files of
        one series share it.
    sample : str
        The sample id guessed.
    relative : float or None
        Relative excitation (transmission 10^-OD, or power) read from the header or name.
    fluence_mJ_cm2 : float or None
        An absolute fluence read from the name.
    notes : list of str
        What the guess rests on (written as comments).
    options : dict
        Manifest keys guessed for the measurement (``excitation_nm``, ``frame``, …).
    why_not : str
        For a file not used: why.
    """

    path: Path
    format: str | None = None
    role: str | None = None
    kind: str | None = None
    stem: str = ""
    sample: str = ""
    relative: float | None = None
    fluence_mJ_cm2: float | None = None
    notes: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    why_not: str = ""


def _csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        row = next(csv.reader(fh), [])
    return [h.strip() for h in row]


def _tidy_role(path: Path, header: list[str]) -> tuple[str | None, str | None]:
    """Role and kind of a data contract CSV from its columns and its name."""
    cols, name = set(header), path.stem.lower()
    spectral = bool(cols & {"energy_eV", "wavelength_nm"})
    if {"delay_ps", "dA"} <= cols and spectral:
        return "ta_map", "ta_map"
    if "absorbance" in cols and spectral:
        return "absorption", "absorption"
    if {"z_mm", "transmittance"} <= cols:
        return "zscan", "zscan"
    if {"position_um", "power"} <= cols:
        return "knife_edge", "knife_edge"
    excitation = cols & {"fluence_mJ_cm2", "pulse_energy_uJ", "power_mW"}  # contract section 5
    if excitation and {"time_ns", "counts"} <= cols:
        return "decay_series", "trpl_series"
    if {"time_ns", "counts"} <= cols:
        return "irf", None
    if {"time_s", "counts"} <= cols and spectral:
        return "time_series", "time_series"
    if excitation and "counts" in cols and spectral:
        for word, kind in (("tpef", "tpef"), ("laser", "laser_series"), ("ase", "ase_series")):
            if word in name:
                return "spectrum_series", kind
        return "spectrum_series", "pl_fluence_series"
    if "counts" in cols and spectral:
        return "spectrum", "tpef" if "tpef" in name else "pl_spectrum"
    return None, None


def _stem(name: str) -> str:
    """The file name without OD/power/fluence tokens and a trailing index: the series name."""
    s = Path(name).stem
    for rx in (_OD, _FLUENCE, _POWER):
        s = rx.sub("", s)
    s = re.sub(r"[_\-. ]*\d+$", "", s)
    s = re.sub(r"[_\-. ]+$", "", s)
    return s or Path(name).stem


def _tokens(g: FileGuess, text: str, source: str) -> None:
    """Fluence, OD or power read from ``text`` (a file name or header value)."""
    if g.fluence_mJ_cm2 is None and (m := _FLUENCE.search(text)):
        scale = 1.0 if m.group(2).lower() == "mj" else 1e-3
        g.fluence_mJ_cm2 = _num(m.group(1)) * scale
        g.notes.append(f"fluence {g.fluence_mJ_cm2:g} mJ/cm² read from the {source} ({m.group(0)!r})")
    if g.relative is None and (m := _OD.search(text)):
        od = _num(m.group(1))
        g.relative = 10.0 ** -od
        g.notes.append(f"attenuation {m.group(0)!r} in the {source}: transmission 10^-{od:g} = {g.relative:g}")
    if g.relative is None and (m := _POWER.search(text)):
        g.relative = _num(m.group(1)) * {"mw": 1.0, "uw": 1e-3, "µw": 1e-3, "nw": 1e-6}[m.group(2).lower()]
        g.notes.append(f"power {m.group(0)!r} in the {source}")


def _guess_vendor(g: FileGuess, info: dict) -> None:
    meta, fmt = info["meta"], info["format"]
    name = g.path.name.lower()
    if fmt in ("ptu", "sdt", "fluotime-dat"):
        if fmt == "ptu" and meta.get("measurement_mode") != "T3":
            g.role, g.why_not = None, "a T2 PTU file holds no start-stop times, so no decay"
            return
        g.role = "irf" if "irf" in name else "decay"
        g.kind = None if g.role == "irf" else "trpl_series"
        if fmt == "ptu" and len(meta.get("channels", [])) > 1:
            g.options["channel"] = TODO
            g.notes.append(f"photons on channels {meta['channels']}: choose one (or \"sum\")")
        if fmt == "sdt" and info["axes"].get("block", {}).get("size", 1) > 1:
            g.options["block"] = TODO
            g.notes.append(f"{info['axes']['block']['size']} blocks in the file: choose one (0-based)")
        if meta.get("excitation_wavelength_nm"):
            g.options["excitation_nm"] = float(meta["excitation_wavelength_nm"])
        if meta.get("exc_transmission") is not None and meta.get("attenuation_od") is not None:
            g.relative = float(meta["exc_transmission"])
            g.notes.append(f"header Exc_Attenuation {meta.get('exc_attenuation')!r}: transmission "
                           f"{g.relative:g} (OD{float(meta['attenuation_od']):.1f})")
        if meta.get("sample"):
            g.sample = _stem(str(meta["sample"]))
            _tokens(g, str(meta["sample"]), "header Sample")
    elif fmt in ("sif", "spe"):
        frames = info["axes"]["frame"]["size"]
        g.role, g.kind = "spectrum", "pl_spectrum"
        if frames > 1:
            g.options["frame"] = TODO
            g.notes.append(f"{frames} frames (a kinetic series): choose the frame to analyse, 0–{frames - 1}")
        original = str(meta.get("original_filename", "")).replace("\\", "/").rsplit("/", 1)[-1]
        if original:
            g.notes.append(f"recorded as {original!r}")
            _tokens(g, original, "recorded file name")
            if m := _TEMPERATURE.search(original.replace("k", "K")):
                g.notes.append(f"temperature {m.group(1)} K in the recorded name")
    elif fmt == "ta-ascii":
        g.role, g.kind = "ta_map", "ta_map"


def _guess_file(path: Path) -> FileGuess:
    from .inspect import inspect_file
    from .trpl_text import read_trpl_csv_raw
    from .vendor import detect_format

    g = FileGuess(path=path, stem=_stem(path.name))
    try:
        fmt = detect_format(path)
    except InputError:
        fmt = None
    if fmt is None and path.suffix.lower() == ".csv":
        header = _csv_header(path)
        role, kind = _tidy_role(path, header)
        if role is not None:
            g.format, g.role, g.kind = "csv", role, kind
            g.notes.append(f"data contract CSV with columns {', '.join(header)}")
        else:
            try:
                _, counts, meta = read_trpl_csv_raw(path)
            except MultiphotonError:
                g.why_not = f"a CSV whose columns ({', '.join(header[:6])}) are not the data contract's"
            else:
                g.format, g.role, g.kind = "trpl-csv", "decay_series", "trpl_series"
                g.notes.append(f"multi-column TRPL CSV: {counts.shape[0]} transients, metadata rows "
                               f"{', '.join(meta['meta_rows'])}")
                if "laser_power" in meta:
                    powers = ", ".join(f"{p:.3g}" for p in meta["laser_power"])
                    g.notes.append(f"laser_power row (unit not stated): {powers}")
                    g.options["fluence_per_power_mJ_cm2"] = TODO
                else:
                    g.options["fluence_mJ_cm2"] = TODO
    elif fmt is not None:
        g.format = fmt
        try:
            info = inspect_file(path, fmt=fmt)
        except MultiphotonError as exc:
            g.why_not = f"{fmt} file its reader refuses: {exc}"
            return g
        _guess_vendor(g, info)
    else:
        g.why_not = "format not recognised (formats: docs/formats.md)"
    if g.kind or g.role:
        _tokens(g, path.name, "file name")
    return g


def scan_folder(folder) -> list[FileGuess]:
    """Guess what every file in ``folder`` (recursively, hidden files skipped) holds.

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    list of FileGuess
        Sorted by path; files not recognised have ``role`` None and ``why_not`` set.

    Raises
    ------
    InputError
        When ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder; `multiphoton init` takes the folder of measurement files.")
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if not p.is_file() or any(part.startswith(".") for part in rel.parts) or p.name in _SKIP_NAMES:
            continue
        out.append(_guess_file(p))
    stems = [(g.path.parent, g.stem) for g in out if g.role]
    for g in out:
        if not g.sample:
            rel = g.path.relative_to(folder)
            alone = stems.count((g.path.parent, g.stem)) == 1
            g.sample = rel.parts[0] if len(rel.parts) > 1 else (g.path.stem if alone else g.stem)
    return out


def _toml(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


class _Writer:
    def __init__(self, folder: Path, manifest: Path):
        self.lines: list[str] = []
        self.todos: list[str] = []
        self.base = manifest.parent
        self.folder = folder

    def rel(self, p: Path) -> str:
        """Relative to the manifest when the manifest is in the folder scanned, else absolute."""
        p, base = p.resolve(), self.base.resolve()
        return p.relative_to(base).as_posix() if p.is_relative_to(base) else p.as_posix()

    def comment(self, text: str, indent: str = "") -> None:
        self.lines.append(f"{indent}# {text}")

    def key(self, key: str, value, *, guess: str = "", todo: str = "", where: str = "") -> None:
        line = f"{key} = {_toml(value)}"
        if value == TODO:
            self.todos.append(f"{where}: {key}" + (f" ({todo})" if todo else ""))
            line += f"  # TODO: {todo}" if todo else "  # TODO"
        elif guess:
            line += f"  # guess: {guess}"
        self.lines.append(line)


def _series_entries(w: _Writer, files: list[FileGuess], where: str, group: str = "fluence_mJ_cm2") -> None:
    """``files = [...]`` with each file's fluence (a guess from the name, or a TODO)."""
    ref = max((g.relative for g in files if g.relative is not None), default=None)
    w.lines.append("files = [")
    for k, g in enumerate(files):
        entry = f'    {{ file = {_toml(w.rel(g.path))}, {group} = '
        if g.fluence_mJ_cm2 is not None:
            entry += f"{g.fluence_mJ_cm2!r} }},  # guess: {'; '.join(g.notes)}"
        else:
            note = "; ".join(g.notes) or "nothing in the name or header gives it"
            if g.relative is not None and ref:
                note += f"; {g.relative / ref:g} × the fluence of the strongest file"
            entry += f'"{TODO}" }},  # TODO: fluence in mJ/cm² ({note})'
            w.todos.append(f"{where}: files[{k}] {group} ({g.path.name})")
        w.lines.append(entry)
    w.lines.append("]")


def _measurement(w: _Writer, sample: str, kind: str, files: list[FileGuess], irf: FileGuess | None,
                 index: int, ground: FileGuess | None = None) -> None:
    where = f"measurement #{index} ({kind}, sample {sample})"
    first = files[0]
    w.lines += ["", "[[measurement]]"]
    w.key("sample", sample)
    w.key("kind", kind, guess=f"{first.role} from {first.format or 'unknown'} data")
    series_kind = kind in ("trpl_series", "pl_fluence_series", "ase_series", "laser_series")
    vendor_series = series_kind and first.format not in ("csv", "trpl-csv")
    if vendor_series:
        _series_entries(w, files, where)
    else:
        w.key("file", w.rel(first.path))
        if first.format not in (None, "csv"):
            w.key("format", first.format)
        for note in first.notes:
            w.comment(note)
    opts: dict[str, Any] = {}
    for g in files:
        for k, v in g.options.items():
            opts.setdefault(k, v)
    todo_text = {"channel": "detector channel of the decay", "block": "SDT block of the decay",
                 "frame": "0-based frame of the spectrum", "fluence_per_power_mJ_cm2":
                 "fluence per unit of the laser_power row, mJ/cm² (from spot size and repetition rate)",
                 "fluence_mJ_cm2": "pump fluence of each transient column, mJ/cm²"}
    for k, v in opts.items():
        w.key(k, v, guess="from the file header" if k == "excitation_nm" else "",
              todo=todo_text.get(k, ""), where=where)
    if irf is not None:
        w.key("irf", w.rel(irf.path), guess=f"{irf.path.name}: a decay named IRF in the same series")
    if kind == "ta_map" and ground is not None:
        w.key("ground_state", w.rel(ground.path), guess="the film absorption beside the TA map")
    if kind == "tpef":
        for key, todo in (("reference", "the reference dye (standards library, e.g. \"rhodamine-6g\")"),
                          ("excitation_eV", "two-photon excitation photon energy, eV"),
                          ("excitation_1p_eV", "one-photon excitation photon energy, eV")):
            w.key(key, TODO, todo=todo, where=where)
    if kind == "zscan":
        for key, todo in (("excitation_eV", "pump photon energy, eV"), ("pulse_fwhm_fs", "pulse FWHM, fs"),
                          ("pulse_energy_nJ", "pulse energy [value, std], nJ"),
                          ("beam_waist_um", "1/e² beam radius at focus [value, std], µm"),
                          ("path_cm", "cell path length, cm"),
                          ("particle_concentration_M", "particle concentration [value, std], mol/L")):
            w.key(key, TODO, todo=todo, where=where)
    if kind in ("pl_fluence_series", "ase_series", "laser_series") and "excitation_nm" not in opts:
        w.comment("excitation_eV = …  (optional: the pump photon energy, used for ⟨N⟩)")


def _tpef_files(files: list[FileGuess]) -> dict[str, FileGuess]:
    out = {}
    for g in files:
        n = g.path.stem.lower()
        who = "reference" if "ref" in n else "sample"
        photons = "1p" if ("1p" in n or g.role == "spectrum") else "2p"
        out[f"{who}_{photons}"] = g
    return out


def write_manifest_text(guesses: list[FileGuess], folder, manifest) -> tuple[str, list[str]]:
    """The commented manifest for the files of :func:`scan_folder`, and its TODO list.

    Parameters
    ----------
    guesses : list of FileGuess
    folder : Path
        The folder scanned.
    manifest : Path
        Where the manifest will be written (paths in it are relative to it).

    Returns
    -------
    text : str
        TOML; ``# guess:`` marks every guessed value, ``"TODO"`` every value to fill in.
    todos : list of str
        Where each TODO is ("measurement #2 (trpl_series, sample X): files[0] fluence_mJ_cm2").
    """
    folder, manifest = Path(folder), Path(manifest)
    w = _Writer(folder, manifest)
    w.lines += [f"# experiment.toml written by `multiphoton init {folder.name}`.",
                "# Every value marked `# guess:` was read from a file header or name: check it.",
                "# Every TODO value is one the files do not give: `multiphoton analyze` refuses",
                "# this manifest until each is replaced by its value. Keys: docs/manifest.md.",
                f"name = {_toml(folder.name)}"]
    used = [g for g in guesses if g.role]
    samples: dict[str, list[FileGuess]] = defaultdict(list)
    for g in used:
        samples[g.sample].append(g)
    blocks: list[tuple[str, str, list[FileGuess], FileGuess | None, FileGuess | None]] = []
    final: list[str] = []
    for sample, files in samples.items():
        irfs = [g for g in files if g.role == "irf"]
        grounds = [g for g in files if g.role == "absorption" and "film" in g.path.stem.lower()]
        has_ta = any(g.kind == "ta_map" for g in files)
        groups: dict[tuple, list[FileGuess]] = defaultdict(list)
        for g in files:
            if g.role == "irf" or (has_ta and g in grounds):
                continue
            key = (g.kind, g.format, "" if g.kind == "tpef" else g.stem)
            groups[key].append(g)
        emitted = []
        for (kind, _fmt, _stem_), members in groups.items():
            if kind == "tpef":
                emitted.append((sample, kind, members))
                continue
            if kind == "pl_spectrum" and len(members) > 1:
                varies = len({g.relative for g in members}) == len(members) and None not in {g.relative for g in members}
                if varies:
                    emitted.append((sample, "pl_fluence_series", members))
                else:  # one spectrum per sample: several pl_spectrum of one sample would all give E_PL
                    emitted += [(g.path.stem, kind, [g]) for g in members]
                continue
            if kind in ("trpl_series",) and members[0].format not in ("csv", "trpl-csv"):
                emitted.append((sample, kind, members))
            else:
                for g in members:
                    emitted.append((sample, kind, [g]))
        for sid, kind, members in emitted:
            irf = irfs[0] if kind == "trpl_series" and irfs else None
            ground = grounds[0] if kind == "ta_map" and grounds else None
            blocks.append((sid, kind, members, irf, ground))
            if sid not in final:
                final.append(sid)
    for sid in final:
        w.lines += ["", "[[sample]]"]
        w.key("id", sid, guess="from the folder, file names or headers")
        w.comment('layers = ["CdS", "CdSe", "CdS"]   (optional: for volumes and Table 1)')
        w.comment("core_diameter_nm = [4.5, 0.3]      (optional: TEM mean and ensemble std, nm)")
    for i, (sid, kind, members, irf, ground) in enumerate(blocks, start=1):
        if kind == "tpef":
            parts = _tpef_files(members)
            where = f"measurement #{i} (tpef, sample {sid})"
            w.lines += ["", "[[measurement]]"]
            w.key("sample", sid)
            w.key("kind", "tpef", guess="files named tpef_*")
            for key in ("sample_2p", "reference_2p", "sample_1p", "reference_1p"):
                if key in parts:
                    w.key(key, w.rel(parts[key].path), guess="from the file name")
                else:
                    w.key(key, TODO, todo=f"the {key} file", where=where)
            for key, todo in (("reference", "the reference dye (standards library, e.g. \"rhodamine-6g\")"),
                              ("excitation_eV", "two-photon excitation photon energy, eV"),
                              ("excitation_1p_eV", "one-photon excitation photon energy, eV")):
                w.key(key, TODO, todo=todo, where=where)
            continue
        _measurement(w, sid, kind, members, irf, i, ground)
    skipped = [g for g in guesses if not g.role]
    if skipped:
        w.lines += ["", "# Files not used:"]
        for g in skipped:
            w.comment(f"  {w.rel(g.path)}: {g.why_not}")
    if w.todos:
        w.lines += ["", f"# {len(w.todos)} TODO(s) to fill in:"] + [f"#   {t}" for t in w.todos]
    return "\n".join(w.lines) + "\n", w.todos


def init_folder(folder, out=None) -> tuple[Path, list[str]]:
    """Write a first manifest for the measurement files in ``folder``.

    Parameters
    ----------
    folder : str or Path
        The folder of measurement files (read only).
    out : str or Path, optional
        The manifest to write (default ``FOLDER/experiment.toml``). An existing file is
        never replaced.

    Returns
    -------
    manifest : Path
    todos : list of str
        The values still to fill in (each is ``"TODO"`` in the file).

    Raises
    ------
    InputError
        ``folder`` is not a folder, holds no file a reader recognises, or ``out`` exists.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "irf.csv").write_text("time_ns,counts\\n0,1\\n1,5\\n2,1\\n")
    >>> _ = (d / "trpl.csv").write_text("fluence_mJ_cm2,time_ns,counts\\n0.1,0,1\\n0.1,1,5\\n")
    >>> path, todos = init_folder(d)
    >>> 'kind = "trpl_series"' in path.read_text(), todos
    (True, [])
    """
    folder = Path(folder)
    manifest = Path(out) if out is not None else folder / "experiment.toml"
    if manifest.exists():
        raise InputError(f"{manifest}: already exists and is never replaced; pass --out NEW.toml "
                         "to write the guessed manifest elsewhere.")
    guesses = scan_folder(folder)
    if not any(g.role for g in guesses):
        raise InputError(f"{folder}: no file a reader recognises ({len(guesses)} files looked at); "
                         "see docs/formats.md for the formats.")
    text, todos = write_manifest_text(guesses, folder, manifest)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    tmp = manifest.with_name(manifest.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(manifest)
    return manifest, todos
