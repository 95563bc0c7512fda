"""The DSL dashboard: the inbox with filters, search and CSV; one concern, its chronology and changes.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, pgettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ...access import role_required
from ...auth.stepup import fresh_factor_required
from ...csv_export import csv_response
from ...extensions import db
from ...forms import ConfirmForm
from ...schools.models import Role
from ...timeutil import format_local, local_today, to_utc, utcnow
from .. import alerts, audit, handling, inbox as inbox_service, labels, service, staff_logging
from ..forms import EntryForm, HandlingForm, LinkPupilForm, MarkersForm
from ..models import CATEGORIES, STATUSES
from .common import bad_filter, bp, pupil_choices

# ---------------------------------------------------------------------------------------------
# The DSL dashboard

def _filter_or_400():
    try:
        return inbox_service.parse_filter(request.args)
    except service.ConcernError as exc:
        bad_filter(exc)


@bp.get("/staff/concerns")
@role_required(Role.DSL)
def inbox():
    """New concerns first, urgent ones flagged, counts by status; filters and search."""
    f = _filter_or_400()
    page_arg = request.args.get("page", "1")
    result = inbox_service.inbox(current_user, f, int(page_arg) if page_arg.isdecimal() and len(page_arg) < 7 else 1)
    audit.record(current_user, "inbox.viewed", "inbox", None, _filters_detail(f))
    db.session.commit()
    classes = inbox_service.classes_of(current_user.school_id)
    pupil = staff_logging.school_pupil(current_user.school_id, f.pupil_id) if f.pupil_id else None
    dsls = {s.id: s.display_name for s in handling.school_dsls(current_user.school_id)}
    return render_template("concerns/inbox.html", result=result, f=f, classes=classes, filter_pupil=pupil,
                           mail=alerts.problems(current_user.school_id), statuses=STATUSES, categories=CATEGORIES,
                           dsls=dsls, L=_resolved("STATUSES", "CATEGORIES", "LOCATIONS"))


def _resolved(*names: str) -> SimpleNamespace:
    """Label tables as plain strings in this request's language (a long table looks each up once)."""
    return SimpleNamespace(**{name: {k: str(v) for k, v in getattr(labels, name).items()} for name in names})


def _filters_detail(f) -> str:
    # Which filters, never what was typed in the search box (it may be a child's name).
    parts = [f"{k}={v}" for k, v in f.args().items() if k != "q"]
    if f.q:
        parts.append("search used")
    return ", ".join(parts) or "no filters"


@bp.get("/staff/concerns.csv")
@role_required(Role.DSL)
@fresh_factor_required
def inbox_csv():
    """The inbox (with its filters) as CSV: no pupil's words, which stay on the concern page."""
    f = _filter_or_400()
    concerns = inbox_service.inbox_all(current_user, f)
    classes = inbox_service.classes_of(current_user.school_id)
    header = [_("Number"), _("Received"), _("Pupil"), _("Class"), _("Sent by"), _("Category"), _("Feeling"),
              _("Pupil chose"), _("About"), _("Where"), _("Status"), pgettext("concern", "Outcome"),
              _("Urgent"), _("Assigned DSL"),
              _("Read")]
    rows = [[c.id, format_local(c.created_at), c.pupil.full_name,
             c.class_then(classes), labels.INTERRUPTED if c.interrupted else labels.SOURCES[c.source],
             labels.CATEGORIES[c.category], labels.FEELINGS.get(c.feeling, ""), labels.WHAT.get(c.what, ""),
             labels.ABOUT.get(c.about, ""), labels.LOCATIONS.get(c.location, ""), labels.STATUSES[c.status],
             labels.OUTCOMES.get(c.outcome, ""), _("Yes") if c.urgent else _("No"),
             c.assigned_to.display_name if c.assigned_to else "", format_local(c.read_at)] for c in concerns]
    audit.record(current_user, "inbox.exported", "inbox", None, f"CSV, {len(rows)} rows; {_filters_detail(f)}")
    db.session.commit()
    return csv_response(f"concerns-{local_today().isoformat()}.csv", header, rows)


def _detail_forms(concern, posted: str | None = None):
    """The concern page's forms; only the one that was posted reads the request's form data."""
    def source(name):
        return {} if name == posted else {"formdata": None}

    handling = HandlingForm(prefix="h", data={
        "status": concern.status, "outcome": concern.outcome or "", "assigned_to": concern.assigned_to_id,
        "category": concern.category, "urgent": concern.urgent}, **source("handling_form"))
    markers = MarkersForm(prefix="m", data={m: getattr(concern, m) for m in
                                            ("parents_informed_on", "social_care_on", "police_on", "early_help_on")},
                          **source("markers_form"))
    return {"entry_form": EntryForm(prefix="e", **source("entry_form")), "handling_form": handling,
            "markers_form": markers, "link_form": LinkPupilForm(prefix="l", **source("link_form"))}


def _prepare(forms, concern):
    dsls = handling.school_dsls(concern.school_id)
    forms["handling_form"].assigned_to.choices = [SelectChoice("", _("Nobody yet"))] + [
        SelectChoice(str(s.id), s.display_name) for s in dsls]
    forms["link_form"].pupil.choices = pupil_choices(concern.school_id)
    forms["entry_form"].corrects.choices = [SelectChoice("", _("Nothing: a new entry"))] + [
        SelectChoice(str(e.id), f"#{e.id} {format_local(e.when)} {(e.text or '')[:60]}")
        for e in concern.entries if e.kind != "change"]
    return forms


