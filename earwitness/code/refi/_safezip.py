"""Opening untrusted REFI-QDA archives and XML without being attacked through them.

A ``.qdpx`` file is a zip archive that someone else's tool wrote. Before anything is
read, :class:`SafeArchive` refuses:

* zip-slip member names (absolute paths, drive letters, ``..`` components, backslashes),
  even though nothing is ever extracted to disk, because such a file is not a project
  any honest tool writes;
* decompression bombs: more members, more uncompressed bytes in total, or a higher
  compression ratio per member than a real project has. Sizes declared in the zip
  headers are not trusted: reading stops as soon as a member yields more than declared.

:func:`parse_xml` parses with lxml without resolving entities, loading DTDs or touching
the network, and refuses any document that carries a DTD at all: REFI-QDA files have
none, and a DTD is how XML external entities and "billion laughs" arrive.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from types import TracebackType

from lxml import etree

from earwitness.errors import BadInputError

__all__ = [
    "MAX_MEMBERS",
    "MAX_RATIO",
    "MAX_TOTAL_BYTES",
    "SafeArchive",
    "parse_xml",
]

MAX_TOTAL_BYTES = 2 * 1024**3
MAX_MEMBERS = 200_000
# Deflate reaches ~1032:1 on constant input; real project XML and text compress 3-20:1.
MAX_RATIO = 200
_RATIO_FLOOR_BYTES = 1024 * 1024  # small members may compress as they like
_CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


def _unsafe_name(name: str) -> str | None:
    if "\\" in name:
        return "a backslash"
    if name.startswith("/") or _DRIVE.match(name):
        return "an absolute path"
    if any(part == ".." for part in PurePosixPath(name).parts):
        return "a '..' component"
    if "\x00" in name:
        return "a NUL character"
    return None


class SafeArchive:
    """A zip archive checked for path tricks and decompression bombs before use."""

    def __init__(
        self,
        path: str | Path,
        *,
        max_total_bytes: int = MAX_TOTAL_BYTES,
        max_ratio: float = MAX_RATIO,
        max_members: int = MAX_MEMBERS,
    ) -> None:
        self.path = Path(path)
        self.max_total_bytes = max_total_bytes
        self.max_ratio = max_ratio
        try:
            self._zip = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise BadInputError("file not found", file=self.path) from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise BadInputError(f"not a zip archive (.qdpx): {exc}", file=self.path) from None
        try:
            self._check(max_members)
        except BadInputError:
            self._zip.close()
            raise
        self._read_bytes = 0
        self._lower: dict[str, str] | None = None

    def _check(self, max_members: int) -> None:
        infos = self._zip.infolist()
        if len(infos) > max_members:
            raise self._refuse(f"{len(infos)} members, more than the limit of {max_members}")
        total = 0
        for info in infos:
            reason = _unsafe_name(info.filename)
            if reason:
                raise self._refuse(f"member {info.filename!r} has {reason} (zip-slip)")
            if info.flag_bits & 0x1:
                raise self._refuse(f"member {info.filename!r} is encrypted")
            total += info.file_size
            if total > self.max_total_bytes:
                raise self._refuse(
                    f"it would unpack to more than {self.max_total_bytes:,} bytes "
                    "(decompression bomb?)"
                )
            if info.file_size > _RATIO_FLOOR_BYTES and info.file_size > self.max_ratio * max(
                info.compress_size, 1
            ):
                raise self._refuse(
                    f"member {info.filename!r} compresses "
                    f"{info.file_size / max(info.compress_size, 1):,.0f}:1, more than "
                    f"{self.max_ratio:g}:1 (decompression bomb?)"
                )

    def _refuse(self, why: str) -> BadInputError:
        return BadInputError(f"refused: {why}; nothing was imported", file=self.path)

    def names(self) -> list[str]:
        return [info.filename for info in self._zip.infolist() if not info.is_dir()]

    def find(self, name: str) -> str | None:
        """The member called ``name``, compared without regard to case."""
        if self._lower is None:
            self._lower = {member.lower(): member for member in self.names()}
        return self._lower.get(name.lower())

    def read(self, name: str) -> bytes:
        """A member's bytes, read no further than its declared size and the total limit."""
        info = self._zip.getinfo(name)
        allowed = min(info.file_size, self.max_total_bytes - self._read_bytes)
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(min(_CHUNK, allowed - size + 1)):
                    size += len(chunk)
                    if size > allowed:
                        raise self._refuse(
                            f"member {name!r} unpacks to more than it declares "
                            "(decompression bomb?)"
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise BadInputError(f"damaged member {name!r}: {exc}", file=self.path) from None
        self._read_bytes += size
        return b"".join(chunks)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


_ROOT_START = re.compile(rb"<[A-Za-z_]")


def _declares_dtd(data: bytes) -> bool:
    root = _ROOT_START.search(data)
    return b"<!DOCTYPE" in data[: root.start() if root else len(data)]


def _refuse_dtd(file: str | Path) -> BadInputError:
    return BadInputError(
        "refused: the XML declares a DTD (entities could read files or expand without "
        "bound); REFI-QDA files have none; nothing was imported",
        file=file,
    )


def parse_xml(data: bytes, *, file: str | Path) -> etree._Element:
    """Parse untrusted XML; refuse DTDs (external entities, entity expansion bombs)."""
    if _declares_dtd(data):
        raise _refuse_dtd(file)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise BadInputError(f"malformed XML: {exc}", file=file) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _refuse_dtd(file)
    return root
