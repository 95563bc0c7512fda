"""The pupil's pledge: one promise a screen, then signing; their promises afterwards.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import pupil_required
from ...extensions import db
from ...guards import id_arg
from .. import reports, rules, service, versions
from ..forms import PromiseForm, SignForm
from .common import SESSION_KEY, SIGNED_KEY, bp, page_language

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
    key = versions.pledge_key(pupil.band)
    if key is None:
        return pupil, None, None
    version = versions.ensure_current_version(pupil.school_id, key)
    db.session.commit()  # a no-op unless version 1.0 was just created
    return pupil, version, versions.text_of_version(version)


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
        return _promised(form, version, text, item, number, made)
    if number > made + 1:
        return _out_of_turn(made)
    return render_template("pledge/promise.html", text=text, item=item, number=number, made=made, form=form,
                           version=version)


def _promised(form, version, text, item, number: int, made: int):
    """'I promise' on one screen: on to the next promise, or to signing after the last."""
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
    session[SESSION_KEY] = {"v": version.id, "n": max(made, number)}
    if number == len(text.promises):
        return redirect(url_for("pledge.sign"))
    return redirect(url_for("pledge.promise", number=number + 1))


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
        signed, error, status = _signed(form, pupil, version, text, shown, made)
        if signed is not None:
            return signed
    if made < len(text.promises):
        return _out_of_turn(made)
    return render_template("pledge/sign.html", text=text, version=version, form=form, error=error,
                           text_hash=service.text_hash(shown)), status


def _signed(form, pupil, version, text, shown: str, made: int):
    """Sign: (where to go next, or None to show the screen again with the error, and its status)."""
    try:
        posted_pupil = id_arg(form.pupil.data)
        posted_version = id_arg(form.version.data)
        service.sign(pupil, version_id=posted_version, posted_hash=form.text_hash.data or "", shown_text=shown,
                     promised=made, typed_name=request.form.get("name"), language=page_language(),
                     posted_pupil_id=posted_pupil)
    except rules.PledgeError as exc:
        db.session.rollback()
        if exc.status == 400 and made == len(text.promises):
            return None, exc.message, 400  # a name that is not theirs: try again on this screen
        if exc.status == 409 and not service.has_signed_current(pupil):
            session[SESSION_KEY] = {"v": version.id, "n": 0}
        link = ((url_for("pledge.mine"), _("My promises")) if service.has_signed_current(pupil)
                else (url_for("pledge.start"), _("Go to my promises")))
        return (render_template("pledge/message.html", title=exc.message, message="", picture="pledge-promise.svg",
                                link=link), exc.status), None, exc.status
    db.session.commit()
    session.pop(SESSION_KEY, None)
    session[SIGNED_KEY] = pupil.get_id()
    return redirect(url_for("pledge.done")), None, 200


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
    text, items = reports.my_promises(pupil)
    if text is None:
        return _not_in_class()
    return render_template("pledge/mine.html", text=text, items=items, standing=service.standing(pupil))
