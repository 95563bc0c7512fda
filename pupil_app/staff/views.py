"""Staff pages: their classes, each class's sign-in link and badges, pupils' progress."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import staff_required
from ..admin import service as admin_service
from ..auth import service as auth_service
from ..auth.forms import ConfirmForm
from ..extensions import db
from ..learning.models import ModuleProgress
from ..qr import qr_svg
from ..schools.service import class_sizes, load_class_or_404, load_pupil_or_404, visible_classes
from ..timeutil import utcnow

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")


@bp.get("/")
@staff_required
def home():
    """The classes this staff member can see, with sizes."""
    classes = visible_classes(current_user)
    return render_template("staff/home.html", classes=classes, sizes=class_sizes([c.id for c in classes]))


@bp.get("/classes/<int:class_id>")
@staff_required
def class_detail(class_id: int):
    """A class: its pupils, how they sign in, and modules done."""
    school_class = load_class_or_404(current_user, class_id)
    pupils = [p for p in school_class.pupils if p.active]
    done: dict[int, int] = {}
    if pupils:
        rows = db.session.scalars(select(ModuleProgress).where(
            ModuleProgress.pupil_id.in_([p.id for p in pupils]), ModuleProgress.completed_at.is_not(None)))
        for row in rows:
            done[row.pupil_id] = done.get(row.pupil_id, 0) + 1
    modules_in_band = len(current_app.extensions["content"].modules_for_year(school_class.year_group))
    return render_template("staff/class.html", school_class=school_class, pupils=pupils, done=done,
                           modules_in_band=modules_in_band, form=ConfirmForm())


@bp.get("/classes/<int:class_id>/sign-in-poster")
@staff_required
def class_poster(class_id: int):
    """A printable poster with the class sign-in QR code, for the classroom devices."""
    school_class = load_class_or_404(current_user, class_id)
    link = url_for("auth.class_page", token=school_class.signin_token, _external=True)
    return render_template("staff/class_poster.html", school_class=school_class, link=link,
                           qr=qr_svg(link, _("QR code for %(name)s sign-in", name=school_class.name)))


def render_cards(pupils, school_class, passwords=None, back_url=None):
    """Issue each pupil a new badge and show the printable cards (the tokens are shown only here).

    KS2 pupils who have no password yet get one now, printed on their card (also shown only here).
    """
    valid_until = utcnow() + current_app.config["BADGE_LIFETIME"]
    passwords = dict(passwords or {})
    passwords.update(admin_service.card_passwords([p for p in pupils if p.id not in passwords]))
    cards = []
    for pupil in pupils:
        token = auth_service.issue_badge(pupil, current_user)
        link = url_for("auth.badge", token=token, _external=True)
        cards.append({
            "pupil": pupil, "link": link, "qr": qr_svg(link, _("Sign-in badge for %(name)s", name=pupil.first_name)),
            "pictures": auth_service.picture_password_of(pupil), "password": passwords.get(pupil.id),
        })
    db.session.commit()
    return render_template("staff/cards.html", school_class=school_class, cards=cards, valid_until=valid_until,
                           back_url=back_url or url_for("staff.class_detail", class_id=school_class.id))


@bp.post("/classes/<int:class_id>/badges")
@staff_required
def class_badges(class_id: int):
    """Issue new QR badges for the whole class and show the printable cards (old cards stop working)."""
    school_class = load_class_or_404(current_user, class_id)
    if not ConfirmForm().validate():
        abort(400)
    return render_cards([p for p in school_class.pupils if p.active], school_class)


@bp.post("/pupils/<int:pupil_id>/badge")
@staff_required
def pupil_badge(pupil_id: int):
    """Issue one pupil a new QR badge (their old card stops working) and show the card."""
    pupil = load_pupil_or_404(current_user, pupil_id)
    if not ConfirmForm().validate():
        abort(400)
    return render_cards([pupil], pupil.school_class)


@bp.post("/pupils/<int:pupil_id>/unlock")
@staff_required
def unlock_pupil(pupil_id: int):
    """Let a pupil who made too many wrong tries sign in again straight away."""
    pupil = load_pupil_or_404(current_user, pupil_id)
    if not ConfirmForm().validate():
        abort(400)
    pupil.failed_signins = 0
    pupil.locked_until = None
    db.session.commit()
    flash(_("%(name)s can sign in again now.", name=pupil.full_name), "info")
    return redirect(url_for("staff.class_detail", class_id=pupil.class_id))
