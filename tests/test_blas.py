"""One BLAS thread inside the block, the previous setting back afterwards (also on errors)."""
import numpy as np
import pytest
from scipy import linalg

from multiphoton.blas import blas_threads, single_blas_thread


def test_limit_is_temporary_and_nests():
    before = blas_threads()
    with single_blas_thread():
        assert blas_threads() == 1
        with single_blas_thread():
            assert blas_threads() == 1
        assert blas_threads() == 1
    assert blas_threads() == before
    with pytest.raises(RuntimeError), single_blas_thread():
        raise RuntimeError("inside")
    assert blas_threads() == before


def test_scipy_blas_is_limited_too():
    # scipy ships its own OpenBLAS: the controller must see it (it is loaded by now)
    linalg.solve_triangular(np.eye(3), np.ones(3))
    from threadpoolctl import threadpool_info

    with single_blas_thread():
        assert all(i["num_threads"] == 1 for i in threadpool_info() if i["user_api"] == "blas")
