"""Worker process of :class:`multiphoton.report.figures.stream.FigureStream`.

Run as ``python -m multiphoton.report.figures._worker``. Reads from standard input a
pickled ``(directory, formats, warm_up)`` header (``warm_up``: draw a throw-away figure
first, :func:`_warm_up`), then pickled ``(stem, plot)`` jobs one at a
time; draws and saves each and writes its pickled ``(png, svg, note)`` to standard
output before reading the next; stops at the end of its input.

A fresh interpreter started with ``-m`` rather than a :mod:`multiprocessing` pool:
the spawn and forkserver start methods import the caller's main script again in the
child (running a script without an ``if __name__ == "__main__"`` guard twice, the
analysis included), and fork is unsafe in a process with threads (a progress bar's,
BLAS's). This module imports nothing of the caller's.
"""
from __future__ import annotations

import pickle
import sys


def _warm_up() -> None:
    """Draw a throw-away figure of the kinds of artist the report uses, while the caller
    still imports and analyses (asked for by ``analyze``, whose workers start before it has
    anything to draw; a worker started when the plots are ready skips it).

    The first figure a process draws costs more than the next ones (matplotlib's lazy
    imports and caches, fonts, first calls); paid here, in time the worker would spend
    waiting, rather than on the first real plot.
    """
    import tempfile

    import numpy as np
    from matplotlib.figure import Figure
    from scipy.special import fdtrc  # noqa: F401  (the ASE figure's misfit test)

    from ..style import (add_colorbar, figure_style, fluence_mappable, panel_label, save_figure,
                         tidy_log_axis, tidy_symlog_axis)

    x = np.linspace(1.0, 100.0, 60)
    with figure_style(), tempfile.TemporaryDirectory(prefix="multiphoton-warm-up-") as tmp:
        fig = Figure(figsize=(7.0, 3.0), layout="constrained")
        axes = fig.subplot_mosaic([["a", "b", "c"], ["r", "b", "c"]], height_ratios=[3, 1])
        fig.suptitle("Warm-up — σ₂ 10³ (mJ cm⁻²)", fontsize=9.5, x=0.01, ha="left")
        mappable = fluence_mappable([0.1, 10.0])
        for f in (0.1, 1.0, 10.0):
            axes["a"].plot(x, x**-0.5 * f, color=mappable.to_rgba(f), label=f"{f} mJ cm⁻²")
        axes["a"].set(xscale="log", yscale="log", xlabel="Delay (ns)", ylabel="PL (norm.)", title="a")
        tidy_log_axis(axes["a"].xaxis)
        tidy_log_axis(axes["a"].yaxis)
        axes["a"].legend(fontsize=6)
        axes["a"].fill_between(x, x**-0.5 * 0.9, x**-0.5 * 1.1, alpha=0.2)
        axes["r"].errorbar(x[::6], np.zeros(10), yerr=np.ones(10), fmt="o", ms=3, capsize=2)
        axes["r"].axhline(0.0, color="0.5")
        add_colorbar(fig, mappable, axes["a"], "Fluence (mJ cm⁻²)")
        grid = np.outer(np.linspace(-1, 1, 20), np.linspace(0, 1, 30))
        mesh = axes["b"].pcolormesh(np.arange(30), np.arange(20) - 5.0, grid, cmap="RdBu_r",
                                    shading="nearest", rasterized=True)
        axes["b"].contour(np.arange(30), np.arange(20) - 5.0, grid, levels=[0.0], colors="black")
        axes["b"].set_yscale("symlog", linthresh=1.0)
        tidy_symlog_axis(axes["b"].yaxis)
        fig.colorbar(mesh, ax=axes["b"], extend="both")
        axes["c"].scatter(x, np.sqrt(x), c=x, s=8)
        axes["c"].inset_axes([0.55, 0.1, 0.4, 0.35]).plot(x, x)
        axes["c"].annotate("QS-4.5", (10, 3), xytext=(3, 3), textcoords="offset points", fontsize=5.5)
        panel_label(axes["c"], "c")
        save_figure(fig, tmp, "warm-up")


def main() -> int:
    from . import _render_one

    inp, out = sys.stdin.buffer, sys.stdout.buffer
    directory, formats, warm_up = pickle.load(inp)
    if warm_up:
        _warm_up()
    while True:
        try:
            stem, plot = pickle.load(inp)
        except EOFError:
            return 0
        pickle.dump(_render_one(stem, plot, directory, formats), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
