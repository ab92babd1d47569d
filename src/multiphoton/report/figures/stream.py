"""Figures drawn in worker interpreters while the analysis is still running.

:class:`FigureStream` starts its workers at once (their start-up, matplotlib's import
and font loading, overlaps the analysis), takes plots as each sample's analysis ends
(:meth:`FigureStream.submit`), and the workers draw them on the cores the analysis
leaves idle (it runs in one thread). :meth:`FigureStream.finish` then draws what is
still queued in the calling process too, alongside the workers (the queue is shared,
so whoever is free takes the next plot), waits for them and moves the files into the
report's folder. A worker that cannot start or dies has its plots drawn by the caller;
the files are the same whoever draws them.

Hand-written rather than a :class:`concurrent.futures.ProcessPoolExecutor`: the spawn
and forkserver start methods import the caller's main script again in the child, and
fork is unsafe in a process with threads (a progress bar's, BLAS's); see
:mod:`._worker`.
"""
from __future__ import annotations

import logging
import os
import pickle
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ...blas import single_blas_thread
from ..style import FORMATS, check_formats, figure_stem

logger = logging.getLogger(__name__)

__all__ = ["FigureStream", "default_workers"]

_STOP = None
_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def default_workers() -> int:
    """Worker interpreters for a stream: one per core beyond the caller's (at most 4), 0
    inside a daemonic process (a Dask worker may not have children) or on one core."""
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(cores - 1, 4))


def _unique(stem: str, seen: set[str]) -> str:
    base, k = stem, 2
    while stem in seen:
        stem, k = f"{base}-{k}", k + 1
    seen.add(stem)
    return stem


class _Worker:
    """One worker interpreter and the thread in this process that feeds it."""

    def __init__(self, module: str, staging: Path, formats: tuple[str, ...], warm_up: bool = False) -> None:
        self.err = tempfile.TemporaryFile()  # a file, not a pipe: a chatty worker cannot block
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)  # import what this process imports
        # One BLAS thread: drawing multiplies tiny matrices (transforms), and a second OpenBLAS
        # thread would wake, and spin, on the core the analysis runs on.
        env.update({k: "1" for k in _BLAS_ENV})
        self.proc: subprocess.Popen | None = None
        self.failed: list[tuple[int, str, object]] = []
        self.drawn: dict[int, tuple] = {}
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", f"{module}._worker"], env=env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)
            pickle.dump((str(staging), formats, warm_up), self.proc.stdin)
            self.proc.stdin.flush()
        except OSError as exc:
            logger.warning("figure worker failed (could not start: %s); drawing here instead", exc)
            self.proc = None

    def serve(self, jobs: queue.Queue) -> None:
        """Thread body: send the next queued job, wait for its files, repeat until stopped."""
        while True:
            job = jobs.get()
            if job is _STOP:
                break
            if self.proc is None:
                self.failed.append(job)
                break
            k, stem, plot = job
            try:
                pickle.dump((stem, plot), self.proc.stdin)
                self.proc.stdin.flush()
                self.drawn[k] = pickle.load(self.proc.stdout)
            except (OSError, EOFError, pickle.UnpicklingError):
                self.failed.append(job)
                break
        self._close()

    def _close(self) -> None:
        if self.proc is None:
            self.err.close()
            return
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        code = self.proc.wait()
        if code != 0 or self.failed:
            self.err.seek(0)
            logger.warning("figure worker failed (exit %s): %s; drawing here instead", code,
                           self.err.read().decode(errors="replace")[-500:])
        self.err.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()


