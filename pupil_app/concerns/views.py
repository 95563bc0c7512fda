"""Routes of "Tell an adult" (pupils), logging a concern (all staff) and the DSL dashboard.

One blueprint, ``concerns``, for pupils and staff (the first-log-on pledge gate lets every endpoint
of this blueprint through, so a child can always tell an adult).

The pupil's screens work without script (each tap is a plain form post, progress kept on the
server); ``static/js/tell.js`` adds a copy in the browser's storage until the server says the
concern is saved, and sends "Send" by fetch so a failure leaves the child on the same page.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import (Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, user_logged_in
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from wtforms.fields.choices import SelectChoice

from ..access import public, pupil_required, role_required, staff_required
from ..auth.forms import ConfirmForm
from ..extensions import db
from ..guards import id_arg
from ..redirects import safe_path
from ..schools.models import Role
from ..timeutil import utcnow
from . import alerts, audit, labels, service
from .forms import EntryForm, HandlingForm, IncidentForm, LinkPupilForm, LogConcernForm, MarkersForm
from .models import CATEGORIES, FEELINGS, LOCATIONS, STATUSES, WHAT_CHOICES

bp = Blueprint("concerns", __name__, template_folder="templates")

CALM_FAILURE = _l("We could not send your message just now. Please tell the adult in your room now. "
                  "Your message is still here, so you can try again.")

# What each pupil screen shows: its question, and a picture for every choice.
STEP_PROMPTS = {
    "feel": _l("How do you feel?"),
    "what": _l("What happened?"),
    "about": _l("Is it about you or someone else?"),
    "where": _l("Where did it happen?"),
    "words": _l("Is there anything else you want to tell us?"),
    "adult": _l("Who would you like to talk to?"),
    "send": _l("Ready to send your message?"),
}
STEP_CHOICES = {
    "feel": [(v, f"feeling-{v}.svg", labels.PUPIL_FEELINGS[v]) for v in FEELINGS],
    "what": [(v, f"worry-{v}.svg", labels.PUPIL_WHAT[v]) for v in WHAT_CHOICES],
    "about": [(v, f"worry-{v.replace('_', '-')}.svg", labels.PUPIL_ABOUT[v]) for v in ("me", "someone_else", "not_sure")],
    "where": [(v, f"worry-{v.replace('_', '-')}.svg", labels.PUPIL_WHERE[v]) for v in LOCATIONS],
}


def _safe_path(target: str | None) -> str | None:
    target = safe_path(target, max_length=300)
    return None if target is None or target.startswith("/tell") else target


def _pupil():
    return current_user._get_current_object() if current_user.is_authenticated and current_user.is_pupil else None


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _json(status: str, code: int = 200, **extra):
    return jsonify(status=status, **{k: str(v) if v is not None and not isinstance(v, (bool, int)) else v
                                     for k, v in extra.items()}), code


@bp.record_once
def _connect(state) -> None:
    """Deliver, at sign-in, what a pupil sent after their session had ended; register the key commands."""
    state.app.cli.add_command(data_key_cli)
    state.app.jinja_env.globals["concern_labels"] = labels
    user_logged_in.connect(_deliver_on_sign_in, state.app)


def _deliver_on_sign_in(_app, user=None, **_extra) -> None:
    if not getattr(user, "is_pupil", False):
        return
    from flask import after_this_request

    pupil_id = user.id

    # After the sign-in has committed, in its own transaction: a failure here never stops a sign-in.
    @after_this_request
    def deliver(response):
        from ..schools.models import Pupil

        try:
            pupil = db.session.get(Pupil, pupil_id)
            delivered = service.deliver_waiting(pupil) if pupil else []
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            return response
        if delivered:
            flash(_("We have sent the message you started before. Thank you for telling us."), "info")
            alerts.after_commit()
        return response


@bp.app_template_global()
def tell_messages(pupil):
    """A pupil's recent messages and whether a grown-up has read each (their home page)."""
    try:
        return service.pupil_messages(pupil)
    except SQLAlchemyError:
        db.session.rollback()
        return []


