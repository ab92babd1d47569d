"""Manifest → steps → Results: the only glue, and the only place that holds state.

:func:`analyze` reads the manifest (typed options, strict), plans the steps of each
sample from what they declare they need and provide (:mod:`graphlib`; nothing depends
on the order of a tuple), loads each measurement's files, runs its step, and records
what it returns in a :class:`~multiphoton.results.Results`. Two measurements of one
sample that both provide a quantity are an error unless the manifest's
``provides = [...]`` says which gives what; a step's ``fallback`` quantity is used only
when no provider succeeded. The output folder is written by
:mod:`multiphoton.pipeline.output` (``write_outputs`` is re-exported here).
"""
from __future__ import annotations

import graphlib
import hashlib
import logging
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import __version__
from ..blas import single_blas_thread
from ..errors import InputError, UsageError
from ..io.manifest import Manifest, read_manifest
from ..io.options import MeasurementOptions, SampleOptions
from ..io.schema import nearest
from ..results import STDERR_CONTAINS, Results
from . import fluence
from .loading import Loader
from .output import write_outputs
from .steps import SAMPLE, STEPS, Step, StepResult, all_quantities

__all__ = ["analyze", "plan", "Planned", "record", "write_outputs", "protected_paths"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Planned:
    """One step to run: the step, its options, and what it may record."""

    step: Step
    options: MeasurementOptions | SampleOptions
    provides: frozenset[str]
    fallback: frozenset[str]

    @property
    def label(self) -> str:
        o = self.options
        return o.where if isinstance(o, MeasurementOptions) else f"{o.id}: sizes and extinction"


def _effective(step: Step, o: MeasurementOptions, manifest: Path) -> tuple[frozenset, frozenset]:
    """What a measurement may record: its step's quantities, restricted by ``provides``."""
    if o.provides is None:
        return frozenset(step.provides), frozenset(step.fallback)
    for q in o.provides:
        if q not in step.gives:
            guess = nearest(q, step.gives)
            hint = f"did you mean {guess!r}? " if guess else ""
            raise InputError(f"{manifest}: {o.where}, key 'provides': a {o.kind} does not give {q!r}; "
                             f"{hint}it gives {', '.join(step.gives) or 'no quantity'}.")
    return (frozenset(q for q in step.provides if q in o.provides),
            frozenset(q for q in step.fallback if q in o.provides))


def _order(nodes: list[Planned], manifest: Path) -> list[Planned]:
    """The nodes of one sample in an order where every producer runs before its users."""
    producers: dict[str, list[int]] = {}
    primary: dict[str, list[int]] = {}
    for i, n in enumerate(nodes):
        for q in n.provides:
            primary.setdefault(q, []).append(i)
        for q in n.provides | n.fallback | set(n.step.shares):
            producers.setdefault(q, []).append(i)
    clashes = [q for n in nodes for q in n.step.gives if len(primary.get(q, ())) > 1]
    if clashes:
        a, b = (nodes[k].options for k in primary[clashes[0]][:2])
        both = [q for q in dict.fromkeys(clashes) if set(primary[q][:2]) == set(primary[clashes[0]][:2])]
        raise InputError(
            f"{manifest}: {a.where} and {b.where} both give {', '.join(both)}; the pipeline will not "
            f"choose silently. Say which measurement gives what with `provides = [...]` (the quantities "
            f"it should give) in one of them, or drop one.")
    ts: graphlib.TopologicalSorter = graphlib.TopologicalSorter()
    for i, n in enumerate(nodes):
        needs = n.step.needs + (("beam",) if getattr(n.options, "beam_radius_from", None) else ())
        before = {k for need in needs for k in producers.get(need, ()) if k != i}
        before |= {k for q in n.fallback for k in primary.get(q, ()) if k != i}
        ts.add(i, *before)
    ordered: list[int] = []
    try:
        ts.prepare()
    except graphlib.CycleError as exc:  # pragma: no cover - the declarations have no cycle
        raise RuntimeError(f"steps depend on each other in a cycle: {exc.args[1]}") from exc
    while ts.is_active():
        ready = sorted(ts.get_ready(), key=lambda k: (k > 0, getattr(nodes[k].options, "index", -1)))
        ordered.extend(ready)
        ts.done(*ready)
    return [nodes[k] for k in ordered]


def plan(manifest: Manifest, *, samples: Iterable[str] | None = None) -> dict[str, list[Planned]]:
    """The ordered steps of every sample (or of ``samples``)."""
    wanted = list(manifest.samples) if samples is None else list(samples)
    out: dict[str, list[Planned]] = {}
    for sid in wanted:
        spec = manifest.samples[sid]
        nodes = [Planned(SAMPLE, spec, frozenset(SAMPLE.provides), frozenset())]
        for m in manifest.measurements:
            if m.sample == sid:
                step = STEPS[m.kind]
                nodes.append(Planned(step, m, *_effective(step, m, manifest.path)))
        out[sid] = _order(nodes, manifest.path)
    return out


def _check_selection(manifest: Manifest, only, samples) -> None:
    if only is not None:
        valid = all_quantities()
        for q in only:
            if q not in valid:
                guess = nearest(q, valid)
                hint = f"did you mean {guess!r}? " if guess else ""
                raise UsageError(f"--only: unknown quantity {q!r}; {hint}valid names: {', '.join(valid)}.")
    if samples is not None:
        for sid in samples:
            if sid not in manifest.samples:
                guess = nearest(sid, manifest.samples)
                hint = f"did you mean {guess!r}? " if guess else ""
                raise UsageError(f"--sample: {manifest.path} has no sample {sid!r}; {hint}"
                                 f"its samples: {', '.join(manifest.samples)}.")


def record(sid: str, node: Planned, res: StepResult, results: Results, state: dict[str, Any],
           shared: dict[str, list]) -> None:
    """Record what one step returned: quantities (a failed one becomes a warning), warnings,
    plots and shared resources; ``state`` and ``shared`` are the sample's so far.

    A quantity the measurement's ``provides`` leaves out is dropped; a ``fallback``
    quantity is dropped when a provider already succeeded. Each quantity of a
    measurement carries the options used in ``details["options"]``.
    """
    step, o = node.step, node.options
    allowed = node.provides | node.fallback
    for q, est in res.quantities.items():
        if q not in step.gives:  # pragma: no cover - a step returned what it did not declare
            raise RuntimeError(f"step {step.kind} returned undeclared quantity {q}")
        if q not in allowed or (q in node.fallback and q in state):
            continue
        if isinstance(o, MeasurementOptions):
            est = replace(est, details={**est.details, "options": o.record()})
        if "stderr_contains" not in est.details and q in STDERR_CONTAINS:
            est = replace(est, details={**est.details, "stderr_contains": list(STDERR_CONTAINS[q])})
        results.add(sid, q, est)
        if est.success and math.isfinite(est.value):
            state[q] = est
    for q, reason in res.warnings:
        if q in allowed and not (q in node.fallback and q in state):
            results.warn(sid, q, reason)
    for name, obj in res.shared.items():
        shared.setdefault(name, []).append((getattr(o, "name", None), obj))
    results.plots.extend(res.plots)
    if res.info:
        results.sample_info[sid] = res.info


def _run_sample(sid: str, nodes: list[Planned], loader: Loader, results: Results, progress,
                on_plots=None) -> None:
    """Run the planned steps of one sample in order (``on_plots``: told of each step's plots)."""
    state: dict[str, Any] = {}
    shared: dict[str, list[tuple[str | None, Any]]] = {}
    for node in nodes:
        if progress:
            progress(node.label)
        o = node.options
        data = loader.load(o) if isinstance(o, MeasurementOptions) else None
        beam = None
        if data is not None:  # pulse energy or power → fluence (pipeline/fluence.py)
            data, beam, why = fluence.resolve(data, o, shared.get("beam", ()))
            if why:
                res = StepResult(warnings=[(q, f"{o.where}: fluence unknown: {why}") for q in node.provides])
                record(sid, node, res, results, state, shared)
                continue
        inputs = {n: (tuple(shared[n]) if n in shared else state[n])
                  for n in node.step.needs if n in state or n in shared}
        res = node.step.run(data, o, inputs)
        if beam is not None:
            res.quantities = fluence.propagate(res.quantities, beam)
        first = len(results.plots)
        record(sid, node, res, results, state, shared)
        if on_plots is not None and len(results.plots) > first:
            on_plots(results.plots[first:])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _inputs(manifest: Manifest, samples: Iterable[str]) -> list[dict[str, Any]]:
    """Every input file of the analysed samples, with its sha256, for provenance."""
    keep = set(samples)
    seen: set[Path] = set()
    out = []
    base = manifest.path.parent
    written = _paths_as_written(manifest)
    for m in manifest.measurements:
        if m.sample not in keep:
            continue
        for p in list(m.files.values()) + [s.path for s in m.series]:
            if p not in seen:
                seen.add(p)
                rel = written.get(p)
                if rel is None:
                    try:
                        rel = os.path.relpath(p, base)
                    except ValueError:  # pragma: no cover - other drive on Windows
                        rel = str(p)
                out.append({"path": rel, "sha256": _sha256(p), "bytes": p.stat().st_size})
    return out


def _sources(manifest: Manifest) -> list[Path]:
    """The manifest and every file it names (every sample), absolute."""
    out = [manifest.path.resolve()]
    for m in manifest.measurements:
        out.extend(Path(p).resolve() for p in list(m.files.values()) + [s.path for s in m.series])
    return list(dict.fromkeys(out))


def protected_paths(manifest_path) -> list[Path]:
    """The manifest and every input file it names: what an output folder must never hold.

    ``manifest_path`` may also be a :class:`~multiphoton.io.manifest.Manifest` already read.

    Raises
    ------
    InputError
        The manifest cannot be read (the same error :func:`analyze` would give).
    """
    return _sources(manifest_path if isinstance(manifest_path, Manifest) else read_manifest(manifest_path))


def _paths_as_written(manifest: Manifest) -> dict[Path, str]:
    """Resolved file path → the path as the manifest wrote it (provenance shows what the user typed)."""
    import tomllib

    try:
        raw = tomllib.loads(manifest.text)
    except tomllib.TOMLDecodeError:  # pragma: no cover - read_manifest parsed it already
        return {}
    base = manifest.path.parent
    out: dict[Path, str] = {}

    def visit(value) -> None:
        if isinstance(value, dict):
            for v in value.values():
                visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)
        elif isinstance(value, str) and value:
            try:
                p = (base / value).resolve()
            except (OSError, ValueError):
                return
            if p.is_file():
                out.setdefault(p, value)

    visit(raw.get("measurement", []))
    return out


