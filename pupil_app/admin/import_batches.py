"""An import's life: a previewed file kept for a day, claimed once when applied, its summary kept.

Functions flush; the view commits. Applying claims the batch before writing anything, so a second
click (or a second tab) finds it applied and changes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, select, update

from ..extensions import db
from ..schools.models import School, SchoolClass, StaffUser
from ..timeutil import utcnow
from . import import_rows, importer
from .models import ImportBatch

PREVIEW_LIFETIME = timedelta(hours=24)


def keep_preview(school: School, staff: StaffUser, filename: str, data: bytes) -> ImportBatch:
    """Keep an uploaded file for its preview page; previews older than a day are forgotten, file text and all."""
    db.session.execute(delete(ImportBatch).where(
        ImportBatch.status == "preview", ImportBatch.created_at < utcnow() - PREVIEW_LIFETIME))
    text, encoding = import_rows.decoded(data)
    batch = ImportBatch(school_id=school.id, created_by_id=staff.id, filename=filename[:200],
                        sha256=hashlib.sha256(data).hexdigest(), content=text, summary={"encoding": encoding})
    db.session.add(batch)
    db.session.flush()
    return batch


def expired(batch: ImportBatch) -> bool:
    return batch.content is None or batch.created_at < utcnow() - PREVIEW_LIFETIME


def plan_of(school: School, batch: ImportBatch) -> importer.Plan:
    """What the kept file would do to the school as it is now (kept as UTF-8; read as the upload was)."""
    plan = importer.plan(school, batch.content.encode("utf-8"))
    plan.encoding = (batch.summary or {}).get("encoding", plan.encoding)
    return plan


def apply_batch(school: School, batch: ImportBatch, plan: importer.Plan) -> bool:
    """Apply a checked plan once: False (nothing written) when another request applied it first."""
    claimed = db.session.execute(update(ImportBatch).where(ImportBatch.id == batch.id, ImportBatch.status == "preview")
                                 .values(status="applied", applied_at=utcnow(), content=None))
    if claimed.rowcount != 1:
        return False
    applied = importer.apply(school, plan)
    db.session.execute(update(ImportBatch).where(ImportBatch.id == batch.id).values(summary={
        "new": applied.new, "updated": applied.updated, "unchanged": applied.unchanged,
        "classes": applied.classes, "class_ids": applied.class_ids, "encoding": plan.encoding}))
    return True


def classes_made(batch: ImportBatch) -> list[SchoolClass]:
    """The classes an applied import created or filled."""
    return list(db.session.scalars(select(SchoolClass).where(SchoolClass.id.in_(batch.summary.get("class_ids", [])))))