@bp.app_template_filter("child_date")
def child_date(moment) -> str:
    """A day as a child says it: "Monday 3 March" (in the page's language)."""
    from flask_babel import format_date

    return format_date(service.local(moment).date(), "EEEE d MMMM")


@bp.app_template_filter("local_time")
def local_time(moment, fmt: str = "%d/%m/%Y %H:%M") -> str:
    value = service.local(moment)
    return value.strftime(fmt) if value else ""


# ---------------------------------------------------------------------------------------------
# Pupils

@bp.get("/tell")
@public
def start():
    """The "Tell an adult" button: a signed-in pupil starts (or carries on) a message; anyone else is
    told plainly to tell the adult in the room, and how to sign in to send a message."""
    back = _safe_path(request.args.get("from"))
    if current_user.is_authenticated and current_user.is_staff:
        return redirect(url_for("concerns.log_concern"))
    pupil = _pupil()
    if pupil is None:
        return render_template("concerns/tell_now.html", back=back, signed_out=False)
    try:
        delivered = service.deliver_waiting(pupil)
        token = service.resume_token(pupil)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        return render_template("concerns/tell_now.html", back=back, signed_out=False, failed=True), 503
    if delivered:
        alerts.after_commit()
    if back:
        session["tell_from"] = back
    return redirect(url_for("concerns.step", token=token, step="feel"), 303)


@bp.get("/calm")
@public
def calm():
    """"Hide this page" without script: a calm screen instead of whatever was showing."""
    return render_template("concerns/calm.html", back=_safe_path(request.args.get("from")))


@bp.route("/tell/<token>/<step>", methods=["GET", "POST"])
@public
def step(token: str, step: str):
    """One screen of the pupil's message. Public so that a post arriving after the pupil's session
    has ended is kept (for their next sign-in) instead of being lost; nothing is shown back to a
    browser that is not signed in as the pupil whose message it is."""
    if step not in service.STEPS:
        abort(404)
    if current_user.is_authenticated and not current_user.is_pupil:
        abort(403)
    if request.method == "POST" and not ConfirmForm().validate():
        if _wants_json():  # not sent: the script keeps the message and tries again from the next page
            return _json("retry", 400, message=_("This page was open too long. Please tell the adult in your room."))
        abort(400)
    pupil = _pupil()
    if pupil is None:
        return _signed_out(token, step)
    if not service.valid_key(token):
        abort(404)
    draft = service.draft_by_token(token)
    if draft is None:
        concern = service.concern_by_key(token)
        if concern is not None:
            if concern.pupil_id == pupil.id and concern.source == "pupil":
                return _saved(token)
            # Another child's message, already sent (a shared device): the script can forget its copy.
            return _json("done", 404) if _wants_json() else abort(404)
    elif draft.pupil_id != pupil.id:
        return _json("unknown", 404) if _wants_json() else abort(404)
    if request.method == "POST":
        if step == "send":
            if draft is None:
                # Only a message this child began here (its draft proves whose it is) can be sent: a
                # copy kept in a shared device's browser is never sent as whoever is signed in now.
                return _json("unknown", 404) if _wants_json() else abort(404)
            return _send(pupil, token)
        try:
            _save(pupil, token, draft, step)
        except service.ConcernError as exc:
            db.session.rollback()
            return _render_step(pupil, token, draft, step, error=exc.message, status=exc.status, posted=request.form)
        except SQLAlchemyError:
            db.session.rollback()
            return _render_step(pupil, token, draft, step, error=CALM_FAILURE, status=503, posted=request.form)
        return redirect(url_for("concerns.step", token=token, step=service.step_after(step)), 303)
    return _render_step(pupil, token, draft, step)


def _save(pupil, token: str, draft, step: str) -> None:
    """Keep one screen's answer; the first answer of a new message creates its draft."""
    try:
        service.save_step(draft or service.new_draft(pupil, token), pupil, step, request.form)
        db.session.commit()
    except IntegrityError:
        # A double tap on the first screen: the other request made the draft. Answer into that one.
        db.session.rollback()
        draft = service.draft_by_token(token)
        if draft is None or draft.pupil_id != pupil.id:
            raise
        service.save_step(draft, pupil, step, request.form)
        db.session.commit()


