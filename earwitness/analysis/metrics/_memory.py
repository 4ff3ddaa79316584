"""Letting glibc keep freed block buffers for the next block (Linux only).

Measuring block by block allocates the same few arrays of several MiB again for every
block. Above glibc's dynamic mmap threshold each comes back as fresh pages, whose page
faults cost about 0.1 s of system time per 180 s stereo file (20 % of the measuring
CPU); raising the thresholds (mallopt(3): M_MMAP_THRESHOLD, M_TRIM_THRESHOLD) lets the
freed memory be reused, for 6-14 MiB more peak RSS.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["reuse_freed_buffers"]

_M_TRIM_THRESHOLD = -1  # <malloc.h>
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 64 << 20
_TRIM_THRESHOLD = 256 << 20


def reuse_freed_buffers() -> bool:
    """Raise glibc's mmap and trim thresholds for this process; False where not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(
        mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    )
