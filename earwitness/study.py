"""A study is a folder: ``earwitness.toml``, a database, ``raw/``, ``audio/``, ``exports/``.

It is found the way git finds a repository: an explicit ``--study DIR``, else the
``EARWITNESS_STUDY`` environment variable, else the current folder or the nearest
parent holding ``earwitness.toml``.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from earwitness.errors import EarwitnessError, StudyNotFoundError
from earwitness.settings import default_settings, validate_setting

if TYPE_CHECKING:
    from earwitness.store import Store

__all__ = ["CONFIG_NAME", "KEY_NAME", "Study", "find_study", "init_study"]

CONFIG_NAME = "earwitness.toml"
KEY_NAME = "secret.key"
DB_NAME = "study.db"
FOLDERS = ("raw", "audio", "exports")
_STUDY_GITIGNORE = (
    f"# Never share or commit the pseudonym key or the raw archive.\n{KEY_NAME}\nraw/\n"
)


@dataclass
class Study:
    """An opened study folder and its settings."""

    root: Path
    settings: dict[str, Any] = field(default_factory=dict)

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
        """The database URL: EARWITNESS_DB_URL, else the config, else SQLite in the folder."""
        url = os.environ.get("EARWITNESS_DB_URL") or self.settings.get("db_url") or ""
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
        from earwitness.store import Store

        return Store.open(self.db_url, check_schema=check_schema, read_only=read_only)

    def save_settings(self) -> None:
        with self.config_path.open("wb") as handle:
            tomli_w.dump(self.settings, handle)

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
    """Create a study folder with its config, key, folders and an up-to-date database."""
    from earwitness.store import Store, check_db_url

    if (root / CONFIG_NAME).exists():
        raise EarwitnessError(f"{root}: a study already exists here")
    if db_url:
        check_db_url(db_url)
    root.mkdir(parents=True, exist_ok=True)
    for folder in FOLDERS:
        (root / folder).mkdir(exist_ok=True)
    _write_key(root / KEY_NAME)
    (root / ".gitignore").write_text(_STUDY_GITIGNORE)
    settings = default_settings()
    settings.update(
        name=name or root.resolve().name,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        db_url=db_url or "",
    )
    study = Study(root=root.resolve(), settings=settings)
    with Store.open(study.db_url, check_schema=False) as store:
        store.upgrade()
        study.settings["schema_version"] = store.schema_version() or ""
    study.save_settings()
    return study


def _write_key(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    os.chmod(path, 0o600)
