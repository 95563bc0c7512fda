"""Sending a child-protection file to another school of this deployment, and receiving one."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from ...access import role_required
from ...auth.stepup import fresh_factor_required
from ...extensions import db
from ...forms import ConfirmForm
from ...guards import id_arg
from ...schools.models import Role
from .. import transfers
from .common import bp

bp.add_app_template_global(transfers.STATUS_LABELS, "transfer_status_labels")


def _int(value) -> int:
    """A posted id, or 0 (no such row) when it is not one any database integer can hold."""
    return id_arg(value) or 0


def _page(error: str | None = None, status: int = 200):
    incoming, outgoing = transfers.transfers_of(current_user)
    names = transfers.pupil_names({t.pupil_id for t in incoming + outgoing})
    schools = transfers.other_schools(current_user)
    return render_template("records/transfers.html", incoming=incoming, outgoing=outgoing, names=names,
                           schools=schools, school_names={s.id: s.name for s in schools},
                           pupils=transfers.school_pupils(current_user.school_id), confirm=ConfirmForm(), error=error), status


@bp.get("/staff/transfers", endpoint="transfers")
@role_required(Role.DSL)
def transfers_page():
    """Files sent and received, with their status (the receipt), and the form that sends one."""
    return _page()


@bp.post("/staff/transfers")
@role_required(Role.DSL)
@fresh_factor_required
def send_transfer():
    if not ConfirmForm().validate():
        abort(400)
    try:
        transfers.send(current_user, _int(request.form.get("pupil")), _int(request.form.get("school")))
    except transfers.TransferError as exc:
        db.session.rollback()
        return _page(str(exc.args[0]), 400)
    db.session.commit()
    return redirect(url_for("records.transfers"), 303)


@bp.get("/staff/transfers/<int:transfer_id>")
@role_required(Role.DSL)
@fresh_factor_required
def transfer_file(transfer_id: int):
    """The file as it was sent; the receiving school's first look marks it viewed."""
    transfer = transfers.load(current_user, transfer_id)
    file = transfers.open_file(current_user, transfer)
    db.session.commit()
    return render_template("records/transfer_file.html", transfer=transfer, file=file, confirm=ConfirmForm(),
                           receiving=transfer.to_school_id == current_user.school_id,
                           reason=transfers.return_reason(transfer))


@bp.post("/staff/transfers/<int:transfer_id>/decision")
@role_required(Role.DSL)
@fresh_factor_required
def decide_transfer(transfer_id: int):
    if not ConfirmForm().validate():
        abort(400)
    transfer = transfers.load(current_user, transfer_id)
    try:
        transfers.decide(current_user, transfer, request.form.get("decision") == "accept",
                         request.form.get("reason", "")[:2000])
    except transfers.TransferError as exc:
        db.session.rollback()
        return _page(str(exc.args[0]), 400)
    db.session.commit()
    return redirect(url_for("records.transfers"), 303)
