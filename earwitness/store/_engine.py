"""Opening a study database: SQLite (WAL, foreign keys on) or PostgreSQL."""

from __future__ import annotations

import errno
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError

from earwitness.errors import DatabaseLockedError, EarwitnessError, SchemaMismatchError

__all__ = ["Store", "check_db_url", "explain_database_error"]

T = TypeVar("T")
_MIGRATIONS = Path(__file__).with_name("migrations")
_SQLITE_BUSY_TIMEOUT_S = 5.0


def check_db_url(url: str) -> URL:
    """Parse a database URL, or fail with one clear line."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise EarwitnessError(
            f"malformed database URL {_hide_password(url)!r}: expected sqlite:///PATH "
            "or postgresql://USER@HOST[:PORT]/DATABASE"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise EarwitnessError(
            f"unsupported database {backend!r} in URL: earwitness runs on sqlite or postgresql"
        )
    if backend == "postgresql" and not parsed.database:
        raise EarwitnessError("malformed database URL: a postgresql URL must name a database")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url.split("@")[-1] if "@" in url else url


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def _on_readonly_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.isolation_level = None
    dbapi_connection.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_TIMEOUT_S * 1000)}")
    dbapi_connection.execute("PRAGMA query_only=ON")  # refuse writes even where mode=ro cannot


def _on_sqlite_begin(connection: Connection) -> None:
    # A writer takes the lock at BEGIN, so it waits (busy_timeout) instead of failing
    # when it upgrades a read lock that another writer holds.
    writes = connection.get_execution_options().get("earwitness_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


class Store:
    """A study database. Every area reads and writes through one of these.

    Reads use :meth:`connect`; every write that touches several rows goes through
    :meth:`transaction`, which commits all of it or none of it.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(
        cls,
        url: str,
        *,
        check_schema: bool = True,
        create: bool = True,
        read_only: bool = False,
        untouched: bool = False,
    ) -> Store:
        """Open a database; ``create=False`` refuses a missing SQLite file. ``read_only``
        makes every write fail: SQLite opens with ``mode=ro`` (``immutable=1`` in a
        read-only folder) and ``query_only``, PostgreSQL with read-only transactions.
        ``untouched`` (with ``read_only``) also leaves the SQLite folder as it is: see
        :func:`_untouched_sqlite_engine`."""
        parsed = check_db_url(url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                _prepare_sqlite_file(Path(database), create=create and not read_only)
            connect_args: dict[str, Any] = {"timeout": _SQLITE_BUSY_TIMEOUT_S}
            if read_only and untouched and database and database != ":memory:":
                engine = _untouched_sqlite_engine(Path(database))
            else:
                if read_only and database and database != ":memory:":
                    parsed = _readonly_sqlite_url(parsed, Path(database))
                engine = sa.create_engine(parsed, connect_args=connect_args)
            # pysqlite's own transaction handling is unreliable; emit BEGIN ourselves
            # (SQLAlchemy 2.0 docs, "Serializable isolation / Savepoints / Transactional DDL").
            on_connect = _on_readonly_sqlite_connect if read_only else _on_sqlite_connect
            sa.event.listen(engine, "connect", on_connect)
            sa.event.listen(engine, "begin", _on_sqlite_begin)
        else:
            options = {"options": "-c default_transaction_read_only=on"} if read_only else {}
            engine = sa.create_engine(parsed, pool_pre_ping=True, connect_args=options)
        store = cls(engine)
        try:
            with engine.connect():
                pass
        except DBAPIError as exc:
            engine.dispose()
            explained = explain_database_error(exc, database=store._database())
            if explained is not None:
                raise EarwitnessError(explained) from None
            raise EarwitnessError(
                f"cannot open database {parsed.render_as_string(hide_password=True)}: "
                f"{_first_line(exc)}"
            ) from None
        if check_schema:
            try:
                store.check_schema()
            except BaseException:
                engine.dispose()
                raise
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _database(self) -> Path | None:
        """An SQLite database's file (to tell a full disk from a faulty one, and to check
        a damaged one's integrity); None for PostgreSQL and in-memory databases."""
        database = self.engine.url.database or ""
        if self.dialect != "sqlite" or not database or database == ":memory:":
            return None
        return Path(database.removeprefix("file:"))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def backend(self) -> str:
        return "SQLite" if self.dialect == "sqlite" else "PostgreSQL"

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with _translate_lock_errors(self._database()), self.engine.connect() as connection:
            yield connection

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: everything inside commits together or not at all."""
        with _translate_lock_errors(self._database()), self.engine.connect() as connection:
            connection.execution_options(earwitness_write=True)
            with connection.begin():
                yield connection

    def retrying(self, work: Callable[[Connection], T], *, attempts: int = 5) -> T:
        """Run ``work`` in one transaction; if a concurrent writer made it clash on a
        unique key (PostgreSQL), run it again, seeing that writer's rows this time."""
        for attempt in range(attempts):
            try:
                with self.transaction() as connection:
                    return work(connection)
            except IntegrityError as exc:
                if attempt == attempts - 1 or not _is_unique_violation(exc):
                    raise
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    # --- schema -------------------------------------------------------------------

    def _alembic_config(self, connection: Connection | None = None) -> Config:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def head_version(self) -> str:
        heads = ScriptDirectory.from_config(self._alembic_config()).get_heads()
        return str(heads[0])

    def known_versions(self) -> list[str]:
        script = ScriptDirectory.from_config(self._alembic_config())
        return [str(rev.revision) for rev in script.walk_revisions()]

    def schema_version(self) -> str | None:
        with self.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def is_newer_than_known(self) -> bool:
        """Whether the database was migrated by a newer earwitness than this one."""
        current = self.schema_version()
        return current is not None and current not in self.known_versions()

    def check_schema(self) -> None:
        """Refuse a database older or newer than this version of earwitness."""
        current, head = self.schema_version(), self.head_version()
        if current == head:
            return
        if current is None:
            raise SchemaMismatchError(
                f"{self.url} holds no earwitness schema; create a study with `earwitness init`"
            )
        if current not in self.known_versions():
            raise SchemaMismatchError(
                f"the study's schema ({current}) is newer than this earwitness knows "
                f"(up to {head}); upgrade earwitness to open it"
            )
        raise SchemaMismatchError(
            f"the study's schema ({current}) is older than this earwitness ({head}); "
            "run `earwitness db upgrade` to migrate it (back up the database first)"
        )

    def upgrade(self, revision: str = "head") -> tuple[str | None, str | None]:
        """Apply pending migrations; return the (before, after) schema versions."""
        before = self.schema_version()
        if before is not None and before not in self.known_versions():
            self.check_schema()
        with self.transaction() as connection:
            command.upgrade(self._alembic_config(connection), revision)
        return before, self.schema_version()

    def rows_changed(self, connection: Connection) -> int | None:
        """On PostgreSQL, rows inserted, updated and deleted in the study's tables since the
        server's statistics began (a cheap change counter for caches); None on SQLite."""
        if self.dialect != "postgresql":
            return None
        return int(
            connection.exec_driver_sql(
                "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                "FROM pg_stat_user_tables"
            ).scalar_one()
        )

    # --- writing helpers ----------------------------------------------------------

    def upsert(
        self,
        connection: Connection,
        table: sa.Table,
        rows: Sequence[Mapping[str, Any]],
        *,
        key: Sequence[str],
        update: Sequence[str] = (),
    ) -> None:
        """Insert rows; on a clash of ``key``, update the ``update`` columns (or do nothing)."""
        if not rows:
            return
        insert = postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)
        if update:
            excluded = insert.excluded
            statement = insert.on_conflict_do_update(
                index_elements=list(key), set_={name: excluded[name] for name in update}
            )
        else:
            statement = insert.on_conflict_do_nothing(index_elements=list(key))
        connection.execute(statement, [dict(row) for row in rows])