def _render_step(pupil, token: str, draft, step: str, error=None, status: int = 200, posted=None):
    answers = service.draft_answers(draft)
    if posted is not None and step in ("words", "send") and "words" in posted:
        # The words the pupil just sent stay on the screen, even when they could not be saved.
        # (Picture choices come from the server's copy: a refused value is never shown back.)
        answers.words = posted.get("words", "")
    adults = service.trusted_adults(pupil) if step in ("adult", "send") else []
    before = service.step_before(step)
    return render_template(
        "concerns/step.html", step=step, number=service.STEPS.index(step) + 1, total=len(service.STEPS),
        token=token, prompt=STEP_PROMPTS[step], choices=STEP_CHOICES.get(step, []), answers=answers,
        adults=adults, adult_names={f"staff-{a.id}": a.display_name for a in adults},
        back=url_for("concerns.step", token=token, step=before) if before else None,
        error=error, failed=status == 503, form=ConfirmForm(), max_words=service.MAX_WORDS, calm_failure=CALM_FAILURE,
        pupil_labels={"feeling": labels.PUPIL_FEELINGS, "what": labels.PUPIL_WHAT, "about": labels.PUPIL_ABOUT,
                      "location": labels.PUPIL_WHERE},
    ), status


def _saved(token: str):
    thanks = url_for("concerns.thanks", token=token)
    if _wants_json():
        return _json("saved", thanks_url=thanks, message=_("We have sent your message. Thank you for telling us."))
    return redirect(thanks, 303)


def _send(pupil, token: str):
    """Save the concern and commit it before the pupil sees "Thank you"."""
    try:
        answers = service.answers_from(pupil, request.form)
        _concern, created = service.submit(pupil, token, answers)
        db.session.commit()
    except service.ConcernError as exc:
        db.session.rollback()
        if _wants_json():
            return _json("invalid", exc.status, message=exc.message)
        return _render_step(pupil, token, service.draft_by_token(token), "send", error=exc.message,
                            status=exc.status, posted=request.form)
    except IntegrityError:
        # The same message at the very same moment (a double tap): the other request saved it.
        db.session.rollback()
        concern = service.concern_by_key(token)
        if concern is not None and concern.pupil_id == pupil.id:
            return _saved(token)
        return _send_failed(pupil, token)
    except SQLAlchemyError:
        db.session.rollback()
        return _send_failed(pupil, token)
    if created:
        alerts.after_commit()
    return _saved(token)


def _send_failed(pupil, token: str):
    if _wants_json():
        return _json("failed", 503, message=CALM_FAILURE)
    try:
        draft = service.draft_by_token(token)
    except SQLAlchemyError:
        db.session.rollback()
        draft = None
    try:
        return _render_step(pupil, token, draft, "send", error=CALM_FAILURE, status=503, posted=request.form)
    except SQLAlchemyError:  # the database is down altogether: the words are still in the browser
        db.session.rollback()
        return render_template("concerns/tell_now.html", back=None, signed_out=False, failed=True), 503


def _signed_out(token: str, step: str):
    """No pupil signed in (the session ended mid-message). Keep a post for the pupil's next sign-in,
    and tell the child plainly to tell the adult in the room now."""
    held = False
    if request.method == "POST":
        try:
            draft = service.draft_by_token(token)
            if draft is not None:
                service.hold_until_signed_in(draft, step, request.form)
                db.session.commit()
                held = True
        except (service.ConcernError, SQLAlchemyError):
            db.session.rollback()
    sent_later = held and step == "send"
    if _wants_json():
        return _json("signed_out", 200, held=held, message=(
            _("You were signed out. Please tell the adult in your room now. Your message is kept safe: "
              "it will be sent when you sign in again.") if sent_later else
            _("You were signed out. Please tell the adult in your room now, then sign in again.")))
    return render_template("concerns/tell_now.html", back=None, signed_out=True, held=held, sent_later=sent_later,
                           idle=bool(g.get("idle_signed_out")))


