"""Writing files so that an interruption or a full disk never leaves half a file.

Every output (exports, reports, copies into the study) is written to a temporary file
beside its target, flushed to disk, and renamed over the target only when complete:
rename(2) is atomic within a file system (POSIX.1-2017), so a reader sees the old file
or the new one, never a torn one. A target that exists but is not a regular file (a
symlink, a device, a folder) is refused rather than replaced.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from earwitness.errors import EarwitnessError

__all__ = [
    "atomic_output",
    "check_replaceable",
    "disk_error",
    "is_abandoned",
    "make_private_dir",
    "owner_tag",
    "remove_stale_temporaries",
    "write_text_atomic",
]

# A temporary file names the host and process that write it, so the next run can tell an
# abandoned one (its writer killed) from one another command is still writing.
_OWNER = re.compile(r"\.~(?P<host>[A-Za-z0-9_-]{1,40})-(?P<pid>\d+)~")
_UNOWNED_STALE_S = 24 * 3600  # temporaries named before owners were recorded


def check_replaceable(path: Path) -> None:
    """Refuse a target that exists and is not a regular file (symlinks included)."""
    if not os.path.lexists(path):
        return
    if path.is_symlink():
        raise EarwitnessError(
            f"{path} is a symbolic link: refusing to replace it; name a regular file"
        )
    if not path.is_file():
        raise EarwitnessError(f"{path} exists and is not a regular file: refusing to replace it")


def disk_error(exc: OSError, path: Path) -> EarwitnessError:
    """One line for a failed write: what happened, what to do."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return EarwitnessError(
            f"{path}: no space left on the disk; nothing was replaced: free some space "
            "and run the command again"
        )
    if exc.errno == errno.EROFS:
        return EarwitnessError(f"{path}: the folder is on a read-only file system; write elsewhere")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return EarwitnessError(f"{path}: permission denied; write elsewhere or fix permissions")
    return EarwitnessError(f"{path}: cannot write: {exc.strerror or exc}")


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_output(path: Path, *, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    ``mode`` is the file's permission (default: 0666 less the umask, as ``open`` would
    give). On any error the temporary file is removed and the target is untouched.
    """
    path = Path(path)
    check_replaceable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path.parent)
        handle, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}{owner_tag()}", suffix=".part"
        )
        os.close(handle)
    except OSError as exc:
        raise disk_error(exc, path) from None
    temporary = Path(name)
    try:
        yield temporary
        _sync(temporary)
        os.chmod(temporary, _default_mode() if mode is None else mode)
        check_replaceable(path)  # it may have changed while we wrote
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise disk_error(exc, path) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomic(path: Path, text: str, *, mode: int | None = None) -> None:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_output`."""
    with atomic_output(path, mode=mode) as temporary:
        temporary.write_text(text, encoding="utf-8")


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) readable by its owner only: 0700 whatever the umask."""
    if path.is_dir():
        return
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def owner_tag() -> str:
    """``.~HOST-PID~``: part of a temporary name, so that a later run can tell whether
    the process writing it is still alive."""
    host = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:40] or "host"
    return f".~{host}-{os.getpid()}~"


def is_abandoned(name: str, *, age_s: float | None = None) -> bool:
    """Whether a temporary named with :func:`owner_tag` belongs to a process of this host
    that is gone; one named without an owner is abandoned after a day (``age_s``)."""
    match = _OWNER.search(name)
    if match is None:
        return age_s is not None and age_s > _UNOWNED_STALE_S
    host = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:40] or "host"
    if match["host"] != host:
        return False  # another machine's: it may be writing on a shared folder now
    return not _alive(int(match["pid"]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the ``.*.part`` files in ``folder`` whose writer was killed; the removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(".part")):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if is_abandoned(entry.name, age_s=now - entry.stat(follow_symlinks=False).st_mtime):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed
