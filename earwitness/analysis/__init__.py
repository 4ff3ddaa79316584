"""earwitness.analysis: what people hear.

Three sub-packages, each with its own public API (names load on first use):

* :mod:`earwitness.analysis.metrics`: measure a recording (ITU-R BS.1770 and EBU R 128
  loudness, true peak, spectrum, stereo image), compare AI and human masters of one mix,
  and audit services. Its names are re-exported here, loaded on first use.
* :mod:`earwitness.analysis.listening`: blind, loudness-matched listening tests.
* :mod:`earwitness.analysis.eqmoves`: the EQ operations that separate two masters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from earwitness.analysis import metrics as _metrics  # cheap: its names load on first use

if TYPE_CHECKING:  # the names as they load, for type checkers
    from earwitness.analysis.metrics import *  # noqa: F403

__all__ = list(_metrics.__all__)


def __getattr__(name: str) -> Any:
    if name not in _metrics.__all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_metrics, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
