"""Coders' sign-in tokens for a shared workbench (docs/team.md).

A token is 32 random bytes (``secrets.token_urlsafe``, 256 bits) behind the prefix
``ewt_``. Only its SHA-256 is stored: a token this long cannot be guessed from its hash,
so a slow password hash adds nothing (the reasoning of GitHub's and PyPI's API tokens).
The token is shown once, when made; a lost one is revoked and replaced. A revoked token
stays in the table, marked with when it was revoked, so the history of who could write
is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import sqlalchemy as sa

from earwitness.errors import BadInputError
from earwitness.store import Store, ensure_coder
from earwitness.store.schema import coder_tokens, coders, utcnow

__all__ = ["TOKEN_PREFIX", "add_token", "coder_for_token", "list_tokens", "revoke_tokens"]

TOKEN_PREFIX = "ewt_"  # noqa: S105 (a label, not a secret)
_SHOWN = 10  # characters of a token kept in the clear to tell tokens apart ("ewt_AbC123")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_token(store: Store, coder: str) -> str:
    """Make a new token for ``coder`` (created if new) and return it: the only time it is
    seen. A coder may hold several tokens (one per device)."""
    name = coder.strip()
    if not name:
        raise BadInputError("name the coder the token is for", field="coder")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as connection:
        coder_id = ensure_coder(connection, name)
        connection.execute(
            coder_tokens.insert().values(
                coder_id=coder_id, token_sha256=_digest(token), prefix=token[:_SHOWN]
            )
        )
    return token


def coder_for_token(store: Store, token: str) -> str | None:
    """The coder a valid (not revoked) token belongs to, else None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = _digest(token)
    with store.connect() as connection:
        row = connection.execute(
            sa.select(coder_tokens.c.token_sha256, coders.c.name)
            .join(coders, coders.c.id == coder_tokens.c.coder_id)
            .where(coder_tokens.c.token_sha256 == digest, coder_tokens.c.revoked_at.is_(None))
        ).first()
    if row is None or not hmac.compare_digest(row.token_sha256, digest):
        return None
    return str(row.name)


def list_tokens(store: Store) -> list[dict[str, Any]]:
    """Every token ever made: its coder, its first characters, when made and revoked."""
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(coders.c.name, coder_tokens.c.prefix, coder_tokens.c.created_at,
                      coder_tokens.c.revoked_at)
            .join(coders, coders.c.id == coder_tokens.c.coder_id)
            .order_by(coder_tokens.c.id)
        ).all()  # fmt: skip
    return [
        {
            "coder": r.name,
            "token": r.prefix + "…",
            "created_at": r.created_at.isoformat(timespec="seconds"),
            "revoked_at": r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else "",
        }
        for r in rows
    ]


def revoke_tokens(store: Store, coder: str, prefix: str | None = None) -> int:
    """Revoke the coder's live tokens (only the one starting with ``prefix`` if given);
    return how many were revoked. Refuses a coder or prefix that matches no live token."""
    with store.transaction() as connection:
        coder_id = connection.scalar(sa.select(coders.c.id).where(coders.c.name == coder))
        if coder_id is None:
            raise BadInputError(f"no coder named {coder!r}")
        where = [coder_tokens.c.coder_id == coder_id, coder_tokens.c.revoked_at.is_(None)]
        if prefix:
            where.append(coder_tokens.c.prefix == prefix.rstrip("…")[:_SHOWN])
        count = connection.execute(
            coder_tokens.update().where(*where).values(revoked_at=utcnow())
        ).rowcount
    if not count:
        which = f" starting {prefix!r}" if prefix else ""
        raise BadInputError(f"{coder} has no live token{which}")
    return int(count)
