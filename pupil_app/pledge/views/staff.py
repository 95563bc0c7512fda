"""Staff: who has signed in each class, printed lists and CSV, letters to parents.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import staff_required
from ...csv_export import csv_response
from ...extensions import db
from ...qr import qr_svg
from ...schools.models import Pupil, Role
from ...schools.service import load_class_or_404, load_pupil_or_404, visible_classes
from ...timeutil import format_local, utcnow
from .. import parents, reports, rules, versions
from ..forms import PromiseForm
from .common import bp

# ---------------------------------------------------------------- staff: who has signed

def _staff_class(class_id: int):
    school_class = load_class_or_404(current_user, class_id)
    text, rows = reports.class_rows(school_class)
    return school_class, text, rows


@bp.get("/staff/pledges/")
@staff_required
def staff_overview():
    """Every class this member of staff sees: how many have signed, must sign again, parents acknowledged."""
    classes = visible_classes(current_user)
    return render_template("pledge/staff/overview.html", classes=classes, counts=reports.class_counts(classes),
                           is_admin=current_user.has_role(Role.ADMIN))


@bp.get("/staff/pledges/classes/<int:class_id>")
@staff_required
def staff_class(class_id: int):
    """One class: each pupil's pledge (version, when) or not yet / sign again, and their parents' acknowledgement."""
    school_class, text, rows = _staff_class(class_id)
    return render_template("pledge/staff/class.html", school_class=school_class, text=text, rows=rows,
                           form=PromiseForm(), relationships=rules.RELATIONSHIPS)


@bp.get("/staff/pledges/classes/<int:class_id>/print")
@staff_required
def staff_class_print(class_id: int):
    """The class list for printing: one line per pupil, pledge and parent status."""
    school_class, text, rows = _staff_class(class_id)
    return render_template("pledge/staff/print.html", school_class=school_class, text=text, rows=rows,
                           today=utcnow().date(), relationships=rules.RELATIONSHIPS)


@bp.get("/staff/pledges/classes/<int:class_id>/pledges.csv")
@staff_required
def staff_class_csv(class_id: int):
    """The class's pledge and parent status as CSV."""
    school_class, text, rows = _staff_class(class_id)
    header = [_("Pupil"), _("Username"), _("Class"), _("Pledge"), _("Status"), _("Version signed"), _("Signed at"),
              _("How"), _("Parent/carer"), _("Parent/carer name"), _("Relationship"), _("Acknowledged at")]
    states = {rules.SIGNED: _("signed"), rules.NOT_YET: _("not yet"), rules.AGAIN: _("needs to sign again")}
    parent_states = {"acknowledged": _("acknowledged"), "sent": _("letter sent"), "none": _("no letter yet")}
    lines = []
    for row in rows:
        sig = row.standing.signature if row.standing.signed else None
        ack = row.parent.acknowledgement
        lines.append([
            row.pupil.full_name, row.pupil.username, school_class.name, text.label if text else "",
            states[row.standing.state], sig.label if sig else "",
            format_local(sig.signed_at, "%Y-%m-%d %H:%M") if sig else "",
            (_("typed their name") if sig.method == "name" else _("tapped I promise")) if sig else "",
            parent_states[row.parent.state], ack.parent_name if ack else "",
            str(rules.RELATIONSHIPS.get(ack.relationship, ack.relationship)) if ack else "",
            format_local(ack.acknowledged_at, "%Y-%m-%d %H:%M") if ack else ""])
    return csv_response(f"pledges-{school_class.name}.csv", header, lines)


def _letters(pupils: list[Pupil], school_class):
    """Issue each pupil a new parent link (old letters stop working) and show the printable letters."""
    letters = []
    today = utcnow().date()
    key = versions.pledge_key(school_class.band)
    version = versions.ensure_current_version(school_class.school_id, key)
    text = versions.text_of_version(version)
    for pupil in pupils:
        token = parents.issue_parent_link(pupil, current_user, today)
        link = url_for("pledge.parent", token=parents.format_token(token), _external=True)
        letters.append({"pupil": pupil, "link": link,
                        "qr": qr_svg(link, _("QR code for %(name)s's parent letter", name=pupil.first_name))})
    db.session.commit()
    return render_template("pledge/staff/letters.html", school_class=school_class, letters=letters, text=text,
                           expires=parents.end_of_school_year(today).date(), today=today)


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
