"""The child's record: the whole timeline, its print, and the redacted version for outside agencies."""

from __future__ import annotations

import re

from flask import render_template, request
from flask_login import current_user

from ...access import role_required
from ...auth.stepup import fresh_factor_required
from ...extensions import db
from ...schools.models import Role
from .. import timeline
from .common import bp

KEY = re.compile(r"^[a-z]+-\d+(-[a-z_]+)?$")
MAX_LEFT_OUT = 1000


@bp.get("/staff/pupils/<int:pupil_id>/record")
@role_required(Role.DSL)
@fresh_factor_required
def child_record(pupil_id: int):
    """One timeline across every concern about or mentioning the child; choose entries to leave out."""
    pupil = timeline.load_pupil(current_user, pupil_id)
    events = timeline.timeline(current_user, pupil)
    db.session.commit()
    return render_template("records/record.html", pupil=pupil, events=events, printing=False, redacted=False)


@bp.get("/staff/pupils/<int:pupil_id>/record/print")
@role_required(Role.DSL)
@fresh_factor_required
def child_record_print(pupil_id: int):
    pupil = timeline.load_pupil(current_user, pupil_id)
    events = timeline.timeline(current_user, pupil, action="record.printed")
    db.session.commit()
    return render_template("records/record.html", pupil=pupil, events=events, printing=True, redacted=False)


@bp.get("/staff/pupils/<int:pupil_id>/record/redacted")
@role_required(Role.DSL)
@fresh_factor_required
def child_record_redacted(pupil_id: int):
    """For an outside agency, or a subject access request (``purpose=access``): other children's names
    removed and chosen entries left out, on the server."""
    pupil = timeline.load_pupil(current_user, pupil_id)
    leave_out = {k for k in request.args.getlist("leave_out")[:MAX_LEFT_OUT] if KEY.match(k)}
    access = request.args.get("purpose") == "access"
    events = timeline.redacted(current_user, pupil, leave_out,
                               action="record.subject_access" if access else "record.exported_redacted")
    db.session.commit()
    return render_template("records/record.html", pupil=pupil, events=events, printing=True,
                           redacted="access" if access else "agency")