def analyze(manifest_path, *, only: Iterable[str] | None = None, samples: Iterable[str] | None = None,
            progress: Callable[[str], None] | None = None,
            on_plots: Callable[[list], None] | None = None) -> Results:
    """Run every analysis the manifest's measurements allow.

    Parameters
    ----------
    manifest_path : path-like or Manifest
        The experiment TOML (data contract section 2), or the Manifest read from it.
    only : iterable of str, optional
        Keep only these quantities in the Results (every analysis still runs, since
        some need others: ⟨N⟩ at threshold needs σ₂). Unknown names are refused.
    samples : iterable of str, optional
        Analyse only these sample ids.
    progress : callable, optional
        Called with a short label before each step.
    on_plots : callable, optional
        Called with the list of new plots (PlotData) as soon as each step that made
        some ends, in the order of ``Results.plots``, e.g. :meth:`FigureStream.submit
        <multiphoton.report.figures.stream.FigureStream.submit>`, which draws them while
        the analysis goes on.

    Returns
    -------
    Results

    Raises
    ------
    InputError
        Bad input anywhere (the message names the file, row or field and what to do).
    UsageError
        An unknown name in ``only`` or ``samples``.
    """
    manifest = manifest_path if isinstance(manifest_path, Manifest) else read_manifest(manifest_path)
    only = None if only is None else list(only)
    samples = None if samples is None else list(dict.fromkeys(samples))
    _check_selection(manifest, only, samples)
    results = Results(name=manifest.name, manifest_text=manifest.text,
                      software={"name": "multiphoton", "version": __version__})
    planned = plan(manifest, samples=samples)
    loader = Loader()
    with single_blas_thread():  # small matrices throughout: one BLAS thread (multiphoton.blas)
        for sid, nodes in planned.items():
            _run_sample(sid, nodes, loader, results, progress, on_plots)
    results.inputs.extend(_inputs(manifest, planned))
    results.sources = _sources(manifest)
    if only is not None:
        keep = set(only)
        for sid in results.samples:
            results.samples[sid] = {q: e for q, e in results.samples[sid].items() if q in keep}
        results.warnings = [w for w in results.warnings if w.quantity in keep]
    return results
