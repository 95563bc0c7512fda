"""Routes of monitoring: the JSON endpoint a monitoring system posts to, its tokens, the CSV upload
of an exported alert log (preview, then load) and the DSL's triage list."""

from __future__ import annotations

import json

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import public, role_required
from ...extensions import csrf, db
from ...forms import ConfirmForm
from ...guards import accepts_json
from ...schools.models import Role
from .. import alert_log, monitoring, reports, triage
from ..common import TRIAGERS, FilteringError
from ..forms import DismissForm, LinkForm, MakeConcernForm, TokenForm, UploadForm
from ..models import ALERT_STATUSES
from .common import bp, commit_and_send, id_or_404, refuse_json

TOKEN_KEEPERS = (Role.FILTERING_LEAD, Role.DSL)


def _api_error(status: int, message) -> tuple:
    return jsonify(error=str(message)), status


@bp.post("/api/monitoring/alerts")
@public  # authenticated by the school's monitoring token (Authorization: Bearer ...), not a session
@csrf.exempt
@accepts_json  # the one JSON route: it checks every value itself (pupil_app/guards.py)
def api_alerts():
    """Alerts from a monitoring system: JSON, schema in docs/monitoring-alerts.schema.json."""
    auth = request.headers.get("Authorization", "")
    token = monitoring.token_for(auth[7:].strip() if auth.lower().startswith("bearer ") else None)
    if token is None:
        return _api_error(401, "unknown or revoked token")
    if request.content_length is not None and request.content_length > monitoring.MAX_BODY:
        return _api_error(413, f"body larger than {monitoring.MAX_BODY} bytes")
    if request.mimetype != "application/json":
        return _api_error(415, "send Content-Type: application/json")
    body = request.stream.read(monitoring.MAX_BODY + 1)
    if len(body) > monitoring.MAX_BODY:
        return _api_error(413, f"body larger than {monitoring.MAX_BODY} bytes")
    try:
        payload = json.loads(body)
        stored, duplicates = monitoring.receive(token, payload)
    except (ValueError, RecursionError):
        db.session.rollback()
        return _api_error(400, "the body is not valid JSON")
    except FilteringError as exc:
        db.session.rollback()
        return _api_error(exc.status, exc.message)
    commit_and_send()
    return jsonify(stored=stored, duplicates=duplicates), 201 if stored else 200


@bp.get("/staff/monitoring")
@role_required(*TRIAGERS)
def alerts():
    """The DSL's triage list: new alerts first, most severe first."""
    status = request.args.get("status") or None
    if status is not None and status not in ALERT_STATUSES:
        abort(400)
    from ...concerns import audit

    found = triage.alert_list(current_user, status)
    audit.record(current_user, "monitoring.listed", "monitoring_alert", None, f"{len(found)} alerts")
    db.session.commit()
    link = LinkForm()
    link.pupil.choices = [(0, "—")] + [(p.id, f"{p.full_name} ({p.school_class.name if p.school_class else '-'})")
                                        for p in triage.school_pupils(current_user.school_id)]
    return render_template("filtering/alerts.html", alerts=found, status=status, link_form=link,
                           dismiss_form=DismissForm(), concern_form=MakeConcernForm(key=reports.new_key()),
                           counts=triage.counts(current_user.school_id))


def _alert_or_404(alert_id: int):
    alert = triage.load_alert(current_user, id_or_404(alert_id))
    if alert is None:
        abort(404)
    return alert


def _triage_done(message: str, alert_id: int):
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("filtering.alerts") + f"#alert-{alert_id}", 303)


def _triage_failed(message):
    db.session.rollback()
    flash(str(message), "error")
    return redirect(url_for("filtering.alerts"), 303)


@bp.post("/staff/monitoring/<int:alert_id>/link")
@role_required(*TRIAGERS)
def link_alert(alert_id: int):
    refuse_json()
    alert = _alert_or_404(alert_id)
    form = LinkForm()
    form.pupil.choices = [(p.id, p.full_name) for p in triage.school_pupils(current_user.school_id)]
    if not form.validate():
        return _triage_failed(_("Choose a pupil of your school."))
    try:
        triage.link_pupil(current_user, alert, form.pupil.data)
    except FilteringError as exc:
        return _triage_failed(exc.message)
    return _triage_done(_("The alert is linked to the pupil."), alert.id)