@contextmanager
def _translate_lock_errors(database: Path | None = None) -> Iterator[None]:
    try:
        yield
    except DBAPIError as exc:
        if "database is locked" in str(exc.orig):
            raise DatabaseLockedError(
                "the study database is locked by another process; try again when it has finished"
            ) from None
        explained = explain_database_error(exc, database=database)
        if explained is not None:
            raise EarwitnessError(explained) from None
        raise


_FULL = (
    "the disk holding the study database is full: the write under way was undone, all "
    "of it; free some space and run the command again"
)
# (fragment of the driver's message, what to tell the user); never the SQL or its data.
_DATABASE_FAULTS: tuple[tuple[str, str], ...] = (
    (
        "database or disk is full",
        _FULL,
    ),
    (
        "could not extend file",
        _FULL,
    ),
    (
        "no space left on device",
        _FULL,
    ),
    (
        "database disk image is malformed",
        "the study database is corrupt (malformed or truncated): restore study.db from a "
        "backup; earwitness changed nothing",
    ),
    (
        "file is not a database",
        "the study database is not an SQLite database (corrupt or overwritten): restore "
        "study.db from a backup; earwitness changed nothing",
    ),
    (
        "could not decode to utf-8",
        "the study database is damaged (its pages hold bytes earwitness never wrote): "
        "restore study.db from a backup; earwitness changed nothing",
    ),
    (
        "attempt to write a readonly database",
        "the study database is read-only (a read-only folder or file): run this command "
        "where the study can be written, or ask its owner for write access",
    ),
    (
        "unable to open database file",
        "the study database cannot be opened (a read-only or missing folder, or no "
        "permission): check the study folder and its permissions",
    ),
    (
        "disk i/o error",
        "the disk failed while reading or writing the study database (full, read-only "
        "or faulty): check the disk, then run the command again",
    ),
)


