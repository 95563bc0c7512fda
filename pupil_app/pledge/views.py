"""The Acceptable Use pledge: the first-log-on gate, the pupil's promises, staff and admin pages,
and the parent page opened from the QR letter."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from ..access import public, pupil_required, role_required, staff_required
from ..auth.service import idle_limit
from ..content import current_content
from ..extensions import db
from ..guards import id_arg
from ..qr import qr_svg
from ..ratelimit import rate_limited
from ..schools.models import Pupil, Role
from ..schools.service import load_class_or_404, load_pupil_or_404, visible_classes
from ..timeutil import format_day, format_local, utcnow
from . import (
    coverage as _coverage,  # noqa: F401  (the pledge columns and history on the coverage pages)
    service,
)
from .forms import ParentForm, PromiseForm, PublishForm, ResignForm, SignForm

bp = Blueprint("pledge", __name__, template_folder="templates")

# What a pupil who has not signed their band's current pledge may still reach.
ALLOWED_ENDPOINTS = frozenset({
    "auth.sign_out",  # "I've finished"
    "static", "main.picture",  # the page's own files and pictures
    "main.set_language", "health.healthz", "health.readyz",
})
# Whole blueprints a pupil may always reach: the pledge itself, and "Tell an adult" (the concerns
# blueprint, built alongside this one): a child must be able to tell an adult before anything else.
ALLOWED_BLUEPRINTS = frozenset({"pledge", "concerns"})
SESSION_KEY = "pledge"  # {"v": version id, "n": promises made so far, in order}
SIGNED_KEY = "pledge_ok"  # this sign-in has a counting signature (checked once per sign-in)


def _language() -> str:
    locale = get_locale()
    return str(locale) if locale else "en"


# ---------------------------------------------------------------- the first-log-on gate

@bp.before_app_request
def first_log_on_gate():
    """A pupil who has not signed the current version of their band's pledge is sent to it."""
    if request.endpoint is None or not current_user.is_authenticated or not current_user.is_pupil:
        return None
    if request.endpoint in ALLOWED_ENDPOINTS or request.blueprint in ALLOWED_BLUEPRINTS:
        return None
    pupil = current_user._get_current_object()
    marker = pupil.get_id()
    if session.get(SIGNED_KEY) == marker:
        return None
    seen = session.get("seen")
    if seen is not None and time.time() - seen > idle_limit(pupil).total_seconds():
        return None  # the idle sign-out hook runs next and ends this session
    if service.has_signed_current(pupil):
        session[SIGNED_KEY] = marker  # a new version asks again at the next sign-in
        return None
    return redirect(url_for("pledge.start"))


@bp.app_template_global()
def promises_for_module(module_id: str) -> list:
    """'Remember your promise': the promises a module is about, for the signed-in pupil's school and band."""
    if not current_user.is_authenticated or not current_user.is_pupil:
        return []
    return service.promises_for_module(current_user.school_id, current_user.band, module_id)


# ---------------------------------------------------------------- the pupil's pledge

def _pledge_state(version_id: int) -> int:
    """How many promises this pupil has made, in order, of this version (in this sign-in)."""
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict) or state.get("v") != version_id:
        return 0
    n = state.get("n")
    return n if isinstance(n, int) and n >= 0 else 0


def _current_for_pupil():
    """The current version of the pupil's pledge (created from the shipped text the first time)."""
    pupil = current_user._get_current_object()
    key = service.pledge_key(pupil.band)
    if key is None:
        return pupil, None, None
    version = service.ensure_current_version(pupil.school_id, key)
    db.session.commit()  # a no-op unless version 1.0 was just created
    return pupil, version, service.text_of_version(version)


def _not_in_class():
    return render_template("pledge/message.html", title=_("You are not in a class yet"),
                           message=_("Please ask your teacher."), picture=None, link=None), 200


def _out_of_turn(made: int):
    """A promise screen asked for out of turn (skipping ahead by URL): nothing is recorded."""
    return render_template("pledge/message.html", title=_("One promise at a time"),
                           message=_("Let's make the promises in order."),
                           picture="pledge-promise.svg",
                           link=(url_for("pledge.promise", number=made + 1), _("Go to promise %(number)d", number=made + 1))
                           ), 400


