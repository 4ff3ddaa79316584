"""BLAS on one thread while measuring.

The K-weighting filter is a series of small matrix products (``_blockfilter``). OpenBLAS
spreads a product over every core once it is large enough, and on a machine whose
cores are busy (or whose second core runs the spectra, see ``_measure``) starting and
waiting for those threads costs more than the product. ``threadpoolctl`` sets the
thread count of the BLAS library numpy loaded and restores it afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["one_blas_thread"]


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS limited to one thread inside the block; without threadpoolctl, unchanged."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with the audio extra
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
