"""Batch campaigns: many manifests analysed in parallel with Dask.

Each campaign is independent (its own manifest, files and output folder), so the batch
is an embarrassingly parallel map; Dask's process scheduler runs it on the local cores,
or ``dask.distributed`` (when installed) on a cluster given by its scheduler address.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError, MultiphotonError

__all__ = ["run_batch", "output_folders"]


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


def _one(manifest: str, out: str, force: bool, report: bool) -> dict:
    from .core import analyze, write_outputs

    try:
        results = analyze(manifest)
        write_outputs(results, out, force=force, report=report)
        return {"manifest": manifest, "out": out, "ok": True, "error": "",
                "warnings": len(results.warnings)}
    except (MultiphotonError, FileExistsError) as exc:
        return {"manifest": manifest, "out": out, "ok": False, "error": str(exc), "warnings": 0}


def run_batch(manifests, out_root, *, workers: int | None = None, scheduler: str | None = None,
              force: bool = False, report: bool = True) -> list[dict]:
    """Analyse every manifest; a bad campaign fails alone (its error is reported, others go on).

    Parameters
    ----------
    manifests : sequence of path-like
    out_root : path-like
        Each campaign is written to a sub-folder (see :func:`output_folders`).
    workers : int, optional
        Local worker processes (default: Dask's choice, one per core).
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler; needs the ``distributed`` package.
    report : bool
        Also write tables, figures and report.html (default) or only results.json.

    Returns
    -------
    list of dict
        Per manifest: ``manifest``, ``out``, ``ok``, ``error``, ``warnings`` (count).
    """
    import dask

    manifests = [str(Path(m).resolve()) for m in manifests]
    outs = [str(p) for p in output_folders(manifests, out_root)]
    tasks = [dask.delayed(_one)(m, o, force, report) for m, o in zip(manifests, outs)]
    if scheduler:
        try:
            from distributed import Client
        except ImportError as exc:
            raise InputError("--scheduler needs the 'distributed' package: pip install distributed") from exc
        with Client(scheduler) as client:
            return list(client.compute(tasks, sync=True))
    if len(tasks) == 1:
        return list(dask.compute(*tasks, scheduler="synchronous"))
    return list(dask.compute(*tasks, scheduler="processes", num_workers=workers))
