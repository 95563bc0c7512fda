"""Attaching a file to a concern, downloading it, its thumbnail."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import RequestEntityTooLarge

from ...access import role_required
from ...auth.stepup import fresh_factor_required
from ...concerns import handling as concerns
from ...extensions import csrf, db
from ...schools.models import Role
from .. import attachments
from .common import bp

# Every file response: never cached, never shown inline, never run.
FILE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache", "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox", "Cross-Origin-Resource-Policy": "same-origin"}


@bp.app_template_global()
def attachments_of(concern_id: int) -> list:
    return attachments.of_concern(concern_id)


@bp.app_template_global()
def attachment_name(attachment) -> str:
    return attachments.name_of(attachment)


def _refused(concern_id: int, message: str, status: int = 400):
    return render_template("records/not_saved.html", message=message, concern_id=concern_id), status


@bp.post("/staff/concerns/<int:concern_id>/attachments")
@role_required(Role.DSL)
@fresh_factor_required
@csrf.exempt  # checked below, after the larger size limit of this route is set
def attach(concern_id: int):
    """Attach a file (chosen, dropped or pasted) to a concern; its type is checked from its content."""
    request.max_content_length = attachments.MAX_BYTES + 64 * 1024
    try:
        validate_csrf(request.form.get("csrf_token"))
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        return _refused(concern_id, _("That file is bigger than 8 MB."), 413)
    except (CSRFError, ValueError):
        return _refused(concern_id, _("This page was open too long. Please reload it and try again."))
    concern = concerns.load_for_dsl(current_user, concern_id)
    data = upload.read(attachments.MAX_BYTES + 1) if upload else b""
    try:
        attachments.add(current_user, concern, upload.filename if upload else None, data)
    except attachments.Refused as exc:
        db.session.rollback()
        return _refused(concern_id, str(exc.args[0]))
    db.session.commit()
    return redirect(url_for("concerns.detail", concern_id=concern_id, _anchor="attachments"), 303)


@bp.get("/staff/attachments/<int:attachment_id>")
@role_required(Role.DSL)
@fresh_factor_required
def download(attachment_id: int):
    """The file itself, as a download (never shown inline); each download is audited."""
    attachment = attachments.load(current_user, attachment_id)
    data = attachments.open_file(current_user, attachment)
    db.session.commit()
    response = Response(data, mimetype=attachment.mime, headers=FILE_HEADERS)
    response.headers.set("Content-Disposition", "attachment", filename=attachments.name_of(attachment))
    return response


@bp.get("/staff/attachments/<int:attachment_id>/thumbnail.png")
@role_required(Role.DSL)
@fresh_factor_required
def thumbnail(attachment_id: int):
    """A small PNG made on the server from a picture attachment; audited."""
    attachment = attachments.load(current_user, attachment_id)
    data = attachments.open_thumbnail(current_user, attachment)
    if data is None:
        return _refused(attachment.concern_id, _("This file has no picture."), 404)
    db.session.commit()
    return Response(data, mimetype="image/png", headers=FILE_HEADERS)