@bp.get("/pledge/")
@pupil_required
def start():
    """The first screen of the pledge: what it is, and why the pupil is asked (again)."""
    pupil, version, text = _current_for_pupil()
    if version is None:
        return _not_in_class()
    if service.has_signed_current(pupil):
        return redirect(url_for("pledge.mine"))
    if _pledge_state(version.id) == 0:
        session[SESSION_KEY] = {"v": version.id, "n": 0}
    return render_template("pledge/start.html", text=text, standing=service.standing(pupil))


@bp.route("/pledge/<int:number>", methods=["GET", "POST"])
@pupil_required
def promise(number: int):
    """One promise per screen, with its picture and why it matters; 'I promise' moves on."""
    pupil, version, text = _current_for_pupil()
    if version is None:
        return _not_in_class()
    if not 1 <= number <= len(text.promises):
        abort(404)
    if service.has_signed_current(pupil):
        return redirect(url_for("pledge.mine"))
    made = _pledge_state(version.id)
    form = PromiseForm()
    item = text.promises[number - 1]
    if request.method == "POST":
        if not form.validate():
            abort(400)
        if form.version.data != str(version.id):
            session[SESSION_KEY] = {"v": version.id, "n": 0}
            return render_template("pledge/message.html", title=_("Your promises have just changed"),
                                   message=_("Let's look at them again from the start."), picture="pledge-promise.svg",
                                   link=(url_for("pledge.start"), _("Start again"))), 409
        if number > made + 1:
            return _out_of_turn(made)
        if form.promise.data != item.id:
            abort(400)
        made = max(made, number)
        session[SESSION_KEY] = {"v": version.id, "n": made}
        if number == len(text.promises):
            return redirect(url_for("pledge.sign"))
        return redirect(url_for("pledge.promise", number=number + 1))
    if number > made + 1:
        return _out_of_turn(made)
    return render_template("pledge/promise.html", text=text, item=item, number=number, made=made, form=form,
                           version=version)


@bp.route("/pledge/sign", methods=["GET", "POST"])
@pupil_required
def sign():
    """The last screen: a KS2 pupil types their first name, an EYFS/KS1 pupil taps 'I promise'."""
    pupil, version, text = _current_for_pupil()
    if version is None:
        return _not_in_class()
    if service.has_signed_current(pupil) and request.method == "GET":
        return redirect(url_for("pledge.mine"))
    made = _pledge_state(version.id)
    shown = service.signed_text(text, _)
    form = SignForm()
    error, status = None, 200
    if request.method == "POST":
        if not form.validate() and form.csrf_token.errors:
            abort(400)
        try:
            posted_pupil = id_arg(form.pupil.data)
            posted_version = id_arg(form.version.data)
            service.sign(pupil, version_id=posted_version, posted_hash=form.text_hash.data or "", shown_text=shown,
                         promised=made, typed_name=request.form.get("name"), language=_language(),
                         posted_pupil_id=posted_pupil)
        except service.PledgeError as exc:
            db.session.rollback()
            if exc.status == 400 and made == len(text.promises):
                error, status = exc.message, 400  # a name that is not theirs: try again on this screen
            else:
                if exc.status == 409 and not service.has_signed_current(pupil):
                    session[SESSION_KEY] = {"v": version.id, "n": 0}
                link = ((url_for("pledge.mine"), _("My promises")) if service.has_signed_current(pupil)
                        else (url_for("pledge.start"), _("Go to my promises")))
                return render_template("pledge/message.html", title=exc.message, message="",
                                       picture="pledge-promise.svg", link=link), exc.status
        else:
            db.session.commit()
            session.pop(SESSION_KEY, None)
            session[SIGNED_KEY] = pupil.get_id()
            return redirect(url_for("pledge.done"))
    if made < len(text.promises):
        return _out_of_turn(made)
    return render_template("pledge/sign.html", text=text, version=version, form=form, error=error,
                           text_hash=service.text_hash(shown)), status


