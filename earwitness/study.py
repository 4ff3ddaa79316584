"""A study is a folder: ``earwitness.toml``, a database, ``raw/``, ``audio/``, ``exports/``.

It is found the way git finds a repository: an explicit ``--study DIR``, else the
``EARWITNESS_STUDY`` environment variable, else the current folder or the nearest
parent holding ``earwitness.toml``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from earwitness.errors import EarwitnessError, StudyNotFoundError
from earwitness.files import (
    disk_error,
    is_abandoned,
    make_private_dir,
    owner_tag,
    remove_stale_temporaries,
    write_text_atomic,
)
from earwitness.settings import default_settings, validate_setting

if TYPE_CHECKING:
    from earwitness.store import Store

__all__ = ["CONFIG_NAME", "KEY_NAME", "Study", "find_study", "init_study", "join_study"]

CONFIG_NAME = "earwitness.toml"
KEY_NAME = "secret.key"
DB_NAME = "study.db"
FOLDERS = ("raw", "audio", "exports")
STAGING_PREFIX = ".earwitness-staging"
# Folders where a killed command may leave a temporary file (files.atomic_output).
_TEMPORARY_FOLDERS = ("", "audio", "exports", "listening")
_STUDY_GITIGNORE = (
    f"# Never share or commit the pseudonym key or the raw archive.\n{KEY_NAME}\nraw/\n"
)


@dataclass
class Study:
    """An opened study folder and its settings."""

    root: Path
    settings: dict[str, Any] = field(default_factory=dict)
    db_override: str | None = None  # `--db URL` for this run; never saved

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def audio_dir(self) -> Path:
        return self.root / "audio"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def name(self) -> str:
        return str(self.settings.get("name") or self.root.name)

    @property
    def db_url(self) -> str:
        """The database URL: ``--db``, else EARWITNESS_DB_URL, else the config, else SQLite
        in the folder."""
        url = (
            self.db_override
            or os.environ.get("EARWITNESS_DB_URL")
            or self.settings.get("db_url")
            or ""
        )
        return str(url) if url else f"sqlite:///{self.root / DB_NAME}"

    @property
    def keep_raw(self) -> bool:
        return bool(self.settings.get("keep_raw", True))

    def setting(self, name: str) -> Any:
        return self.settings.get(name, default_settings().get(name))

    def key(self) -> bytes:
        """The secret key behind pseudonyms. Never exported, never logged."""
        path = self.root / KEY_NAME
        try:
            return bytes.fromhex(path.read_text().strip())
        except FileNotFoundError:
            raise EarwitnessError(f"{path}: the study's pseudonym key is missing") from None
        except ValueError:
            raise EarwitnessError(f"{path}: the pseudonym key is not valid hex") from None

    def open_store(self, *, check_schema: bool = True, read_only: bool = False) -> Store:
        """Open the study's database; a missing SQLite file is refused, never recreated.

        With ``check_schema`` the key in this folder must match the stored fingerprint.
        """
        from earwitness.store import Store, check_key, key_mismatch

        store = Store.open(
            self.db_url, check_schema=check_schema, create=False, read_only=read_only
        )
        if check_schema and (self.root / KEY_NAME).is_file():
            try:
                with store.connect() as connection:
                    matches = check_key(connection, self.key())
            except BaseException:
                store.close()
                raise
            if matches is False:
                store.close()
                raise key_mismatch(str(self.root / KEY_NAME))
        return store

    def sweep(self) -> list[Path]:
        """Remove what killed commands left in the study folder: temporary ``.part``
        files and staging folders whose process is gone. Return what was removed."""
        removed = remove_stale_staging(self.root)
        for folder in _TEMPORARY_FOLDERS:
            removed += remove_stale_temporaries(self.root / folder)
        return removed

    def save_settings(self) -> None:
        write_text_atomic(self.config_path, tomli_w.dumps(self.settings))

    @classmethod
    def load(cls, root: Path) -> Study:
        path = root / CONFIG_NAME
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StudyNotFoundError(f"{root}: not a study (no {CONFIG_NAME})") from None
        except tomllib.TOMLDecodeError as exc:
            raise EarwitnessError(f"{path}: malformed TOML: {exc}") from None
        settings = default_settings()
        settings.update(
            {name: validate_setting(name, value, file=str(path)) for name, value in raw.items()}
        )
        return cls(root=root.resolve(), settings=settings)


def find_study(explicit: str | Path | None = None, start: Path | None = None) -> Study:
    """Locate the study: explicit folder, then EARWITNESS_STUDY, then cwd and its parents."""
    chosen = explicit or os.environ.get("EARWITNESS_STUDY")
    if chosen:
        return Study.load(Path(chosen))
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return Study.load(folder)
    raise StudyNotFoundError(
        f"no study found in {here} or its parents; create one with `earwitness init DIR` "
        "or name one with --study DIR"
    )


def init_study(root: Path, *, name: str | None = None, db_url: str | None = None) -> Study:
    """Create a study folder with its config, key, folders and an up-to-date database.

    Everything is built in a private hidden folder inside ``root`` and moved into place
    when complete, ``earwitness.toml`` last: an interrupted init leaves no study behind
    (the next run removes its staging folder), and a failed one (a full disk) removes
    what it made. A database that already holds a
    study is refused: a second coder joins it with :func:`join_study`.
    """
    from earwitness.store import check_db_url

    if (root / CONFIG_NAME).exists():
        raise EarwitnessError(f"{root}: a study already exists here")
    if db_url:
        check_db_url(db_url)
        _refuse_a_team_database(db_url)
    key = secrets.token_bytes(32)
    settings = default_settings()
    settings.update(
        name=name or root.resolve().name,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        db_url=db_url or "",
    )
    return _build(root, key, settings, new_database=True)


def join_study(root: Path, *, db_url: str, key_file: Path | None = None) -> Study:
    """Make ``root`` a folder on a team's existing study database, with the team's key.

    The key comes from ``key_file`` (a copy of the creator's ``secret.key``, passed on
    out of band) or from a ``secret.key`` already placed in ``root``. It must match the
    key fingerprint stored in the database, so every coder gets the same pseudonyms.
    """
    from earwitness.store import Store, check_db_url, check_key

    if (root / CONFIG_NAME).exists():
        raise EarwitnessError(f"{root}: a study already exists here")
    check_db_url(db_url)
    source = key_file or root / KEY_NAME
    key = _read_key(source, hint="give the team's key with --key-file FILE")
    with Store.open(db_url, check_schema=False, create=False) as store:
        if store.schema_version() is None:
            raise EarwitnessError(
                "the database holds no earwitness study: create one with `earwitness init`"
            )
        store.check_schema()
        with store.connect() as connection:
            matches = check_key(connection, key)
    if matches is None:
        raise EarwitnessError(
            "the database holds no key fingerprint yet: run `earwitness db upgrade` once in "
            "the study folder that created it, then join again"
        )
    if not matches:
        from earwitness.store import key_mismatch

        raise key_mismatch(str(source))
    settings = default_settings()
    settings.update(
        name=root.resolve().name,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        db_url=db_url,
    )
    return _build(root, key, settings, new_database=False)


def _refuse_a_team_database(db_url: str) -> None:
    import sqlalchemy as sa

    from earwitness.store import Store, check_db_url, schema

    parsed = check_db_url(db_url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not path.is_file() or path.stat().st_size == 0:
            return  # a new SQLite file (none, or one just made empty): nothing to refuse
    with Store.open(db_url, check_schema=False, create=False) as store:
        if store.schema_version() is None:
            return
        if store.is_newer_than_known():
            store.check_schema()
        with store.connect() as connection:
            tables = [schema.participants, schema.documents, schema.codings, schema.codes]
            if sa.inspect(connection).has_table(schema.study_meta.name):
                tables.append(schema.study_meta)
            held = any(
                connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in tables
            )
    if held:
        raise EarwitnessError(
            "the database already holds a study: to work on it from a new folder, run "
            "`earwitness join DIR --db URL --key-file KEY` with the team's secret.key "
            "(see docs/team.md)"
        )


def _build(root: Path, key: bytes, settings: dict[str, Any], *, new_database: bool) -> Study:
    """Lay out the study in a staging folder, open its database, then move it in place."""
    from earwitness.store import Store, key_fingerprint, key_mismatch, record_key

    with _staged(root) as staging:
        for folder in FOLDERS:
            if folder == "raw":
                make_private_dir(staging / folder)
            else:
                (staging / folder).mkdir(exist_ok=True)
        placed = root / KEY_NAME  # the team's key, copied into the folder before `join`
        if placed.is_file() and _read_key(placed, hint="") == key:
            os.chmod(placed, 0o600)
        else:
            write_text_atomic(staging / KEY_NAME, key.hex() + "\n", mode=0o600)
        write_text_atomic(staging / ".gitignore", _STUDY_GITIGNORE)
        study = Study(root=staging.resolve(), settings=settings)
        with Store.open(study.db_url, check_schema=False, create=new_database) as store:
            if new_database:
                store.upgrade()
            with store.transaction() as connection:
                if record_key(connection, key) != key_fingerprint(key):
                    raise key_mismatch(str(root / KEY_NAME))
            study.settings["schema_version"] = store.schema_version() or ""
        study.save_settings()
    return Study.load(root)


@contextmanager
def _staged(root: Path) -> Iterator[Path]:
    """A private (0700) staging folder inside ``root`` whose entries end up in ``root``,
    all of them or none; a killed run's staging is removed by the next one."""
    root = Path(root)
    created = not root.exists()
    try:
        root.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(root)
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{owner_tag()}", dir=root))
    except OSError as exc:
        raise disk_error(exc, root) from None
    try:
        yield staging
        _move_into_place(staging, root)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            with suppress(OSError):
                root.rmdir()  # only if nothing else was put there meanwhile
        if isinstance(exc, OSError):
            raise disk_error(exc, root) from None
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_stale_staging(root: Path) -> list[Path]:
    """Delete staging folders in ``root`` left by a killed init or join (they may hold a
    copy of the key); a staging folder whose process still runs is left alone."""
    removed = []
    for entry in _entries(root):
        if entry.name.startswith(STAGING_PREFIX) and entry.is_dir() and is_abandoned(entry.name):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _move_into_place(staging: Path, root: Path) -> None:
    entries = sorted(staging.iterdir(), key=lambda p: p.name == CONFIG_NAME)
    taken = [entry.name for entry in entries if os.path.lexists(root / entry.name)]
    if taken:
        raise EarwitnessError(
            f"{root} already holds {', '.join(taken)} but no {CONFIG_NAME} (an interrupted "
            "init, or another program's files): remove them or choose another folder"
        )
    moved: list[Path] = []
    try:
        for entry in entries:  # earwitness.toml last: until then this is no study
            os.rename(entry, root / entry.name)
            moved.append(root / entry.name)
    except BaseException:
        for path in moved:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise


def _read_key(path: Path, *, hint: str) -> bytes:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise EarwitnessError(f"{path}: no pseudonym key here; {hint}") from None
    except OSError as exc:
        raise EarwitnessError(f"{path}: cannot read the key: {exc.strerror}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise EarwitnessError(f"{path}: the pseudonym key is not valid hex") from None
    if len(key) < 16:
        raise EarwitnessError(f"{path}: the pseudonym key is too short to be a study's key")
    return key
