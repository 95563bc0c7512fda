"""Routes of filtering: report a website (any staff), the filtering lead's record, the yearly review."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import role_required, staff_required
from ...extensions import db
from ...forms import ConfirmForm
from .. import reports, review
from ..common import FILTER_ACTORS, REVIEW_READERS, REVIEWERS, FilteringError, local_today, to_utc
from ..forms import ActionForm, ReportForm, ReviewForm
from ..models import STANDARDS
from .common import bp, commit_and_send, id_or_404, local_now, refuse_json


@bp.get("/staff/filtering")
@staff_required
def home():
    """Readers see the school's reports; every member of staff sees what they reported."""
    status = request.args.get("status", "open")
    if status not in reports.REPORT_STATUSES:
        abort(400)
    readers = reports.may_read(current_user)
    return render_template("filtering/home.html", status=status, readers=readers,
                           reports=reports.reports(current_user, status) if readers else [],
                           mine=reports.reported_by(current_user),
                           reminder=review.reminder(current_user.school_id, local_today()) if readers else None)


@bp.route("/staff/filtering/report", methods=["GET", "POST"])
@staff_required
def new_report():
    """Report a website: to the filtering lead, and to the DSL when a child was involved."""
    refuse_json()
    form = ReportForm()
    error, status = None, 200
    if request.method == "GET":
        form.key.data = reports.new_key()
        form.occurred_at.data = local_now()
    elif form.validate():
        try:
            report, _created = reports.report_website(
                current_user, address=form.address.data, device=form.device.data,
                occurred_at=to_utc(form.occurred_at.data), seen=form.seen.data, request=form.request.data,
                child_involved=form.child_involved.data, key=form.key.data)
            commit_and_send()
        except FilteringError as exc:
            db.session.rollback()
            error, status = exc.message, exc.status
        else:
            flash(_("Thank you. The filtering lead has your report."), "info")
            return redirect(url_for("filtering.report", report_id=report.id), 303)
    else:
        status = 400
    return render_template("filtering/report_form.html", form=form, error=error), status


@bp.get("/staff/filtering/reports/<int:report_id>")
@staff_required
def report(report_id: int):
    found = reports.load_report(current_user, id_or_404(report_id))
    if found is None:
        abort(404)
    form = ActionForm(formdata=None, done_at=local_now())
    return render_template("filtering/report.html", report=found, form=form,
                           may_act=current_user.has_role(*FILTER_ACTORS), readers=reports.may_read(current_user))


@bp.post("/staff/filtering/reports/<int:report_id>/actions")
@role_required(*FILTER_ACTORS)
def add_action(report_id: int):
    """The filtering lead records what was done: appended, never edited."""
    refuse_json()
    found = reports.load_report(current_user, id_or_404(report_id))
    if found is None:
        abort(404)
    form = ActionForm()
    error = None
    if form.validate():
        try:
            reports.record_action(current_user, found, kind=form.kind.data, done_at=to_utc(form.done_at.data),
                                  note=form.note.data)
            db.session.commit()
        except FilteringError as exc:
            db.session.rollback()
            error = exc.message
        else:
            flash(_("Recorded."), "info")
            return redirect(url_for("filtering.report", report_id=found.id), 303)
    return render_template("filtering/report.html", report=found, form=form, may_act=True, readers=True,
                           error=error), 400


# --- the yearly review ----------------------------------------------------------------------------

@bp.get("/staff/filtering/reviews")
@role_required(*REVIEW_READERS)
def reviews():
    school_id = current_user.school_id
    return render_template("filtering/reviews.html", reviews=review.reviews(school_id),
                           reminder=review.reminder(school_id, local_today()),
                           open_actions=review.open_actions(school_id),
                           may_review=current_user.has_role(*REVIEWERS), confirm=ConfirmForm())


@bp.route("/staff/filtering/reviews/new", methods=["GET", "POST"])
@role_required(*REVIEWERS)
def new_review():
    refuse_json()
    form = ReviewForm()
    error, status = None, 200
    if request.method == "GET":
        form.reviewed_on.data = local_today()
    elif form.validate():
        try:
            saved = review.record_review(current_user, reviewed_on=form.reviewed_on.data,
                                         senior_leader=form.senior_leader.data, governor=form.governor.data,
                                         checks=form.check_values(), actions=form.action_values(), today=local_today())
            db.session.commit()
        except FilteringError as exc:
            db.session.rollback()
            error, status = exc.message, exc.status
        else:
            flash(_("The review is recorded. The next one is due by %(date)s.",
                    date=saved.next_due_on.strftime("%d/%m/%Y")), "info")
            return redirect(url_for("filtering.review_page", review_id=saved.id), 303)
    else:
        status = 400
    return render_template("filtering/review_form.html", form=form, error=error, standards=STANDARDS), status


@bp.get("/staff/filtering/reviews/<int:review_id>")
@role_required(*REVIEW_READERS)
def review_page(review_id: int):
    """The review as a printable page for governors and inspectors."""
    found = review.load_review(current_user, id_or_404(review_id))
    if found is None:
        abort(404)
    return render_template("filtering/review.html", review=found, today=local_today())


@bp.post("/staff/filtering/review-actions/<int:action_id>/done")
@role_required(*REVIEWERS)
def review_action_done(action_id: int):
    if not ConfirmForm().validate():
        abort(400)
    try:
        done = review.complete_action(current_user, id_or_404(action_id), local_today())
    except FilteringError as exc:
        abort(exc.status)
    if done is None:
        abort(404)
    db.session.commit()
    flash(_("Marked as done."), "info")
    return redirect(url_for("filtering.reviews"), 303)