@bp.get("/tell/<token>/thanks")
@pupil_required
def thanks(token: str):
    """"Thank you for telling us": who will read it and when, and what to do right now."""
    concern = service.concern_by_key(token)
    if concern is None or concern.pupil_id != current_user.id or concern.source != "pupil":
        abort(404)
    return render_template("concerns/thanks.html", concern=concern, readers=service.readers(concern.school_id),
                           back=session.pop("tell_from", None))


# ---------------------------------------------------------------------------------------------
# Any staff member: log a concern about a pupil, record an incident, see what they logged

def _pupil_choices(school_id: int) -> list[SelectChoice]:
    """Every pupil of the school, grouped by class, after a "Choose a pupil" prompt."""
    classes = service.classes_of(school_id)
    out = [SelectChoice("", _("Choose a pupil…"))]
    for p in service.school_pupils(school_id):
        group = classes[p.class_id].name if p.class_id in classes else _("No class")
        out.append(SelectChoice(str(p.id), p.full_name, optgroup=group))
    return out


@bp.route("/staff/concerns/new", methods=["GET", "POST"])
@staff_required
def log_concern():
    """Any teacher records a concern about a pupil (what they saw or heard, where, when)."""
    form = LogConcernForm()
    form.pupil.choices = _pupil_choices(current_user.school_id)
    status = 200
    error = None
    if request.method == "GET":
        form.key.data = service.new_key()
        requested = id_arg(request.args.get("pupil"))
        if requested and service.school_pupil(current_user.school_id, requested):
            form.pupil.data = requested
    elif form.validate():
        occurred = service.to_utc(form.occurred_at.data) if form.occurred_at.data else None
        try:
            service.log_concern(current_user, pupil_id=form.pupil.data, category=form.category.data,
                                location=form.location.data, occurred_at=occurred, account=form.account.data,
                                urgent=form.urgent.data, key=form.key.data)
            db.session.commit()
        except service.ConcernError as exc:
            db.session.rollback()
            error, status = exc.message, exc.status
        except IntegrityError:
            db.session.rollback()  # a double submit: the first one is saved
        else:
            alerts.after_commit()
        if error is None:
            flash(_("Thank you. You logged this concern and the DSL has it."), "info")
            return redirect(url_for("concerns.logged"), 303)
    else:
        status = 400
    return render_template("concerns/log_concern.html", form=form, error=error), status


@bp.route("/staff/incidents/new", methods=["GET", "POST"])
@staff_required
def new_incident():
    """Record an online safety incident in the school's log (not about one pupil)."""
    form = IncidentForm()
    status = 200
    error = None
    if request.method == "GET":
        form.key.data = service.new_key()
        form.occurred_on.data = service.local_today()
    elif form.validate():
        try:
            service.record_incident(current_user, occurred_on=form.occurred_on.data, location=form.location.data,
                                    description=form.description.data, action=form.action.data, key=form.key.data)
            db.session.commit()
        except service.ConcernError as exc:
            db.session.rollback()
            error, status = exc.message, exc.status
        except IntegrityError:
            db.session.rollback()
        else:
            alerts.after_commit()
        if error is None:
            flash(_("Thank you. You recorded this incident and the DSL has it."), "info")
            return redirect(url_for("concerns.logged"), 303)
    else:
        status = 400
    return render_template("concerns/new_incident.html", form=form, error=error), status


@bp.get("/staff/concerns/mine")
@staff_required
def logged():
    """What this staff member logged: only that they logged it and that the DSL has it."""
    return render_template("concerns/logged.html", concerns=service.logged_by(current_user),
                           incidents=service.incidents_by(current_user))


# ---------------------------------------------------------------------------------------------
# The DSL dashboard

def _filter_or_400():
    try:
        return service.parse_filter(request.args)
    except service.ConcernError as exc:
        abort(Response(render_template("error.html", code=400, title=_("That filter did not work"),
                                       message=exc.message), 400))


