"""Parents and carers: the page the letter's QR code opens, no sign-in needed.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...access import public
from ...content import current_content
from ...extensions import db
from ...ratelimit import rate_limited
from ...schools.models import Pupil
from .. import parents, rules, service, versions
from ..forms import ParentForm
from .common import bp, page_language

# ---------------------------------------------------------------- parents: the link on the letter

def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _link_not_working():
    return _no_store(current_app.make_response((render_template("pledge/parent/not_working.html"), 404)))


def _parent_page(link, form, problems=None, status=200):
    pupil = db.session.get(Pupil, link.pupil_id)
    key = versions.pledge_key(pupil.band)
    version = versions.ensure_current_version(pupil.school_id, key)
    db.session.commit()
    text = versions.text_of_version(version)
    aup = current_content().parent_aup
    shown = parents.parent_text(aup, text, _)
    return _no_store(current_app.make_response((render_template(
        "pledge/parent/page.html", pupil=pupil, text=text, aup=aup, form=form, problems=problems or [],
        ticked=set(request.form.getlist("ack")) if request.method == "POST" else set(),
        text_hash=service.text_hash(shown), expires=link.expires_at.date()), status)))


@bp.route("/p/<token>", methods=["GET", "POST"])
@public
@rate_limited("PARENT_LINK_RATE_LIMIT", "parent-link")
def parent(token: str):
    """The parent page: the child's first name and class, their pledge, the Parent/Carer AUP and the form."""
    link = parents.parent_link_for(token)
    if link is None:
        return _link_not_working()
    form = ParentForm()
    if request.method == "POST":
        if not form.validate() and form.csrf_token.errors:
            abort(400)
        pupil = db.session.get(Pupil, link.pupil_id)
        key = versions.pledge_key(pupil.band)
        text = versions.text_of_version(versions.ensure_current_version(pupil.school_id, key))
        shown = parents.parent_text(current_content().parent_aup, text, _)
        if request.form.get("text_hash") != service.text_hash(shown):
            db.session.rollback()
            return _parent_page(link, form, [_("The page has changed since you opened it. Please read it again.")], 409)
        try:
            parents.acknowledge(link, parent_name=request.form.get("parent_name", ""),
                                relationship=request.form.get("relationship", ""),
                                ticked=request.form.getlist("ack"), pledge=text, shown_text=shown,
                                language=page_language())
        except rules.PledgeError as exc:
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
    link = parents.parent_link_for(token)
    if link is None:
        return _link_not_working()
    pupil = db.session.get(Pupil, link.pupil_id)
    return _no_store(current_app.make_response(render_template("pledge/parent/thanks.html", pupil=pupil, token=token)))
