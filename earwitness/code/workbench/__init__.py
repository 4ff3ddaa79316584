"""earwitness.code.workbench: code, label and check agreement in the browser.

``earwitness workbench`` serves a Starlette app with a plain HTML/JS page: a document
list and reading view for thematic coding (codes from the codebook tree, memos, in-vivo
codes), a stance labelling queue, and an agreement view whose figures come from
:func:`earwitness.code.reliability.study_agreement`. Every write is one transaction
through the code area's functions.
"""

from __future__ import annotations

from earwitness.code.workbench._agreement import agreement_view, disagreements, human_coders
from earwitness.code.workbench._codebook_edit import (
    add_code,
    codebook_history,
    edit_code,
    merge_codes,
    move_code,
)
from earwitness.code.workbench._group_queue import label_author, next_authors, unlabel_author
from earwitness.code.workbench._read import codebook_tree, document_view, list_documents, progress
from earwitness.code.workbench._server import WorkbenchConfig, create_app
from earwitness.code.workbench._stance_queue import label, next_units, sample_units, undo
from earwitness.code.workbench._write import (
    ConflictError,
    Expected,
    adjust_coding,
    apply_span,
    in_vivo,
    mark_done,
    remove_coding,
    resolve_disagreement,
    set_coding_memo,
    set_note,
)

__all__ = [
    "ConflictError",
    "Expected",
    "WorkbenchConfig",
    "add_code",
    "adjust_coding",
    "agreement_view",
    "apply_span",
    "codebook_history",
    "codebook_tree",
    "create_app",
    "disagreements",
    "document_view",
    "edit_code",
    "human_coders",
    "in_vivo",
    "label",
    "label_author",
    "list_documents",
    "mark_done",
    "merge_codes",
    "move_code",
    "next_authors",
    "next_units",
    "progress",
    "remove_coding",
    "resolve_disagreement",
    "sample_units",
    "set_coding_memo",
    "set_note",
    "undo",
    "unlabel_author",
]
