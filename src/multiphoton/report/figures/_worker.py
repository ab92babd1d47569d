"""Worker process of :func:`multiphoton.report.figures.render_figures`.

Run as ``python -m multiphoton.report.figures._worker``: reads a pickled
``(jobs, directory, formats)`` from standard input, draws and saves each
``(stem, plot)`` job, and writes the pickled list of ``(png, svg, note)`` to
standard output.

A fresh interpreter started with ``-m`` rather than a :mod:`multiprocessing` pool:
the spawn and forkserver start methods import the caller's main script again in the
child (running a script without an ``if __name__ == "__main__"`` guard twice, the
analysis included), and fork is unsafe in a process with threads (a progress bar's,
BLAS's). This module imports nothing of the caller's.
"""
from __future__ import annotations

import pickle
import sys


def main() -> int:
    jobs, directory, formats = pickle.load(sys.stdin.buffer)
    from . import _render_chunk

    out = _render_chunk(jobs, directory, formats)
    sys.stdout.buffer.write(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
