"""Short session ids: what tables, reports and exports show instead of a session's token.

A session's link token is a participant's access: whoever reads it can answer in their
name. Anything that leaves the listening server (the dashboard, which has no login, and
``earwitness export ratings``) names a session by a hash of its row number instead, never
of its token, so the id names the session while the server, which knows sessions only by
token, cannot resolve it.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from earwitness.store import Store
from earwitness.store.schema import listening_sessions

__all__ = ["session_short_ids", "short_session_id"]


def session_short_ids(store: Store) -> dict[str, str]:
    """Each listening session's link token -> its short id."""
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(listening_sessions.c.token, listening_sessions.c.id)
        ).all()
    return {str(token): short_session_id(int(number)) for token, number in rows}


def short_session_id(number: int | str) -> str:
    """``S-`` and 8 hex digits of a keyed BLAKE2b of the session's row number; a str (a
    session the table does not list) is hashed apart, under ``S?-``."""
    person = b"ew-session" if isinstance(number, int) else b"ew-unlisted"
    digest = hashlib.blake2b(str(number).encode(), digest_size=4, person=person)
    return ("S-" if isinstance(number, int) else "S?-") + digest.hexdigest()
