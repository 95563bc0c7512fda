"""Admins: the pledge's versions, a school's own wording, and the "sign again from" date.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import role_required
from ...content import current_content
from ...extensions import db
from ...schools.models import Role
from ...timeutil import format_day, local_today, utcnow
from .. import reports, rules, service, versions
from ..forms import PublishForm, ResignForm
from .common import bp

# ---------------------------------------------------------------- admin: versions and the school year

def _pledge_key_or_404(key: str):
    if key not in current_content().pledges:
        abort(404)
    return current_content().pledges[key]


def _confirm(title: str, message: str, button: str) -> dict:
    """Ask once more, with the consequence in numbers; the posted fields go back as they were."""
    fields = [(k, v) for k, values in request.form.lists() for v in values if k not in ("csrf_token", "confirmed")]
    return {"title": title, "message": message, "button": button, "action": request.path, "fields": fields}


def _asks_again(key: str | None) -> str:
    n = reports.signed_now(current_user.school_id, key)
    return _("%(n)s pupils who have signed will be asked to sign again at their next sign-in.", n=n)


def _versions_page(error=None, status: int = 200, resign_form: ResignForm | None = None, confirm=None):
    school_id = current_user.school_id
    pledges = []
    for key, pledge in current_content().pledges.items():
        history = versions.versions(school_id, key)
        shipped_fp = versions.fingerprint(pledge.title, versions.shipped_statements(pledge))
        pledges.append({
            "pledge": pledge, "current": versions.current_text(school_id, key), "history": history,
            "counts": {v.id: reports.signature_count(school_id, v.id) for v in history},
            "shipped_is_current": not history or history[0].text_sha256 == shipped_fp,
        })
    settings = service.settings_for(school_id)
    if resign_form is None:
        resign_form = ResignForm(resign_from=settings.resign_from if settings else None)
    return render_template("pledge/admin/versions.html", pledges=pledges, publish_form=PublishForm(change="minor"),
                           resign_form=resign_form, settings=settings, today=utcnow().date(), error=error,
                           confirm=confirm), status


@bp.get("/staff/pledges/versions")
@role_required(Role.ADMIN)
def admin_versions():
    """Each pledge's current version and history for this school; publish the shipped text; the sign-again date."""
    return _versions_page()


@bp.get("/staff/pledges/versions/<int:version_id>")
@role_required(Role.ADMIN)
def admin_version(version_id: int):
    """An old or current version exactly as it was published (read only: versions never change)."""
    version = versions.version_by_id(current_user.school_id, version_id)
    if version is None:
        abort(404)
    return render_template("pledge/admin/version.html", version=version, text=versions.text_of_version(version),
                           signatures=reports.signature_count(current_user.school_id, version.id))


@bp.post("/staff/pledges/versions/<key>/shipped")
@role_required(Role.ADMIN)
def admin_publish_shipped(key: str):
    """Publish the app's shipped text of a pledge as this school's new version."""
    _pledge_key_or_404(key)
    form = PublishForm()
    if not form.validate() and form.csrf_token.errors:
        abort(400)
    if form.change.data == "major" and not request.form.get("confirmed"):
        return _versions_page(status=409, confirm=_confirm(
            _("Publish a major version?"), _asks_again(key), _("Publish, and ask them to sign again")))
    try:
        version = versions.publish(current_user.school_id, key, form.change.data or "", current_user,
                                  note=request.form.get("note", ""))
    except rules.PledgeError as exc:
        db.session.rollback()
        return _versions_page(exc.message, exc.status)
    db.session.commit()
    flash(_("Version %(label)s is published.", label=version.label), "info")
    return redirect(url_for("pledge.admin_versions"))


@bp.route("/staff/pledges/versions/<key>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_edit(key: str):
    """The school's own wording of each promise: edit, preview as pupils see it, then publish."""
    pledge = _pledge_key_or_404(key)
    current = versions.current_text(current_user.school_id, key)
    form = PublishForm()
    wording = {p.id: {"text": p.text, "why": p.why} for p in current.promises}
    preview, problems, status = None, [], 200
    if request.method == "POST":
        if not form.validate() and form.csrf_token.errors:
            abort(400)
        wording = {s.id: {"text": request.form.get(f"text-{s.id}", ""), "why": request.form.get(f"why-{s.id}", "")}
                   for s in pledge.statements}
        published, preview, problems, status = _publish(key, form, wording)
        if published is not None:
            return published
    elif form.change.data is None:
        form.change.data = "minor"
    changed = {p.id for p in preview or () if current.promise(p.id) is None
               or (p.text, p.why) != (current.promise(p.id).text, current.promise(p.id).why)}
    return render_template("pledge/admin/edit.html", pledge=pledge, current=current, wording=wording, form=form,
                           preview=preview, problems=problems, changed=changed, confirming=status == 409), status


def _publish(key: str, form, wording):
    """Preview the wording; with 'publish', publish it: (redirect once published, preview, problems, status).
    A major version is asked once more, with how many pupils it asks to sign again."""
    preview, problems = versions.preview_wording(key, wording)
    if problems:
        return None, preview, problems, 400
    if request.form.get("action") != "publish":
        return None, preview, [], 200
    if form.change.data == "major" and not request.form.get("confirmed"):
        return None, preview, [_("Publish a major version?") + " " + _asks_again(key) + " " +
                               _("Choose Publish again to confirm.")], 409
    try:
        version = versions.publish(current_user.school_id, key, form.change.data or "", current_user,
                                   wording=wording, note=form.note.data or "")
    except rules.PledgeError as exc:
        db.session.rollback()
        return None, preview, [str(exc.message)] + exc.problems, exc.status
    db.session.commit()
    flash(_("Version %(label)s is published.", label=version.label), "info")
    return redirect(url_for("pledge.admin_versions")), preview, [], 200


@bp.post("/staff/pledges/settings")
@role_required(Role.ADMIN)
def admin_settings():
    """The 'sign again from' date: from that day every pupil signs their pledge again (a new school year)."""
    form = ResignForm()
    clear = bool(request.form.get("clear"))
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        if not clear:
            return _versions_page(_("That is not a date. Use the date picker, or type it as YYYY-MM-DD."), 400, form)
    when: date | None = None if clear else form.resign_from.data
    if when is not None and when >= local_today() and not request.form.get("confirmed"):
        return _versions_page(status=409, resign_form=form, confirm=_confirm(
            _("Ask every pupil to sign again from %(date)s?", date=format_day(when, "d MMMM yyyy")),
            _asks_again(None), _("Set the date")))
    try:
        service.set_resign_from(current_user.school_id, when, current_user)
    except rules.PledgeError as exc:
        db.session.rollback()
        return _versions_page(exc.message, exc.status, form)
    db.session.commit()
    if when:
        flash(_("From %(date)s every pupil signs their pledge again at their next sign-in.",
                date=format_day(when, "d MMMM yyyy")), "info")
    else:
        flash(_("There is no sign-again date now."), "info")
    return redirect(url_for("pledge.admin_versions"))