@bp.get("/pledge/done")
@pupil_required
def done():
    """Well done: the promises are made; learning is open."""
    pupil = current_user._get_current_object()
    if not service.has_signed_current(pupil):
        return render_template("pledge/message.html", title=_("You have not made your promises yet"),
                               message=_("Let's make them now, one at a time."), picture="pledge-promise.svg",
                               link=(url_for("pledge.start"), _("Make my promises"))), 400
    return render_template("pledge/done.html")


@bp.get("/pledge/mine")
@pupil_required
def mine():
    """My promises: each promise with the modules behind it, done or still to do."""
    pupil = current_user._get_current_object()
    text, items = service.my_promises(pupil)
    if text is None:
        return _not_in_class()
    return render_template("pledge/mine.html", text=text, items=items, standing=service.standing(pupil))


# ---------------------------------------------------------------- staff: who has signed

def _staff_class(class_id: int):
    school_class = load_class_or_404(current_user, class_id)
    text, rows = service.class_rows(school_class)
    return school_class, text, rows


@bp.get("/staff/pledges/")
@staff_required
def staff_overview():
    """Every class this member of staff sees: how many have signed, must sign again, parents acknowledged."""
    classes = visible_classes(current_user)
    return render_template("pledge/staff/overview.html", classes=classes, counts=service.class_counts(classes),
                           is_admin=current_user.has_role(Role.ADMIN))


@bp.get("/staff/pledges/classes/<int:class_id>")
@staff_required
def staff_class(class_id: int):
    """One class: each pupil's pledge (version, when) or not yet / sign again, and their parents' acknowledgement."""
    school_class, text, rows = _staff_class(class_id)
    return render_template("pledge/staff/class.html", school_class=school_class, text=text, rows=rows,
                           form=PromiseForm(), relationships=service.RELATIONSHIPS)


@bp.get("/staff/pledges/classes/<int:class_id>/print")
@staff_required
def staff_class_print(class_id: int):
    """The class list for printing: one line per pupil, pledge and parent status."""
    school_class, text, rows = _staff_class(class_id)
    return render_template("pledge/staff/print.html", school_class=school_class, text=text, rows=rows,
                           today=utcnow().date(), relationships=service.RELATIONSHIPS)


def _csv_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


@bp.get("/staff/pledges/classes/<int:class_id>/pledges.csv")
@staff_required
def staff_class_csv(class_id: int):
    """The class's pledge and parent status as CSV."""
    school_class, text, rows = _staff_class(class_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Pupil"), _("Username"), _("Class"), _("Pledge"), _("Status"), _("Version signed"),
                     _("Signed at (UTC)"), _("How"), _("Parent/carer"), _("Parent/carer name"), _("Relationship"),
                     _("Acknowledged at (UTC)")])
    states = {service.SIGNED: _("signed"), service.NOT_YET: _("not yet"), service.AGAIN: _("needs to sign again")}
    parent_states = {"acknowledged": _("acknowledged"), "sent": _("letter sent"), "none": _("no letter yet")}
    for row in rows:
        sig = row.standing.signature if row.standing.signed else None
        ack = row.parent.acknowledgement
        writer.writerow([_csv_cell(c) for c in (
            row.pupil.full_name, row.pupil.username, school_class.name, text.label if text else "",
            states[row.standing.state], sig.label if sig else "",
            format_local(sig.signed_at, "%Y-%m-%d %H:%M") if sig else "",
            (_("typed their name") if sig.method == "name" else _("tapped I promise")) if sig else "",
            parent_states[row.parent.state], ack.parent_name if ack else "",
            str(service.RELATIONSHIPS.get(ack.relationship, ack.relationship)) if ack else "",
            format_local(ack.acknowledged_at, "%Y-%m-%d %H:%M") if ack else "")])
    filename = "pledges-" + (re.sub(r"[^a-z0-9]+", "-", school_class.name.lower()).strip("-") or "class") + ".csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _letters(pupils: list[Pupil], school_class):
    """Issue each pupil a new parent link (old letters stop working) and show the printable letters."""
    letters = []
    today = utcnow().date()
    key = service.pledge_key(school_class.band)
    version = service.ensure_current_version(school_class.school_id, key)
    text = service.text_of_version(version)
    for pupil in pupils:
        token = service.issue_parent_link(pupil, current_user, today)
        link = url_for("pledge.parent", token=service.format_token(token), _external=True)
        letters.append({"pupil": pupil, "link": link,
                        "qr": qr_svg(link, _("QR code for %(name)s's parent letter", name=pupil.first_name))})
    db.session.commit()
    return render_template("pledge/staff/letters.html", school_class=school_class, letters=letters, text=text,
                           expires=service.end_of_school_year(today).date(), today=today)


