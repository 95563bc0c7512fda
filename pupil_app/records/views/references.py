"""Adding an outside agency's reference (number, date, who) to a concern."""

from __future__ import annotations

from datetime import date

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf

from ...access import role_required
from ...concerns import handling as concerns
from ...extensions import db
from ...schools.models import Role
from .. import references
from .common import bp


@bp.app_template_global()
def references_of(concern_id: int) -> list:
    return references.of_concern(concern_id)


bp.add_app_template_global(references.AGENCY_LABELS, "agency_labels")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


@bp.post("/staff/concerns/<int:concern_id>/references")
@role_required(Role.DSL)
def add_reference(concern_id: int):
    """A referral or contact with an agency; a problem shows why and saves nothing."""
    concern = concerns.load_for_dsl(current_user, concern_id)
    form = request.form
    try:
        validate_csrf(form.get("csrf_token"))
        references.add(current_user, concern, form.get("agency", ""), form.get("reference", "")[:500],
                       form.get("contact", "")[:500], _day(form.get("made_on")))
    except (references.AgencyReferenceError, CSRFError, ValueError) as exc:
        db.session.rollback()
        message = str(exc.args[0]) if isinstance(exc, references.AgencyReferenceError) else _(
            "This page was open too long. Please reload it and try again.")
        return render_template("records/not_saved.html", message=message, concern_id=concern_id,
                               title=_("The reference was not saved")), 400
    db.session.commit()
    return redirect(url_for("concerns.detail", concern_id=concern_id, _anchor="references"), 303)