_DAMAGE = ("database disk image is malformed", "file is not a database", "could not decode")


def explain_database_error(
    exc: BaseException, folder: Path | None = None, *, database: Path | None = None
) -> str | None:
    """One line for a database fault the user can fix (full disk, corrupt file,
    read-only folder); None for anything else. It never quotes the SQL or its data.

    SQLite reports a full disk met while writing its WAL as a plain "disk I/O error":
    with the database's ``folder`` known, a folder with no free space says "full". With
    the SQLite ``database`` file known, a damaged one is named with SQLite's integrity
    check of it."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).lower()
    if database is not None:
        folder = database.parent
    if "disk i/o error" in text and folder is not None and _free_bytes(folder) < _NEARLY_FULL:
        return _DATABASE_FAULTS[0][1]
    for fragment, message in _DATABASE_FAULTS:
        if fragment in text:
            if database is not None and any(damage in text for damage in _DAMAGE):
                return _damaged(database, text)
            return message
    if getattr(original, "errno", None) == errno.ENOSPC:
        return _DATABASE_FAULTS[0][1]
    return None


_NEARLY_FULL = 256 * 1024
_INTEGRITY_ERRORS_SHOWN = 3


def _damaged(database: Path, text: str) -> str:
    """What is wrong with a damaged SQLite file, what its integrity check says, and how
    to restore it; never a byte of its data."""
    if "could not decode" in text:
        what = "holds text that is not UTF-8 (bytes earwitness never wrote)"
    elif "not a database" in text:
        what = "is not an SQLite database (corrupt or overwritten)"
    else:
        what = "is corrupt (malformed or truncated)"
    return (
        f"{database}: the study database is damaged: it {what}; SQLite integrity check: "
        f"{integrity_check(database)}; restore study.db from a backup (or save what is "
        f"readable with `sqlite3 {database.name} .recover`); earwitness changed nothing"
    )


def integrity_check(database: Path) -> str:
    """SQLite's ``PRAGMA integrity_check`` of a database file, read-only, in one line:
    "ok", or its first problems and how many it found."""
    uri = f"file:{database.resolve().as_posix()}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=_SQLITE_BUSY_TIMEOUT_S)
        try:
            rows = [str(row[0]) for row in connection.execute("PRAGMA integrity_check(100)")]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        return f"cannot run ({_first_line(exc)})"
    if rows == ["ok"]:
        return "ok (the page structure is sound; values in it are not)"
    shown = "; ".join(" ".join(row.split()) for row in rows[:_INTEGRITY_ERRORS_SHOWN])
    more = f" (and {len(rows) - _INTEGRITY_ERRORS_SHOWN} more)" if len(rows) > 3 else ""
    count = "100 or more problems" if len(rows) >= 100 else f"{len(rows)} problem(s)"
    return f"{count}: {shown}{more}"


def _free_bytes(folder: Path) -> int:
    try:
        stats = os.statvfs(folder)
    except OSError:
        return _NEARLY_FULL
    return stats.f_bavail * stats.f_frsize


def _prepare_sqlite_file(path: Path, *, create: bool) -> None:
    """Refuse a missing database unless creating; create a new one 0600 (private)."""
    if not path.parent.is_dir():
        raise EarwitnessError(f"database folder does not exist: {path.parent}")
    if path.exists():
        if not path.is_file():
            raise EarwitnessError(f"{path}: the study database is not a regular file")
        if not create and path.stat().st_size == 0:  # SQLite would take it for a new one
            raise EarwitnessError(
                f"{path}: the study database is empty (0 bytes): it was truncated (a full "
                "disk, a crash or an interrupted copy); restore it from a backup. "
                "earwitness changed nothing"
            )
        return
    if not create:
        raise EarwitnessError(
            f"{path}: the study database is missing; restore it from a backup "
            "(earwitness does not recreate it empty)"
        )
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.chmod(path, 0o600)  # umask cannot widen 0600, but an odd one could narrow it
    except FileExistsError:
        pass  # another process created it first: SQLite opens it as it is
    except OSError as exc:
        raise EarwitnessError(f"{path}: cannot create the study database: {exc.strerror}") from None


def _readonly_sqlite_url(parsed: URL, path: Path) -> URL:
    """``file:PATH?mode=ro``; where the folder cannot be written (no -shm can be made)
    and no WAL is pending, ``immutable=1`` too (SQLite URI docs, "immutable")."""
    query = {"mode": "ro", "uri": "true"}
    wal = path.with_name(path.name + "-wal")
    if not os.access(path.parent, os.W_OK) and not (wal.exists() and wal.stat().st_size):
        query["immutable"] = "1"
    return parsed.set(database=f"file:{path.resolve().as_posix()}", query=query)


def _untouched_sqlite_engine(path: Path) -> Engine:
    """Read ``path`` without creating or changing any file beside it.

    A WAL database opened ``mode=ro`` still creates ``-wal`` and ``-shm`` files (and leaves
    them, as a read-only connection cannot remove them). So every connection decides anew
    (no pool): while a WAL holds pages not yet in the file, ``mode=ro`` reads through it and
    the ``-shm`` beside it; otherwise (no WAL, or an empty one left by a closed writer)
    ``immutable=1`` reads the file alone, creating and changing nothing (SQLite URI docs,
    "immutable"). A checkpoint that runs during an immutable read can give that one read an
    error; the next read sees the WAL and opens ``mode=ro``."""
    resolved = path.resolve()
    wal, shm = (resolved.with_name(resolved.name + x) for x in ("-wal", "-shm"))

    def connect() -> sqlite3.Connection:
        pending = wal.exists() and wal.stat().st_size > 0 and shm.exists()
        mode = "mode=ro" if pending else "mode=ro&immutable=1"
        return sqlite3.connect(
            f"file:{quote(resolved.as_posix())}?{mode}",
            uri=True,
            timeout=_SQLITE_BUSY_TIMEOUT_S,
            check_same_thread=False,
        )

    return sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.NullPool)


def _is_unique_violation(exc: IntegrityError) -> bool:
    original = exc.orig
    if getattr(original, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "UNIQUE constraint failed" in str(original)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
