"""Facts about the study kept in its database: the pseudonym key's fingerprint.

The fingerprint is HMAC-SHA256(key, ``earwitness key fingerprint v1``) in hex (RFC 2104):
anyone holding the key can recompute it, nobody can recover the key from it, and it
differs from every pseudonym (those are HMACs of handles, never of this label).
"""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from earwitness.errors import EarwitnessError
from earwitness.store.schema import study_meta

__all__ = [
    "KEY_FINGERPRINT",
    "check_key",
    "key_fingerprint",
    "key_mismatch",
    "read_meta",
    "record_key",
]

KEY_FINGERPRINT = "key_fingerprint"
_LABEL = b"earwitness key fingerprint v1"


def key_fingerprint(key: bytes) -> str:
    """The key's fingerprint: an HMAC of a fixed label under the key, never the key."""
    return hmac.new(key, _LABEL, hashlib.sha256).hexdigest()


def read_meta(connection: Connection, name: str) -> str | None:
    value = connection.execute(
        sa.select(study_meta.c.value).where(study_meta.c.name == name)
    ).scalar()
    return None if value is None else str(value)


def record_key(connection: Connection, key: bytes) -> str:
    """Store the key's fingerprint unless one is stored; return the stored one."""
    insert = (
        postgresql.insert(study_meta)
        if connection.dialect.name == "postgresql"
        else sqlite.insert(study_meta)
    )
    connection.execute(
        insert.values(name=KEY_FINGERPRINT, value=key_fingerprint(key)).on_conflict_do_nothing()
    )
    stored = read_meta(connection, KEY_FINGERPRINT)
    assert stored is not None
    return stored


def check_key(connection: Connection, key: bytes) -> bool | None:
    """True if ``key`` matches the stored fingerprint, False if not, None if none is stored."""
    stored = read_meta(connection, KEY_FINGERPRINT)
    if stored is None:
        return None
    return hmac.compare_digest(stored, key_fingerprint(key))


def key_mismatch(where: str) -> EarwitnessError:
    return EarwitnessError(
        f"{where}: this pseudonym key does not match the study database's key fingerprint, "
        "so the same author would get another pseudonym; get the study's secret.key from "
        "its creator (see docs/team.md)"
    )
