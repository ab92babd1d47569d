"""One BLAS thread around small linear algebra (threadpoolctl).

The analysis solves many tiny systems (a 31×31 triangular solve in the cascade model,
2×2 … 6×6 normal equations per decay in the batch fitter). OpenBLAS's default thread
pool wakes every core for each of them; on a loaded machine one such call takes
milliseconds instead of microseconds, and the whole analysis runs about 1.8× as long (issue #18).
:func:`single_blas_thread` limits BLAS to one thread for the duration of a ``with``
block and restores the previous setting afterwards.

What it changes in the numbers: nothing but the last bits of OpenBLAS's triangular
solve with several right-hand sides (``solve_triangular`` in the cascade model), whose
threaded version splits the columns between threads and rounds differently. On the
bundled campaign only the global-cascade lifetimes (``tau_x_global_ns``,
``tau_xx_global_ns``) move, by at most 4e-8 of their value (1e-6 of their stderr); every
other number of results.json is bit-identical. With one thread these numbers no longer
depend on how many cores the machine has.

The limit is set once around a whole analysis (a call costs ~1 ms: threadpoolctl scans
the loaded libraries), not around each small product.
"""
from __future__ import annotations

import contextlib

__all__ = ["single_blas_thread", "blas_threads"]


def _get_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # fresh: sees every BLAS loaded by now (numpy's, scipy's)


def blas_threads() -> int:
    """Threads the loaded BLAS libraries use now (the largest, if several are loaded)."""
    infos = [lib.num_threads for lib in _get_controller().select(user_api="blas").lib_controllers]
    return max(infos, default=1)


@contextlib.contextmanager
def single_blas_thread():
    """Context manager: BLAS (OpenBLAS, MKL, BLIS) runs on one thread inside the block.

    Nesting is harmless; the setting in force before the outermost block comes back
    when it ends (also on an exception).

    Examples
    --------
    >>> with single_blas_thread():
    ...     blas_threads()
    1
    """
    with _get_controller().limit(limits=1, user_api="blas"):
        yield

