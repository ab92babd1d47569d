"""Worker process of :class:`multiphoton.report.figures.stream.FigureStream`.

Run as ``python -m multiphoton.report.figures._worker``. Reads from standard input a
pickled ``(directory, formats)`` header, then pickled ``(stem, plot)`` jobs one at a
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
    """Import matplotlib and load the house font now, while the caller still analyses."""
    import io

    from matplotlib.figure import Figure

    from ..style import figure_style

    with figure_style():
        fig = Figure(figsize=(1, 1))
        fig.text(0.5, 0.5, "σ₂ 10³")
        fig.savefig(io.BytesIO(), format="png")


def main() -> int:
    from . import _render_one

    _warm_up()
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    directory, formats = pickle.load(inp)
    while True:
        try:
            stem, plot = pickle.load(inp)
        except EOFError:
            return 0
        pickle.dump(_render_one(stem, plot, directory, formats), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
