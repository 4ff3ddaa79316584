"""Files that ship with earwitness (``data/`` in the source tree).

An installed wheel puts them under ``<prefix>/share/earwitness/``; a checkout or an
editable install reads them from ``data/`` beside the package. Nothing here ever
reads the shared test data that sits beside the project.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

from earwitness.errors import EarwitnessError

__all__ = ["data_dirs", "data_path"]


def data_dirs() -> list[Path]:
    """Where shipped data may be, in the order searched."""
    source_tree = Path(__file__).resolve().parents[1] / "data"
    installed = [
        Path(sysconfig.get_path("data")) / "share" / "earwitness",
        Path(sys.prefix) / "share" / "earwitness",
    ]
    return [source_tree, *dict.fromkeys(installed)]


def data_path(*parts: str) -> Path:
    """The path of a shipped file or folder, e.g. ``data_path("codebooks", "x.yaml")``."""
    for folder in data_dirs():
        candidate = folder.joinpath(*parts)
        if candidate.exists():
            return candidate
    looked = ", ".join(str(folder) for folder in data_dirs())
    raise EarwitnessError(f"shipped file {'/'.join(parts)} not found (looked in {looked})")