class FigureStream:
    """Draw plots in worker interpreters as they arrive; collect them with :meth:`finish`.

    Parameters
    ----------
    formats : sequence of str or str, optional
        Figure formats, as for :func:`multiphoton.report.figures.render_figures`.
    workers : int, optional
        Worker interpreters (default :func:`default_workers`; 0 draws everything in
        :meth:`finish`, in this process).
    warm_up : bool, optional
        Each worker first draws a throw-away figure (~1 s; the first figure of a process
        costs more than the next): for a stream started well before its first plot, as
        ``analyze`` starts one before its own imports.

    Notes
    -----
    Use it as a context manager: leaving the block without :meth:`finish` (an analysis
    that failed) stops the workers and removes the staging folder. File stems are
    given in submission order, as :func:`~multiphoton.report.figures.render_figures`
    gives them, so the same plots give the same files either way.

    Examples
    --------
    >>> with FigureStream(workers=0) as stream:
    ...     stream.submit([])
    ...     stream.finish(".")
    []
    """

    def __init__(self, formats=FORMATS, *, workers: int | None = None, warm_up: bool = False) -> None:
        from . import __name__ as package

        self.formats = check_formats(formats)
        self.staging = Path(tempfile.mkdtemp(prefix="multiphoton-figures-"))
        self.jobs: list[tuple[str, object]] = []
        self._seen: set[str] = set()
        self._queue: queue.Queue = queue.Queue()
        n = default_workers() if workers is None else max(0, int(workers))
        self._workers = [_Worker(package, self.staging, self.formats, warm_up) for _ in range(n)]
        self._threads = [threading.Thread(target=w.serve, args=(self._queue,), daemon=True,
                                          name=f"figure-worker-{i}") for i, w in enumerate(self._workers)]
        for t in self._threads:
            t.start()
        self._finished = False

    def __enter__(self) -> FigureStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, plots: Iterable) -> None:
        """Queue ``plots`` (PlotData) for drawing; returns at once."""
        for plot in plots:
            stem = _unique(figure_stem(plot.family, plot.sample, plot.measurement), self._seen)
            self.jobs.append((stem, plot))
            self._queue.put((len(self.jobs) - 1, stem, plot))

    def finish(self, directory, *, also: Callable[[], object] | None = None):
        """Draw what is left (here and in the workers), move the files into ``directory``.

        Parameters
        ----------
        directory : path
            Existing folder for the figure files.
        also : callable, optional
            Called here first, while the workers draw (e.g. the all-samples panels); its
            return value is returned second.

        Returns
        -------
        list of FigureFile, or (list of FigureFile, also's value) when ``also`` is given
            In submission order.
        """
        from . import CAPTIONS, FigureFile, _render_one

        directory = Path(directory)
        self._largest_first()
        drawn: dict[int, tuple] = {}
        with single_blas_thread():  # as in the workers: drawing multiplies tiny matrices
            extra = also() if also is not None else None
            while True:  # share the queue with the workers until it is empty
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is not _STOP:
                    k, stem, plot = job
                    drawn[k] = _render_one(stem, plot, str(self.staging), self.formats)
        for _ in self._threads:
            self._queue.put(_STOP)
        for t in self._threads:
            t.join()
        for w in self._workers:
            drawn.update(w.drawn)
            for k, stem, plot in w.failed:
                drawn[k] = _render_one(stem, plot, str(self.staging), self.formats)
        out = []
        for k, (stem, plot) in enumerate(self.jobs):
            png, svg, note = drawn[k]
            png, svg = self._move(png, directory), self._move(svg, directory)
            out.append(FigureFile(stem, plot.family, plot.sample, plot.measurement,
                                  CAPTIONS.get(plot.family, ""), png, svg, note))
        self._finished = True
        self.close()
        return out if also is None else (out, extra)

    def _largest_first(self) -> None:
        """Reorder what is still queued, the costliest figures first (:data:`DRAW_COST`),
        so that the processes end together: the last plots drawn are the quick ones."""
        from . import DRAW_COST

        left = []
        while True:
            try:
                left.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for job in sorted(left, key=lambda job: 1.0 if job is _STOP else -DRAW_COST.get(job[2].family, 1.0)):
            self._queue.put(job)

    @staticmethod
    def _move(path, directory: Path) -> Path | None:
        if path is None:
            return None
        target = directory / Path(path).name
        shutil.move(str(path), target)
        return target

    def close(self) -> None:
        """Stop the workers (killed if :meth:`finish` did not end) and remove the staging folder."""
        while True:  # nothing more is drawn
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        for _ in self._threads:
            self._queue.put(_STOP)
        if not self._finished:
            for w in self._workers:
                w.kill()
        for t in self._threads:
            t.join(timeout=10)
        shutil.rmtree(self.staging, ignore_errors=True)


def render_stream(plots: Sequence, directory, *, formats=FORMATS, workers: int,
                  also: Callable[[], object] | None = None):
    """Draw ``plots`` with ``workers`` worker interpreters and this process; see
    :meth:`FigureStream.finish` for what is returned."""
    with FigureStream(formats, workers=workers) as stream:
        stream.submit(plots)
        return stream.finish(directory, also=also)