@bp.post("/staff/pledges/classes/<int:class_id>/letters")
@staff_required
def staff_class_letters(class_id: int):
    """The class pack: one letter per pupil (all, or those whose parents have not acknowledged yet)."""
    school_class, _text, rows = _staff_class(class_id)
    if not PromiseForm().validate():
        abort(400)
    scope = request.form.get("scope", "outstanding")
    if scope not in ("all", "outstanding"):
        abort(400)
    pupils = [r.pupil for r in rows if scope == "all" or r.parent.state != "acknowledged"]
    if not pupils:
        flash(_("Every parent or carer in this class has acknowledged: there are no letters to print."), "info")
        return redirect(url_for("pledge.staff_class", class_id=school_class.id))
    return _letters(pupils, school_class)


@bp.post("/staff/pledges/pupils/<int:pupil_id>/letter")
@staff_required
def staff_pupil_letter(pupil_id: int):
    """A new letter for one pupil (the link on any earlier letter stops working)."""
    pupil = load_pupil_or_404(current_user, pupil_id)
    if not PromiseForm().validate():
        abort(400)
    return _letters([pupil], pupil.school_class)


# ---------------------------------------------------------------- admin: versions and the school year

def _pledge_key_or_404(key: str):
    if key not in current_content().pledges:
        abort(404)
    return current_content().pledges[key]


def _versions_page(error=None, status: int = 200, resign_form: ResignForm | None = None):
    school_id = current_user.school_id
    pledges = []
    for key, pledge in current_content().pledges.items():
        history = service.versions(school_id, key)
        shipped_fp = service.fingerprint(pledge.title, service.shipped_statements(pledge))
        pledges.append({
            "pledge": pledge, "current": service.current_text(school_id, key), "history": history,
            "counts": {v.id: service.signature_count(school_id, v.id) for v in history},
            "shipped_is_current": not history or history[0].text_sha256 == shipped_fp,
        })
    settings = service.settings_for(school_id)
    if resign_form is None:
        resign_form = ResignForm(resign_from=settings.resign_from if settings else None)
    return render_template("pledge/admin/versions.html", pledges=pledges, publish_form=PublishForm(change="minor"),
                           resign_form=resign_form, settings=settings, today=utcnow().date(), error=error), status


@bp.get("/staff/pledges/versions")
@role_required(Role.ADMIN)
def admin_versions():
    """Each pledge's current version and history for this school; publish the shipped text; the sign-again date."""
    return _versions_page()


@bp.get("/staff/pledges/versions/<int:version_id>")
@role_required(Role.ADMIN)
def admin_version(version_id: int):
    """An old or current version exactly as it was published (read only: versions never change)."""
    version = service.version_by_id(current_user.school_id, version_id)
    if version is None:
        abort(404)
    return render_template("pledge/admin/version.html", version=version, text=service.text_of_version(version),
                           signatures=service.signature_count(current_user.school_id, version.id))


