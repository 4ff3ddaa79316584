"""Opening a study database: SQLite (WAL, foreign keys on) or PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from earwitness.errors import DatabaseLockedError, EarwitnessError, SchemaMismatchError

__all__ = ["Store", "check_db_url"]

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


def _sqlite_query_only(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.execute("PRAGMA query_only=ON")  # SQLite refuses every write


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
    def open(cls, url: str, *, check_schema: bool = True, read_only: bool = False) -> Store:
        """Open a study database; ``read_only`` makes every write fail in the database."""
        parsed = check_db_url(url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not Path(database).parent.is_dir():
                raise EarwitnessError(f"database folder does not exist: {Path(database).parent}")
            engine = sa.create_engine(parsed, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S})
            # pysqlite's own transaction handling is unreliable; emit BEGIN ourselves
            # (SQLAlchemy 2.0 docs, "Serializable isolation / Savepoints / Transactional DDL").
            sa.event.listen(engine, "connect", _on_sqlite_connect)
            sa.event.listen(engine, "begin", _on_sqlite_begin)
            if read_only:
                sa.event.listen(engine, "connect", _sqlite_query_only)
        else:
            options = {"options": "-c default_transaction_read_only=on"} if read_only else {}
            engine = sa.create_engine(parsed, pool_pre_ping=True, connect_args=options)
        store = cls(engine)
        try:
            with engine.connect():
                pass
        except OperationalError as exc:
            engine.dispose()
            raise EarwitnessError(
                f"cannot open database {parsed.render_as_string(hide_password=True)}: "
                f"{_first_line(exc)}"
            ) from None
        if check_schema:
            store.check_schema()
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
        with _translate_lock_errors(), self.engine.connect() as connection:
            yield connection

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: everything inside commits together or not at all."""
        with _translate_lock_errors(), self.engine.connect() as connection:
            connection.execution_options(earwitness_write=True)
            with connection.begin():
                yield connection

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
def _translate_lock_errors() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        if "database is locked" in str(exc):
            raise DatabaseLockedError(
                "the study database is locked by another process; try again when it has finished"
            ) from None
        raise


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
