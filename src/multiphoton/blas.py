"""One BLAS thread around small linear algebra (threadpoolctl).

The analysis solves many tiny systems (a 31×31 triangular solve in the cascade model,
2×2 … 6×6 normal equations per decay in the batch fitter). OpenBLAS's default thread
pool wakes every core for each of them; on a loaded machine one such call takes
milliseconds instead of microseconds, and the whole analysis runs about twice as long.
:func:`single_blas_thread` limits BLAS to one thread for the duration of a ``with``
block and restores the previous setting afterwards. The numbers do not change: these
problems are far smaller than the blocks OpenBLAS splits between threads, so the
same kernels run in the same order (the bundled campaign's results.json is byte-identical
with and without the limit).

Hand-written only as far as threadpoolctl lacks it: a controller built once per process
(``threadpool_limits`` rescans the loaded libraries on every call, ~1 ms), reused.
"""
from __future__ import annotations

import contextlib
import functools
import threading

__all__ = ["single_blas_thread", "with_single_blas_thread", "blas_threads"]

_lock = threading.Lock()
_controller = None


def _get_controller():
    global _controller
    with _lock:
        if _controller is None:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        return _controller


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


def with_single_blas_thread(func):
    """Decorator form of :func:`single_blas_thread` (for a small-matrix hot path)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with single_blas_thread():
            return func(*args, **kwargs)

    return wrapper