@bp.get("/staff/concerns")
@role_required(Role.DSL)
def inbox():
    """New concerns first, urgent ones flagged, counts by status; filters and search."""
    f = _filter_or_400()
    page_arg = request.args.get("page", "1")
    result = service.inbox(current_user, f, int(page_arg) if page_arg.isdigit() and len(page_arg) < 7 else 1)
    audit.record(current_user, "inbox.viewed", "inbox", None, _filters_detail(f))
    db.session.commit()
    classes = service.classes_of(current_user.school_id)
    pupil = service.school_pupil(current_user.school_id, f.pupil_id) if f.pupil_id else None
    dsls = {s.id: s.display_name for s in service.school_dsls(current_user.school_id)}
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
def inbox_csv():
    """The inbox (with its filters) as CSV: no pupil's words, which stay on the concern page."""
    f = _filter_or_400()
    concerns = service.inbox_all(current_user, f)
    classes = service.classes_of(current_user.school_id)
    header = [_("Number"), _("Received"), _("Pupil"), _("Class"), _("Sent by"), _("Category"), _("Feeling"),
              _("Pupil chose"), _("About"), _("Where"), _("Status"), _("Outcome"), _("Urgent"), _("Assigned DSL"),
              _("Read")]
    rows = [[c.id, local_time(c.created_at), c.pupil.full_name,
             classes[c.class_id].name if c.class_id in classes else "", labels.SOURCES[c.source],
             labels.CATEGORIES[c.category], labels.FEELINGS.get(c.feeling, ""), labels.WHAT.get(c.what, ""),
             labels.ABOUT.get(c.about, ""), labels.LOCATIONS.get(c.location, ""), labels.STATUSES[c.status],
             labels.OUTCOMES.get(c.outcome, ""), _("Yes") if c.urgent else _("No"),
             c.assigned_to.display_name if c.assigned_to else "", local_time(c.read_at)] for c in concerns]
    audit.record(current_user, "inbox.exported", "inbox", None, f"CSV, {len(rows)} rows; {_filters_detail(f)}")
    db.session.commit()
    return _csv_response(service.csv_text(header, rows), f"concerns-{service.local_today().isoformat()}.csv")


