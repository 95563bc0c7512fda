"""What staff print and do for a class's sign-in: the class poster, new sign-in cards, unlocking a pupil."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import staff_required
from ...extensions import db
from ...forms import ConfirmForm
from ...qr import qr_svg
from ...schools.service import load_class_or_404, load_pupil_or_404
from .. import credentials
from .common import bp


@bp.get("/staff/classes/<int:class_id>/sign-in-poster")
@staff_required
def class_poster(class_id: int):
    """A printable poster with the class sign-in QR code, for the classroom devices."""
    school_class = load_class_or_404(current_user, class_id)
    link = url_for("auth.class_page", token=school_class.signin_token, _external=True)
    return render_template("auth/class_poster.html", school_class=school_class, link=link, confirm=ConfirmForm(),
                           qr=qr_svg(link, _("QR code for %(name)s sign-in", name=school_class.name)))


def _print(pupils, school_class):
    sheet = credentials.issue_cards(pupils, current_user)
    db.session.commit()
    return render_template("auth/cards.html", school_class=school_class, sheet=sheet,
                           back_url=url_for("coverage.class_detail", class_id=school_class.id))


@bp.post("/staff/classes/<int:class_id>/badges")
@staff_required
def class_badges(class_id: int):
    """Issue new QR badges for the whole class and show the printable cards (old cards stop working)."""
    school_class = load_class_or_404(current_user, class_id)
    if not ConfirmForm().validate():
        abort(400)
    return _print([p for p in school_class.pupils if p.active], school_class)


@bp.post("/staff/pupils/<int:pupil_id>/badge")
@staff_required
def pupil_badge(pupil_id: int):
    """Issue one pupil a new QR badge (their old card stops working) and show the card."""
    pupil = load_pupil_or_404(current_user, pupil_id)
    if not ConfirmForm().validate():
        abort(400)
    return _print([pupil], pupil.school_class)


@bp.post("/staff/pupils/<int:pupil_id>/unlock")
@staff_required
def unlock_pupil(pupil_id: int):
    """Let a pupil who made too many wrong tries sign in again straight away."""
    pupil = load_pupil_or_404(current_user, pupil_id)
    if not ConfirmForm().validate():
        abort(400)
    credentials.unlock(pupil)
    db.session.commit()
    flash(_("%(name)s can sign in again now.", name=pupil.full_name), "info")
    return redirect(url_for("coverage.class_detail", class_id=pupil.class_id))
