"""Batch campaigns: many manifests analysed in parallel on ``dask.distributed``.

Each campaign is independent (its own manifest, files and output folder), so the batch
is one task per campaign: submitted to a :class:`distributed.LocalCluster` of
single-threaded worker processes (default) or to a running scheduler (``--scheduler``),
and gathered as they finish. Each task runs with one BLAS thread
(:func:`multiphoton.blas.single_blas_thread`): the analysis is many small matrices, and
two workers each waking every core's BLAS thread would run no faster than one.

A campaign that fails, whatever went wrong (a manifest that cannot be decoded, a missing
file, a worker that died), fails alone: its outcome says why and the others go on.
"""
from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from ..blas import single_blas_thread
from ..errors import InputError, MultiphotonError

__all__ = ["run_batch", "output_folders", "ProgressEvent"]

logger = logging.getLogger(__name__)

ProgressEvent = dict
"""A progress message of one campaign: ``index`` (position in the manifests) and any of
``total`` (steps to run, sent first), ``advance`` (steps just done), ``label`` (what runs
now), ``done`` (True when the campaign has finished, well or not)."""


def output_folders(manifests, out_root) -> list[Path]:
    """One output folder per manifest: ROOT/<manifest's folder name>[-<stem>] (unique)."""
    root = Path(out_root)
    names: list[str] = []
    for m in manifests:
        m = Path(m).resolve()
        name = m.parent.name or m.stem
        if name in names:
            name = f"{name}-{m.stem}"
        k = 2
        base = name
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return [root / n for n in names]


def _outcome(manifest, out, *, ok, error="", warnings=0, worker="") -> dict:
    return {"manifest": manifest, "out": out, "ok": ok, "error": error, "warnings": warnings,
            "worker": worker}


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):  # not on a Dask worker
        return "local"


def _describe(exc: BaseException) -> str:
    """The message of a project error as it is; anything else with its type (no traceback)."""
    if isinstance(exc, MultiphotonError):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return (f"cannot decode the manifest as UTF-8 ({exc.reason} at byte {exc.start}); "
                "save it as UTF-8 text")
    return f"{type(exc).__name__}: {exc}"


def _emitter(topic: str | None, index: int, local: Callable | None):
    """Send progress of campaign ``index``: to the client through the scheduler's event
    log when running on a Dask worker, or to ``local`` when running in this process."""
    if topic is None:
        return (lambda **msg: local({"index": index, **msg})) if local else (lambda **msg: None)
    from distributed import get_worker

    worker = get_worker()
    return lambda **msg: worker.log_event(topic, {"index": index, **msg})


def _campaign(index: int, manifest: str, out: str, force: bool, report,
              topic: str | None = None, local: Callable | None = None) -> dict:
    """Analyse one campaign and write its outputs; never raises (the outcome says why)."""
    from ..io.manifest import read_manifest
    from .core import analyze, plan, write_outputs

    emit = _emitter(topic, index, local)
    try:
        with single_blas_thread():
            steps = sum(len(nodes) for nodes in plan(read_manifest(manifest)).values())
            emit(total=steps + 1, label="analysing")
            results = analyze(manifest, progress=lambda label: emit(advance=1, label=label))
            emit(label="writing results" + (", figures and report" if report else ""))
            write_outputs(results, out, force=force, report=report)
        emit(advance=1, done=True)
        return _outcome(manifest, out, ok=True, warnings=len(results.warnings),
                        worker=_worker_address())
    except Exception as exc:  # every campaign gets its own outcome, whatever went wrong
        logger.debug("campaign %s failed", manifest, exc_info=True)
        emit(done=True)
        return _outcome(manifest, out, ok=False, error=_describe(exc), worker=_worker_address())


def _local_cluster(workers: int | None):
    from distributed import LocalCluster

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return LocalCluster(n_workers=workers or cores or 1, threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=logging.ERROR)


def run_batch(manifests: Sequence, out_root, *, workers: int | None = None,
              scheduler: str | None = None, force: bool = False, report=True,
              progress: Callable[[ProgressEvent], None] | None = None,
              on_result: Callable[[int, dict], None] | None = None) -> list[dict]:
    """Analyse every manifest; a bad campaign fails alone (its error is reported, others go on).

    Parameters
    ----------
    manifests : sequence of path-like
    out_root : path-like
        Each campaign is written to a sub-folder (see :func:`output_folders`) with
        :func:`multiphoton.pipeline.write_outputs`.
    workers : int, optional
        Worker processes of the local cluster (default: one per core), one thread each.
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler (``tcp://host:8786``) to use
        instead of a local cluster; its workers must see the manifests and ``out_root``.
    force : bool
        Replace output folders that exist (as ``analyze --force``).
    report : bool or sequence of str
        Also write tables, figures and report.html (default), not (False), or the figure
        formats, e.g. ``("png",)``.
    progress : callable, optional
        Called with each :data:`ProgressEvent` (from the client's event thread).
    on_result : callable, optional
        Called with ``(index, outcome)`` as each campaign finishes, in finishing order.

    Returns
    -------
    list of dict
        Per manifest, in the order given: ``manifest``, ``out``, ``ok``, ``error``,
        ``warnings`` (count), ``worker`` (address of the Dask worker that ran it,
        ``"local"`` for this process, ``""`` if it never ran).

    Raises
    ------
    InputError
        If no manifest is given, or the scheduler cannot be reached.
    """
    manifests = [str(Path(m).resolve()) for m in manifests]
    if not manifests:
        raise InputError("batch needs at least one manifest; give the experiment TOML files")
    outs = [str(p) for p in output_folders(manifests, out_root)]
    outcomes: list[dict | None] = [None] * len(manifests)

    def finished(i, outcome):
        outcomes[i] = outcome
        if on_result is not None:
            on_result(i, outcome)

    if len(manifests) == 1 and scheduler is None:  # no cluster for a single campaign
        finished(0, _campaign(0, manifests[0], outs[0], force, report, local=progress))
        return outcomes
    _run_distributed(manifests, outs, workers, scheduler, force, report, progress, finished)
    return outcomes


def _run_distributed(manifests, outs, workers, scheduler, force, report, progress, finished):
    from distributed import Client, as_completed

    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            cluster = _local_cluster(workers)
            client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise InputError(f"cannot reach the Dask scheduler {scheduler!r} ({exc}); start it "
                         "(`dask scheduler`) or leave out --scheduler for a local cluster") from None
    topic = f"multiphoton-batch-{uuid.uuid4().hex}"
    try:
        if progress is not None:
            client.subscribe_topic(topic, lambda event: progress(event[1]))
        futures = {}
        for i, (m, o) in enumerate(zip(manifests, outs)):
            fut = client.submit(_campaign, i, m, o, force, report, topic, pure=False,
                                key=f"campaign-{i}-{topic}")
            futures[fut] = i
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                outcome = fut.result()
            except Exception as exc:  # the task could not run: a worker died, the cluster closed
                outcome = _outcome(manifests[i], outs[i], ok=False, error=_describe(exc))
                if progress is not None:
                    progress({"index": i, "done": True})
            finished(i, outcome)
        if progress is not None:
            client.unsubscribe_topic(topic)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