def _render_detail(concern, forms=None, status: int = 200, error=None, action: str = "concern.viewed",
                   template: str = "concerns/detail.html"):
    """Every render of a concern is a view of it: audited, and the pupil's message shows as read."""
    handling.open_concern(current_user, concern, action)
    db.session.commit()
    forms = _prepare(forms or _detail_forms(concern), concern)
    trail = audit.trail("concern", concern.id, concern.school_id)
    viewers: dict[str, dict] = {}
    for event in trail:
        if event.action in ("concern.viewed", "concern.printed"):
            v = viewers.setdefault(f"{event.actor_kind}:{event.actor_id}",
                                   {"name": event.actor_name, "first": event.created_at, "count": 0})
            v["last"] = event.created_at
            v["count"] += 1
    classes = inbox_service.classes_of(concern.school_id)
    return render_template(template, concern=concern, trail=trail, viewers=list(viewers.values()),
                           klass=classes.get(concern.class_id), classes=classes, now=utcnow(),
                           printing=action == "concern.printed", others=handling.other_concerns(concern), error=error,
                           **forms), status


@bp.get("/staff/concerns/<int:concern_id>")
@role_required(Role.DSL)
@fresh_factor_required
def detail(concern_id: int):
    """One concern: the pupil's words exactly as sent, the chronology, status, markers, who viewed it."""
    return _render_detail(handling.load_for_dsl(current_user, concern_id))


@bp.get("/staff/concerns/<int:concern_id>/print")
@role_required(Role.DSL)
@fresh_factor_required
def print_concern(concern_id: int):
    """A printable record of one concern (audited as a print)."""
    return _render_detail(handling.load_for_dsl(current_user, concern_id), action="concern.printed",
                          template="concerns/print_concern.html")


def _after_change(concern, forms, form_name, apply):
    """Validate one of the concern page's forms, apply it, commit; on a problem show the page again."""
    form = forms[form_name]
    if not form.validate():
        return _render_detail(concern, forms, 400)
    try:
        changed = apply(form)
        db.session.commit()
    except service.ConcernError as exc:
        db.session.rollback()
        return _render_detail(concern, forms, exc.status, error=exc.message)
    if changed is not None:
        flash(changed, "info")
    return redirect(url_for("concerns.detail", concern_id=concern.id) + f"#{form_name}", 303)


@bp.post("/staff/concerns/<int:concern_id>/entries")
@role_required(Role.DSL)
def add_entry(concern_id: int):
    concern = handling.load_for_dsl(current_user, concern_id)
    forms = _prepare(_detail_forms(concern, "entry_form"), concern)
    return _after_change(concern, forms, "entry_form", lambda f: (
        handling.add_entry(current_user, concern, f.kind.data, f.text.data, f.reason.data,
                           happened_at=to_utc(f.happened_at.data) if f.happened_at.data else None,
                           corrects=f.corrects.data)
        and _("Added to the chronology.")))


@bp.post("/staff/concerns/<int:concern_id>/handling")
@role_required(Role.DSL)
def update_handling(concern_id: int):
    concern = handling.load_for_dsl(current_user, concern_id)
    forms = _prepare(_detail_forms(concern, "handling_form"), concern)

    def apply(f):
        changes = handling.update_handling(current_user, concern, status=f.status.data, outcome=f.outcome.data or None,
                                          assigned_to_id=f.assigned_to.data, category=f.category.data,
                                          urgent=f.urgent.data, reason=f.reason.data)
        return "; ".join(changes) if changes else _("Nothing was changed.")

    return _after_change(concern, forms, "handling_form", apply)


@bp.post("/staff/concerns/<int:concern_id>/markers")
@role_required(Role.DSL)
def update_markers(concern_id: int):
    concern = handling.load_for_dsl(current_user, concern_id)
    forms = _prepare(_detail_forms(concern, "markers_form"), concern)

    def apply(f):
        changes = handling.set_markers(current_user, concern, f.values(), f.reason.data)
        return "; ".join(changes) if changes else _("Nothing was changed.")

    return _after_change(concern, forms, "markers_form", apply)


@bp.post("/staff/concerns/<int:concern_id>/pupils")
@role_required(Role.DSL)
def link_pupil(concern_id: int):
    concern = handling.load_for_dsl(current_user, concern_id)
    forms = _prepare(_detail_forms(concern, "link_form"), concern)
    return _after_change(concern, forms, "link_form", lambda f: _("Linked %(name)s.", name=handling.link_pupil(
        current_user, concern, f.pupil.data).full_name))


@bp.post("/staff/concerns/<int:concern_id>/pupils/<int:pupil_id>/unlink")
@role_required(Role.DSL)
def unlink_pupil(concern_id: int, pupil_id: int):
    concern = handling.load_for_dsl(current_user, concern_id)
    if not ConfirmForm().validate():
        abort(400)
    try:
        handling.unlink_pupil(current_user, concern, pupil_id, request.form.get("reason"))
        db.session.commit()
    except service.ConcernError as exc:
        db.session.rollback()
        return _render_detail(concern, None, exc.status, error=exc.message)
    flash(_("The pupil is no longer linked."), "info")
    return redirect(url_for("concerns.detail", concern_id=concern.id) + "#link_form", 303)
