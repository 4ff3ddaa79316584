"""Stimuli of a test, for the researcher: files named by song, role and version, and manifest."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from earwitness.errors import BadInputError
from earwitness.store import Store
from earwitness.store import schema as s
from earwitness.study import Study

__all__ = ["stimulus_rows", "write_stimuli"]


def stimulus_rows(store: Store, test: str) -> list[dict[str, Any]]:
    """Every stimulus of ``test``: ids, song, role, version label, path, manifest."""
    st, it, t, v = s.listening_stimuli, s.listening_items, s.listening_tests, s.song_versions
    query = (
        sa.select(
            st.c.id,
            it.c.position,
            s.songs.c.name,
            st.c.role,
            v.c.label,
            st.c.path,
            st.c.sha256,
            st.c.bytes,
            st.c.manifest,
        )
        .select_from(
            st.join(it, st.c.item_id == it.c.id)
            .join(t, it.c.test_id == t.c.id)
            .join(s.songs, it.c.song_id == s.songs.c.id)
            .join(v, st.c.version_id == v.c.id)
        )
        .where(t.c.name == test)
        .order_by(it.c.position, st.c.id)
    )
    with store.connect() as connection:
        rows = connection.execute(query).all()
    if not rows:
        raise BadInputError(
            f"no listening test named {test!r} (or it has no stimuli)", field="TEST"
        )
    keys = ("id", "item", "song", "role", "version", "path", "sha256", "bytes", "manifest")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


def write_stimuli(store: Store, study: Study, test: str, folder: Path) -> int:
    rows = stimulus_rows(store, test)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for row in rows:
        name = f"{row['item']:02d}-{_safe(row['song'])}-{row['role']}-{_safe(row['version'])}.wav"
        shutil.copyfile(study.root / row["path"], folder / name)
        manifest.append(
            {
                "file": name,
                "song": row["song"],
                "role": row["role"],
                "version": row["version"],
                "sha256": row["sha256"],
                "bytes": row["bytes"],
                **row["manifest"],
            }
        )
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return len(rows)
