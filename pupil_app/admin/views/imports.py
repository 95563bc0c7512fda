"""Pupils from the school's MIS as CSV: upload, preview, apply.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ...access import role_required
from ...csv_export import csv_response
from ...extensions import csrf, db
from ...forms import ConfirmForm
from ...schools.models import School
from ...schools.service import load_school_for_admin_or_404, may_administer
from .. import import_batches, import_rows, importer, oneroster
from ..forms import ApplyImportForm, ImportForm
from ..models import ImportBatch
from .common import ADMINS, bp


def _preview(**context):
    return render_template("admin/import_preview.html", encodings=import_rows.ENCODINGS, **context)


# --- CSV import -----------------------------------------------------------------------------------

NOT_UTF8 = _l("Some of the file is not UTF-8 text (in a column that is not imported). Save it as 'CSV UTF-8' "
              "and upload it again. Nothing was imported.")


def _plan(school, data: bytes) -> importer.Plan:
    """The import's plan; a file whose rows are fine but which holds bytes no encoding reads (in a
    column the import ignores) is refused rather than kept (it could not be stored as text)."""
    plan = importer.plan(school, data)
    text, _encoding = import_rows.decoded(data)
    if plan.ok and any("\udc80" <= ch <= "\udcff" for ch in text):
        raise import_rows.FileProblem(NOT_UTF8)
    return plan


def _import_page(school, form, *, error=None, status=200):
    return render_template("admin/import.html", school=school, form=form, error=error,
                           max_rows=import_rows.MAX_ROWS, max_kb=import_rows.MAX_BYTES // 1000,
                           columns=import_rows.COLUMNS), status


@bp.route("/admin/schools/<int:school_id>/import", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own CSRF token, after the upload limit below is raised
@role_required(*ADMINS)
def import_pupils(school_id: int):
    """Upload a pupil CSV from the MIS; the next page previews what it would do."""
    school = load_school_for_admin_or_404(current_user, school_id)
    # A little more than the app's usual limit, so an over-long file is still read far enough to
    # tell the admin how many rows it has instead of a bare "too large".
    request.max_content_length = import_rows.MAX_UPLOAD_BYTES
    try:
        form = ImportForm()
        if request.method == "GET":
            return _import_page(school, form)
        if not form.validate():
            return _import_page(school, form, status=400)
        upload = form.file.data
        data = upload.read(import_rows.MAX_UPLOAD_BYTES + 1)
    except RequestEntityTooLarge:
        return _import_page(school, ImportForm(formdata=None), status=413, error=_(
            "The file is larger than %(mb)s MB; a pupil import is at most %(kb)s KB. Nothing was imported.",
            mb=import_rows.MAX_UPLOAD_BYTES // (1024 * 1024), kb=import_rows.MAX_BYTES // 1000))
    try:
        data = oneroster.to_csv(data) if oneroster.is_oneroster(data) else data
        plan = _plan(school, data)
    except import_rows.FileProblem as exc:
        return _import_page(school, form, status=400, error=str(exc.message))
    if not plan.ok:
        return _preview(school=school, plan=plan, batch=None,
                               filename=upload.filename or "", form=None), 422
    batch = import_batches.keep_preview(school, current_user, upload.filename or "", data)
    db.session.commit()
    return redirect(url_for("admin.import_batch", batch_id=batch.id), 303)


def _batch_or_404(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        abort(404)
    school = db.session.get(School, batch.school_id)
    if school is None or not may_administer(current_user, school):
        abort(404)
    return batch


@bp.get("/admin/imports/<int:batch_id>")
@role_required(*ADMINS)
def import_batch(batch_id: int):
    """The preview of an uploaded file (what it would do), or what it did once applied."""
    batch = _batch_or_404(batch_id)
    school = db.session.get(School, batch.school_id)
    if batch.status == "applied":
        return render_template("admin/import_done.html", school=school, batch=batch,
                               classes=import_batches.classes_made(batch), form=ConfirmForm())
    if import_batches.expired(batch):
        abort(410)
    plan = import_batches.plan_of(school, batch)
    return _preview(school=school, plan=plan, batch=batch,
                           filename=batch.filename, form=ApplyImportForm()), (200 if plan.ok else 409)


@bp.post("/admin/imports/<int:batch_id>/apply")
@role_required(*ADMINS)
def apply_import(batch_id: int):
    """Apply a previewed file: everything or nothing. Checked again against the school as it is now."""
    batch = _batch_or_404(batch_id)
    if not ApplyImportForm().validate():
        abort(400)
    school = db.session.get(School, batch.school_id)
    if batch.status == "applied":
        return redirect(url_for("admin.import_batch", batch_id=batch.id), 303)
    if import_batches.expired(batch):
        abort(410)
    plan = import_batches.plan_of(school, batch)
    if not plan.ok:
        return _preview(school=school, plan=plan, batch=batch,
                               filename=batch.filename, form=ApplyImportForm(), changed=True), 409
    try:
        if import_batches.apply_batch(school, batch, plan):
            db.session.commit()
        else:
            db.session.rollback()  # a second click: the first one applied it
    except Exception:
        db.session.rollback()
        raise
    return redirect(url_for("admin.import_batch", batch_id=batch.id), 303)


@bp.get("/admin/import-template.csv")
@role_required(*ADMINS)
def import_template():
    """An example file with the columns the import reads."""
    return csv_response("pupil-import-template.csv", importer.TEMPLATE_HEADER, importer.TEMPLATE_ROWS)
