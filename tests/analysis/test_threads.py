"""Measuring holds BLAS to one thread and gives the caller's setting back."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from earwitness.analysis.metrics._threads import one_blas_thread


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_one_blas_thread_inside_and_restored_after() -> None:
    np.ones((4, 4)) @ np.ones((4, 4))  # numpy's BLAS is loaded
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        with one_blas_thread():
            inside = _blas_threads()
        after = _blas_threads()
    assert inside and all(count == 1 for count in inside)
    assert after == before