def _csv_response(text: str, filename: str) -> Response:
    return Response("\ufeff" + text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


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
    dsls = service.school_dsls(concern.school_id)
    forms["handling_form"].assigned_to.choices = [SelectChoice("", _("Nobody yet"))] + [
        SelectChoice(str(s.id), s.display_name) for s in dsls]
    forms["link_form"].pupil.choices = _pupil_choices(concern.school_id)
    return forms


def _render_detail(concern, forms=None, status: int = 200, error=None, action: str = "concern.viewed",
                   template: str = "concerns/detail.html"):
    """Every render of a concern is a view of it: audited, and the pupil's message shows as read."""
    service.open_concern(current_user, concern, action)
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
    classes = service.classes_of(concern.school_id)
    return render_template(template, concern=concern, trail=trail, viewers=list(viewers.values()),
                           klass=classes.get(concern.class_id), classes=classes, now=utcnow(),
                           printing=action == "concern.printed", others=service.other_concerns(concern), error=error,
                           **forms), status


@bp.get("/staff/concerns/<int:concern_id>")
@role_required(Role.DSL)
def detail(concern_id: int):
    """One concern: the pupil's words exactly as sent, the chronology, status, markers, who viewed it."""
    return _render_detail(service.load_for_dsl(current_user, concern_id))


@bp.get("/staff/concerns/<int:concern_id>/print")
@role_required(Role.DSL)
def print_concern(concern_id: int):
    """A printable record of one concern (audited as a print)."""
    return _render_detail(service.load_for_dsl(current_user, concern_id), action="concern.printed",
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
    concern = service.load_for_dsl(current_user, concern_id)
    forms = _prepare(_detail_forms(concern, "entry_form"), concern)
    return _after_change(concern, forms, "entry_form", lambda f: (
        service.add_entry(current_user, concern, f.kind.data, f.text.data, f.reason.data)
        and _("Added to the chronology.")))


@bp.post("/staff/concerns/<int:concern_id>/handling")
@role_required(Role.DSL)
def update_handling(concern_id: int):
    concern = service.load_for_dsl(current_user, concern_id)
    forms = _prepare(_detail_forms(concern, "handling_form"), concern)

    def apply(f):
        changes = service.update_handling(current_user, concern, status=f.status.data, outcome=f.outcome.data or None,
                                          assigned_to_id=f.assigned_to.data, category=f.category.data,
                                          urgent=f.urgent.data, reason=f.reason.data)
        return "; ".join(changes) if changes else _("Nothing was changed.")

    return _after_change(concern, forms, "handling_form", apply)


@bp.post("/staff/concerns/<int:concern_id>/markers")
@role_required(Role.DSL)
def update_markers(concern_id: int):
    concern = service.load_for_dsl(current_user, concern_id)
    forms = _prepare(_detail_forms(concern, "markers_form"), concern)

    def apply(f):
        changes = service.set_markers(current_user, concern, f.values(), f.reason.data)
        return "; ".join(changes) if changes else _("Nothing was changed.")

    return _after_change(concern, forms, "markers_form", apply)


@bp.post("/staff/concerns/<int:concern_id>/pupils")
@role_required(Role.DSL)
def link_pupil(concern_id: int):
    concern = service.load_for_dsl(current_user, concern_id)
    forms = _prepare(_detail_forms(concern, "link_form"), concern)
    return _after_change(concern, forms, "link_form", lambda f: _("Linked %(name)s.", name=service.link_pupil(
        current_user, concern, f.pupil.data).full_name))


@bp.post("/staff/concerns/<int:concern_id>/pupils/<int:pupil_id>/unlink")
@role_required(Role.DSL)
def unlink_pupil(concern_id: int, pupil_id: int):
    concern = service.load_for_dsl(current_user, concern_id)
    if not ConfirmForm().validate():
        abort(400)
    try:
        service.unlink_pupil(current_user, concern, pupil_id, request.form.get("reason"))
        db.session.commit()
    except service.ConcernError as exc:
        db.session.rollback()
        return _render_detail(concern, None, exc.status, error=exc.message)
    flash(_("The pupil is no longer linked."), "info")
    return redirect(url_for("concerns.detail", concern_id=concern.id) + "#link_form", 303)


def _log_range():
    today = service.local_today()
    try:
        start = service._date_arg(request.args.get("from")) or service.school_year_start(today)
        end = service._date_arg(request.args.get("to")) or today
    except service.ConcernError as exc:
        abort(Response(render_template("error.html", code=400, title=_("That filter did not work"),
                                       message=exc.message), 400))
    if end < start:
        start, end = end, start
    return start, end


@bp.get("/staff/incident-log")
@role_required(Role.DSL)
def incident_log():
    """The online safety incident log (policy appendix 6): concerns and incidents, by date."""
    start, end = _log_range()
    rows = service.incident_log(current_user, start, end)
    audit.record(current_user, "log.viewed", "incident_log", None, f"{start} to {end}, {len(rows)} rows")
    db.session.commit()
    return render_template("concerns/incident_log.html", rows=rows, start=start, end=end, printing=False)


@bp.get("/staff/incident-log/print")
@role_required(Role.DSL)
def incident_log_print():
    start, end = _log_range()
    rows = service.incident_log(current_user, start, end)
    audit.record(current_user, "log.printed", "incident_log", None, f"{start} to {end}, {len(rows)} rows")
    db.session.commit()
    return render_template("concerns/incident_log.html", rows=rows, start=start, end=end, printing=True)


@bp.get("/staff/incident-log.csv")
@role_required(Role.DSL)
def incident_log_csv():
    start, end = _log_range()
    rows = service.incident_log(current_user, start, end)
    audit.record(current_user, "log.exported", "incident_log", None, f"CSV, {start} to {end}, {len(rows)} rows")
    db.session.commit()
    header = [_("Date"), _("Where the incident took place"), _("Description of the incident"), _("Action taken"),
              _("Staff member recording the incident"), _("Reference")]
    data = [[r.day.strftime("%d/%m/%Y"), r.where, r.description, r.action, r.recorded_by,
             (f"C{r.ref}" if r.kind == "concern" else f"I{r.ref}")] for r in rows]
    return _csv_response(service.csv_text(header, data), f"online-safety-incident-log-{start}-to-{end}.csv")


from .cli import data_key_cli  # noqa: E402  (also adds `flask concerns ...` commands to bp.cli)
