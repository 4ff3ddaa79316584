"""The study's services: read them, add them, and match tools and version labels to them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.errors import BadInputError, EarwitnessError
from earwitness.store import Store
from earwitness.store import schema as s

__all__ = [
    "Service",
    "ServiceIndex",
    "add_aliases",
    "add_labels",
    "add_service",
    "audio_label",
    "load_services",
    "norm",
]


def norm(text: str) -> str:
    """Case- and space-folded form used to match names, aliases and labels."""
    return " ".join(text.casefold().split())


def audio_label(name: str) -> str:
    """The default audio label of a service: ``ai:`` and its name as a slug."""
    return "ai:" + "-".join(name.casefold().replace(":", " ").split())


@dataclass(frozen=True)
class Service:
    """One AI service: its canonical name, text aliases and audio labels."""

    name: str
    aliases: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fictional(self) -> bool:
        return bool(self.extra.get("fictional"))


def load_services(connection: Connection) -> list[Service]:
    """Every service of the study, by name, with its aliases and labels."""
    names = connection.execute(
        sa.select(s.service_names.c.service_id, s.service_names.c.kind, s.service_names.c.value)
        .order_by(s.service_names.c.id)
    ).all()  # fmt: skip
    found: dict[int, dict[str, list[str]]] = {}
    for service_id, kind, value in names:
        found.setdefault(service_id, {"text": [], "audio": []})[kind].append(value)
    rows = connection.execute(
        sa.select(s.services.c.id, s.services.c.name, s.services.c.extra).order_by(
            s.services.c.name
        )
    ).all()
    return [
        Service(
            name=row.name,
            aliases=tuple(found.get(row.id, {}).get("text", [])),
            labels=tuple(found.get(row.id, {}).get("audio", [])),
            extra=dict(row.extra or {}),
        )
        for row in rows
    ]


class ServiceIndex:
    """Which service a gazetteer tool or a song version's label belongs to."""

    def __init__(self, services: Sequence[Service]) -> None:
        self.services = list(services)
        self._text: dict[str, str] = {}
        self._audio: dict[str, str] = {}
        for service in self.services:
            for alias in (service.name, *service.aliases):
                self._text.setdefault(norm(alias), service.name)
            for label in service.labels:
                self._audio.setdefault(norm(label), service.name)

    @classmethod
    def load(cls, store: Store) -> ServiceIndex:
        with store.connect() as connection:
            return cls(load_services(connection))

    @property
    def names(self) -> list[str]:
        return [service.name for service in self.services]

    def of_tool(self, tool: str) -> str | None:
        """The service whose name or alias is ``tool`` (a gazetteer entry), if any."""
        return self._text.get(norm(tool))

    def of_label(self, label: str) -> str | None:
        """The service of a version label ``ai:SERVICE[:SETTING]``, if any.

        A service's label ``ai:x`` matches ``ai:x`` and every ``ai:x:SETTING``.
        """
        parts = norm(label).split(":")
        for end in range(len(parts), 1, -1):
            found = self._audio.get(":".join(parts[:end]))
            if found is not None:
                return found
        return None

    def gazetteer(self) -> dict[str, list[str]]:
        """Tool -> aliases, for the stance gazetteer."""
        return {service.name: list(service.aliases) for service in self.services}


def _service_id(connection: Connection, name: str) -> int:
    found = connection.execute(
        sa.select(s.services.c.id).where(s.services.c.name == name)
    ).scalar_one_or_none()
    if found is None:
        raise EarwitnessError(f"no service named {name!r}; add it with `earwitness services add`")
    return int(found)


def _check_label(label: str) -> str:
    parts = label.strip().split(":")
    if len(parts) < 2 or parts[0].lower() != "ai" or not all(p.strip() for p in parts):
        raise BadInputError(f"audio label {label!r} is not ai:SERVICE[:SETTING]", field="--label")
    return label.strip()


def _add_names(connection: Connection, service_id: int, kind: str, values: Iterable[str]) -> int:
    added = 0
    for value in values:
        value = value.strip()
        if not value:
            raise BadInputError(f"an empty {kind} name", field="--alias")
        if len(value) > 160:
            raise BadInputError(f"{value[:40]!r}...: longer than 160 characters")
        owner = connection.execute(
            sa.select(s.services.c.id, s.services.c.name)
            .select_from(s.service_names.join(s.services))
            .where(s.service_names.c.kind == kind, s.service_names.c.norm == norm(value))
        ).first()
        if owner is not None and owner.id != service_id:
            raise EarwitnessError(f"{value!r} already names the service {owner.name!r}")
        if owner is None:
            connection.execute(
                s.service_names.insert().values(
                    service_id=service_id, kind=kind, value=value, norm=norm(value)
                )
            )
            added += 1
    return added


def add_service(
    store: Store,
    name: str,
    *,
    aliases: Sequence[str] = (),
    labels: Sequence[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> Service:
    """Add a service (or extend an existing one) with text aliases and audio labels.

    A new service gets its name as an alias and ``ai:<name-slug>`` as a label.
    """
    name = name.strip()
    if not name or len(name) > 64:
        raise BadInputError("a service name has 1 to 64 characters", field="NAME")
    checked = [_check_label(label) for label in labels]
    with store.transaction() as connection:
        existing = connection.execute(
            sa.select(s.services.c.id).where(s.services.c.name == name)
        ).scalar_one_or_none()
        if existing is None:
            connection.execute(s.services.insert().values(name=name, extra=dict(extra or {})))
            existing = _service_id(connection, name)
            aliases = [name, *aliases]
            checked = checked or [audio_label(name)]
        elif extra:
            connection.execute(
                s.services.update().where(s.services.c.id == existing).values(extra=dict(extra))
            )
        _add_names(connection, int(existing), "text", aliases)
        _add_names(connection, int(existing), "audio", checked)
        return next(x for x in load_services(connection) if x.name == name)


def add_aliases(store: Store, name: str, aliases: Sequence[str]) -> int:
    """Add text aliases to an existing service; return how many were new."""
    with store.transaction() as connection:
        return _add_names(connection, _service_id(connection, name), "text", aliases)


def add_labels(store: Store, name: str, labels: Sequence[str]) -> int:
    """Add audio labels (``ai:SERVICE[:SETTING]``) to an existing service."""
    checked = [_check_label(label) for label in labels]
    with store.transaction() as connection:
        return _add_names(connection, _service_id(connection, name), "audio", checked)
