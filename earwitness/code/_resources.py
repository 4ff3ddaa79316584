"""Files that ship with earwitness: the starter codebooks in ``data/codebooks/``.

Looked up, in order, in:

1. ``earwitness/_data/codebooks/`` inside the installed package (package data);
2. ``<sys.prefix>/share/earwitness/codebooks/`` (wheel ``data-files``);
3. ``data/codebooks/`` of the source tree the package runs from (a checkout or an
   editable install).
"""

from __future__ import annotations

import sys
from pathlib import Path

from earwitness.errors import EarwitnessError

__all__ = ["STARTER_CODEBOOK", "codebook_dirs", "starter_codebook_path"]

STARTER_CODEBOOK = "ai-mastering-adoption.yaml"


def codebook_dirs() -> list[Path]:
    """Every folder where shipped codebooks may be, the first match winning."""
    package = Path(__file__).resolve().parents[1]
    return [
        package / "_data" / "codebooks",
        Path(sys.prefix) / "share" / "earwitness" / "codebooks",
        package.parent / "data" / "codebooks",
    ]


def starter_codebook_path(name: str = STARTER_CODEBOOK) -> Path:
    """The path of a shipped codebook, or one clear error naming where we looked."""
    for folder in codebook_dirs():
        candidate = folder / name
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(folder) for folder in codebook_dirs())
    raise EarwitnessError(f"the starter codebook {name} is not installed (looked in {looked})")