@bp.post("/staff/pledges/versions/<key>/shipped")
@role_required(Role.ADMIN)
def admin_publish_shipped(key: str):
    """Publish the app's shipped text of a pledge as this school's new version."""
    _pledge_key_or_404(key)
    form = PublishForm()
    if not form.validate() and form.csrf_token.errors:
        abort(400)
    try:
        version = service.publish(current_user.school_id, key, form.change.data or "", current_user,
                                  note=request.form.get("note", ""))
    except service.PledgeError as exc:
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
    current = service.current_text(current_user.school_id, key)
    form = PublishForm()
    wording = {p.id: {"text": p.text, "why": p.why} for p in current.promises}
    preview, problems, status = None, [], 200
    if request.method == "POST":
        if not form.validate() and form.csrf_token.errors:
            abort(400)
        wording = {s.id: {"text": request.form.get(f"text-{s.id}", ""), "why": request.form.get(f"why-{s.id}", "")}
                   for s in pledge.statements}
        preview, problems = service.preview_wording(key, wording)
        if problems:
            status = 400
        elif request.form.get("action") == "publish":
            try:
                version = service.publish(current_user.school_id, key, form.change.data or "", current_user,
                                          wording=wording, note=form.note.data or "")
            except service.PledgeError as exc:
                db.session.rollback()
                problems, status = [str(exc.message)] + exc.problems, exc.status
            else:
                db.session.commit()
                flash(_("Version %(label)s is published.", label=version.label), "info")
                return redirect(url_for("pledge.admin_versions"))
    elif form.change.data is None:
        form.change.data = "minor"
    changed = {p.id for p in preview or () if current.promise(p.id) is None
               or (p.text, p.why) != (current.promise(p.id).text, current.promise(p.id).why)}
    return render_template("pledge/admin/edit.html", pledge=pledge, current=current, wording=wording, form=form,
                           preview=preview, problems=problems, changed=changed), status


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
    try:
        service.set_resign_from(current_user.school_id, when, current_user)
    except service.PledgeError as exc:
        db.session.rollback()
        return _versions_page(exc.message, exc.status, form)
    db.session.commit()
    if when:
        flash(_("From %(date)s every pupil signs their pledge again at their next sign-in.",
                date=format_day(when, "d MMMM yyyy")), "info")
    else:
        flash(_("There is no sign-again date now."), "info")
    return redirect(url_for("pledge.admin_versions"))


# ---------------------------------------------------------------- parents: the link on the letter

def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _link_not_working():
    return _no_store(current_app.make_response((render_template("pledge/parent/not_working.html"), 404)))


def _parent_page(link, form, problems=None, status=200):
    pupil = db.session.get(Pupil, link.pupil_id)
    key = service.pledge_key(pupil.band)
    version = service.ensure_current_version(pupil.school_id, key)
    db.session.commit()
    text = service.text_of_version(version)
    aup = current_content().parent_aup
    shown = service.parent_text(aup, text, _)
    return _no_store(current_app.make_response((render_template(
        "pledge/parent/page.html", pupil=pupil, text=text, aup=aup, form=form, problems=problems or [],
        ticked=set(request.form.getlist("ack")) if request.method == "POST" else set(),
        text_hash=service.text_hash(shown), expires=link.expires_at.date()), status)))


@bp.route("/p/<token>", methods=["GET", "POST"])
@public
@rate_limited("PARENT_LINK_RATE_LIMIT", "parent-link")
def parent(token: str):
    """The parent page: the child's first name and class, their pledge, the Parent/Carer AUP and the form."""
    link = service.parent_link_for(token)
    if link is None:
        return _link_not_working()
    form = ParentForm()
    if request.method == "POST":
        if not form.validate() and form.csrf_token.errors:
            abort(400)
        pupil = db.session.get(Pupil, link.pupil_id)
        key = service.pledge_key(pupil.band)
        text = service.text_of_version(service.ensure_current_version(pupil.school_id, key))
        shown = service.parent_text(current_content().parent_aup, text, _)
        if request.form.get("text_hash") != service.text_hash(shown):
            db.session.rollback()
            return _parent_page(link, form, [_("The page has changed since you opened it. Please read it again.")], 409)
        try:
            service.acknowledge(link, parent_name=request.form.get("parent_name", ""),
                                relationship=request.form.get("relationship", ""),
                                ticked=request.form.getlist("ack"), pledge=text, shown_text=shown,
                                language=_language())
        except service.PledgeError as exc:
            db.session.rollback()
            return _parent_page(link, form, exc.problems, exc.status)
        db.session.commit()
        return redirect(url_for("pledge.parent_thanks", token=token))
    return _parent_page(link, form)


@bp.get("/p/<token>/thanks")
@public
@rate_limited("PARENT_LINK_RATE_LIMIT", "parent-link")
def parent_thanks(token: str):
    """Thank you: the acknowledgement is recorded."""
    link = service.parent_link_for(token)
    if link is None:
        return _link_not_working()
    pupil = db.session.get(Pupil, link.pupil_id)
    return _no_store(current_app.make_response(render_template("pledge/parent/thanks.html", pupil=pupil, token=token)))
