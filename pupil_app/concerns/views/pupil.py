"""Tell an adult: the pupil's screens.

The screens work without script (each tap is a plain form post, progress kept on the server);
``static/js/tell.js`` adds a copy in the browser's storage until the server says the concern is
saved, and sends "Send" by fetch so a failure leaves the child on the same page.
"""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ...access import public, pupil_required
from ...extensions import db
from ...forms import ConfirmForm
from ...redirects import safe_path
from .. import alerts, labels, service, sessions, telling
from ..models import FEELINGS, LOCATIONS, WHAT_CHOICES
from .common import bp, json, signed_in_pupil, wants_json

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


# ---------------------------------------------------------------------------------------------
# Pupils

@bp.get("/tell")
@public
def start():
    """The "Tell an adult" button: a signed-in pupil starts (or carries on) a message; anyone else is
    told plainly to tell the adult in the room, and how to sign in to send a message."""
    back = safe_path(request.args.get("from"), refuse=("/tell",))
    if current_user.is_authenticated and current_user.is_staff:
        return redirect(url_for("concerns.log_concern"))
    pupil = signed_in_pupil()
    if pupil is None:
        return render_template("concerns/tell_now.html", back=back, signed_out=False)
    try:
        delivered = sessions.end_other_sessions(pupil)  # never resumed here: delivered, marked interrupted
        token = telling.resume_token(pupil, sessions.session_hash())
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
    return render_template("concerns/calm.html", back=safe_path(request.args.get("from"), refuse=("/tell",)))


@bp.route("/tell/<token>/<step>", methods=["GET", "POST"])
@public
def step(token: str, step: str):
    """One screen of the pupil's message. Public so that a child whose session has ended is told
    plainly to tell the adult in the room; only the pupil who started the message, in the same
    session, can write, read or send it (``sessions``)."""
    if step not in service.STEPS:
        abort(404)
    if current_user.is_authenticated and not current_user.is_pupil:
        abort(403)
    if request.method == "POST" and not ConfirmForm().validate():
        if wants_json():  # not sent: the script keeps the message and tries again from the next page
            return json("retry", 400, message=_("This page was open too long. Please tell the adult in your room."))
        abort(400)
    pupil = signed_in_pupil()
    if pupil is None:
        return _signed_out(token, step)
    if not telling.valid_key(token):
        abort(404)
    draft = telling.draft_by_token(token)
    if draft is None:
        concern = telling.concern_by_key(token)
        if concern is not None:
            return _already_sent(pupil, concern, token)
    elif not sessions.owns(draft, pupil):
        return json("unknown", 404) if wants_json() else abort(404)
    if request.method == "POST":
        return _answer(pupil, token, draft, step)
    return _render_step(pupil, token, draft, step)


def _already_sent(pupil, concern, token: str):
    """This child's own message, sent: "Thank you" again. Anything else (another child's message on a
    shared device, or one delivered when a session ended): the script can forget its copy."""
    if concern.pupil_id == pupil.id and concern.source == "pupil" and not concern.interrupted:
        return _saved(token)
    return json("done", 404) if wants_json() else abort(404)


def _answer(pupil, token: str, draft, step: str):
    """A tap on one screen: keep the answer and go on, or send the message from the last screen."""
    if step == "send":
        if draft is None:
            # Only a message this child began here (its draft proves whose it is) can be sent: a
            # copy kept in a shared device's browser is never sent as whoever is signed in now.
            return json("unknown", 404) if wants_json() else abort(404)
        return _send(pupil, token)
    try:
        _save(pupil, token, draft, step)
    except service.ConcernError as exc:
        db.session.rollback()
        return _render_step(pupil, token, draft, step, error=exc.message, status=exc.status, posted=request.form)
    except SQLAlchemyError:
        db.session.rollback()
        return _render_step(pupil, token, draft, step, error=CALM_FAILURE, status=503, posted=request.form)
    return redirect(url_for("concerns.step", token=token, step=telling.step_after(step)), 303)


def _save(pupil, token: str, draft, step: str) -> None:
    """Keep one screen's answer; the first answer of a new message creates its draft."""
    try:
        telling.save_step(draft or telling.new_draft(pupil, token, sessions.session_hash()), pupil, step,
                          request.form)
        db.session.commit()
    except IntegrityError:
        # A double tap on the first screen: the other request made the draft. Answer into that one.
        db.session.rollback()
        draft = telling.draft_by_token(token)
        if draft is None or not sessions.owns(draft, pupil):
            raise
        telling.save_step(draft, pupil, step, request.form)
        db.session.commit()


def _render_step(pupil, token: str, draft, step: str, error=None, status: int = 200, posted=None):
    answers = telling.draft_answers(draft)
    if posted is not None and step in ("words", "send") and "words" in posted:
        # The words the pupil just sent stay on the screen, even when they could not be saved.
        # (Picture choices come from the server's copy: a refused value is never shown back.)
        answers.words = posted.get("words", "")
    adults = telling.trusted_adults(pupil) if step in ("adult", "send") else []
    before = telling.step_before(step)
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
    if wants_json():
        return json("saved", thanks_url=thanks, message=_("We have sent your message. Thank you for telling us."))
    return redirect(thanks, 303)


def _send(pupil, token: str):
    """Save the concern and commit it before the pupil sees "Thank you"."""
    try:
        answers = telling.answers_from(pupil, request.form)
        _concern, created = telling.submit(pupil, token, answers)
        db.session.commit()
    except service.ConcernError as exc:
        db.session.rollback()
        if wants_json():
            return json("invalid", exc.status, message=exc.message)
        return _render_step(pupil, token, telling.draft_by_token(token), "send", error=exc.message,
                            status=exc.status, posted=request.form)
    except IntegrityError:
        # The same message at the very same moment (a double tap): the other request saved it.
        db.session.rollback()
        concern = telling.concern_by_key(token)
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
    if wants_json():
        return json("failed", 503, message=CALM_FAILURE)
    try:
        draft = telling.draft_by_token(token)
    except SQLAlchemyError:
        db.session.rollback()
        draft = None
    try:
        return _render_step(pupil, token, draft, "send", error=CALM_FAILURE, status=503, posted=request.form)
    except SQLAlchemyError:  # the database is down altogether: the words are still in the browser
        db.session.rollback()
        return render_template("concerns/tell_now.html", back=None, signed_out=False, failed=True), 503


def _signed_out(token: str, step: str):
    """No pupil signed in (the session ended mid-message): nothing is written or shown; the child is
    told plainly to tell the adult in the room now. What the session had kept went to the DSL when
    it ended (``sessions``)."""
    sent = bool(g.get("tell_interrupted_sent"))
    if wants_json():
        return json("signed_out", 200, message=_("You were signed out. Please tell the adult in your room now."))
    return render_template("concerns/tell_now.html", back=None, signed_out=True, sent=sent,
                           idle=bool(session.get("idle_signed_out")))


@bp.get("/tell/<token>/thanks")
@pupil_required
def thanks(token: str):
    """"Thank you for telling us": who will read it and when, and what to do right now."""
    concern = telling.concern_by_key(token)
    if concern is None or concern.pupil_id != current_user.id or concern.source != "pupil" or concern.interrupted:
        abort(404)
    return render_template("concerns/thanks.html", concern=concern, readers=telling.readers(concern.school_id),
                           back=session.pop("tell_from", None))
