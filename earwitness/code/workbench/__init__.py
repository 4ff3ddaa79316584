"""earwitness.code.workbench: code, label and check agreement in the browser.

``earwitness workbench`` serves a Starlette app with a plain HTML/JS page: a document
list and reading view for thematic coding (codes from the codebook tree, memos, in-vivo
codes), a stance labelling queue (double-labelled by two coders, retraining the stance
model in the background), a user-group queue, and an agreement view whose figures come from
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
from earwitness.code.workbench._retrain import Retrainer, retrain_stance
from earwitness.code.workbench._server import WorkbenchConfig, create_app, needs_tokens
from earwitness.code.workbench._stance_queue import label, next_units, sample_units, undo
from earwitness.code.workbench._stance_team import (
    coder_pairs,
    resolve_stance,
    stance_disagreements,
)
from earwitness.code.workbench._tokens import (
    add_token,
    coder_for_token,
    list_tokens,
    revoke_tokens,
)
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
    "Retrainer",
    "WorkbenchConfig",
    "add_code",
    "add_token",
    "adjust_coding",
    "agreement_view",
    "apply_span",
    "codebook_history",
    "codebook_tree",
    "coder_for_token",
    "coder_pairs",
    "create_app",
    "disagreements",
    "document_view",
    "edit_code",
    "human_coders",
    "in_vivo",
    "label",
    "label_author",
    "list_documents",
    "list_tokens",
    "mark_done",
    "merge_codes",
    "move_code",
    "needs_tokens",
    "next_authors",
    "next_units",
    "progress",
    "remove_coding",
    "resolve_disagreement",
    "resolve_stance",
    "retrain_stance",
    "revoke_tokens",
    "sample_units",
    "set_coding_memo",
    "set_note",
    "stance_disagreements",
    "undo",
    "unlabel_author",
]