@bp.post("/staff/monitoring/<int:alert_id>/dismiss")
@role_required(*TRIAGERS)
def dismiss_alert(alert_id: int):
    refuse_json()
    alert = _alert_or_404(alert_id)
    form = DismissForm()
    if not form.validate():
        return _triage_failed(_("Give the reason for dismissing the alert."))
    try:
        triage.dismiss(current_user, alert, form.reason.data)
    except FilteringError as exc:
        return _triage_failed(exc.message)
    return _triage_done(_("The alert is dismissed."), alert.id)


@bp.post("/staff/monitoring/<int:alert_id>/concern")
@role_required(*TRIAGERS)
def alert_concern(alert_id: int):
    refuse_json()
    alert = _alert_or_404(alert_id)
    form = MakeConcernForm()
    if not form.validate():
        return _triage_failed(_("This form is out of date. Please reload the page."))
    try:
        concern = triage.make_concern(current_user, alert, form.category.data, form.key.data)
        db.session.commit()
    except FilteringError as exc:
        return _triage_failed(exc.message)
    from ...concerns import alerts as concern_alerts

    concern_alerts.after_commit()
    flash(_("The alert is now concern C%(number)s.", number=concern.id), "info")
    return redirect(url_for("concerns.detail", concern_id=concern.id), 303)


# --- the exported alert log (CSV) ------------------------------------------------------------------

@bp.route("/staff/monitoring/upload", methods=["GET", "POST"])
@role_required(*TRIAGERS)
def upload():
    refuse_json()
    form = UploadForm()
    error, status = None, 200
    if request.method == "POST":
        if form.validate():
            try:
                row, _preview = alert_log.upload(current_user, form.file.data.filename, form.file.data.read(),
                                                 form.source.data)
                db.session.commit()
                return redirect(url_for("filtering.upload_preview", upload_id=row.id), 303)
            except FilteringError as exc:
                db.session.rollback()
                error, status = exc.message, exc.status
        else:
            status = 400
    return render_template("filtering/upload.html", form=form, error=error,
                           uploads=alert_log.recent_uploads(current_user.school_id)), status


@bp.get("/staff/monitoring/uploads/<int:upload_id>")
@role_required(*TRIAGERS)
def upload_preview(upload_id: int):
    """What loading the file would store: new alerts, those already stored, rows with a problem."""
    row = alert_log.load_upload(current_user, id_or_404(upload_id))
    if row is None:
        abort(404)
    return render_template("filtering/upload_preview.html", upload=row, preview=alert_log.preview_of(row),
                           form=ConfirmForm())


@bp.post("/staff/monitoring/uploads/<int:upload_id>/load")
@role_required(*TRIAGERS)
def upload_load(upload_id: int):
    if not ConfirmForm().validate():
        abort(400)
    row = alert_log.load_upload(current_user, id_or_404(upload_id))
    if row is None:
        abort(404)
    try:
        stored, duplicates = alert_log.load(current_user, row)
    except FilteringError as exc:
        return _triage_failed(exc.message)
    commit_and_send()
    flash(_("%(stored)s alerts loaded; %(duplicates)s were already stored.", stored=stored, duplicates=duplicates),
          "info")
    return redirect(url_for("filtering.alerts"), 303)


# --- tokens ----------------------------------------------------------------------------------------

@bp.route("/staff/monitoring/tokens", methods=["GET", "POST"])
@role_required(*TOKEN_KEEPERS)
def tokens():
    """Keys for the school's monitoring systems: each shown once, revocable."""
    refuse_json()
    form = TokenForm()
    shown, status = None, 200
    if request.method == "POST":
        if form.validate():
            try:
                _row, shown = monitoring.new_token(current_user, form.label.data)
                db.session.commit()
            except FilteringError as exc:
                db.session.rollback()
                form.label.errors.append(str(exc.message))
                status = exc.status
        else:
            status = 400
    return render_template("filtering/tokens.html", form=form, shown=shown, confirm=ConfirmForm(),
                           tokens=monitoring.tokens(current_user.school_id),
                           endpoint=url_for("filtering.api_alerts", _external=False)), status


@bp.post("/staff/monitoring/tokens/<int:token_id>/revoke")
@role_required(*TOKEN_KEEPERS)
def revoke_token(token_id: int):
    if not ConfirmForm().validate():
        abort(400)
    if monitoring.revoke_token(current_user, id_or_404(token_id)) is None:
        abort(404)
    db.session.commit()
    flash(_("The token is revoked: the monitoring system can no longer send alerts with it."), "info")
    return redirect(url_for("filtering.tokens"), 303)
