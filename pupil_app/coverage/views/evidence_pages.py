"""The evidence pack for inspectors (Ofsted, Estyn): per class, school and trust; printable and CSV."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import role_required, staff_required
from ...csv_export import csv_response
from ...schools.models import Role
from ...schools.service import load_class_or_404, load_school_for_overview_or_404, trust_schools
from ...timeutil import local_today
from ..evidence import EvidencePack, evidence_pack
from .common import OVERVIEW_ROLES, bp


def _class_pack(class_id: int) -> EvidencePack:
    c = load_class_or_404(current_user, class_id)
    return evidence_pack("class", c.name, [c.school_id], local_today(), class_id=c.id)


def _school_pack(school_id: int) -> EvidencePack:
    school = load_school_for_overview_or_404(current_user, school_id)
    return evidence_pack("school", school.name, [school.id], local_today())


def _trust_pack() -> EvidencePack:
    schools = trust_schools(current_user)
    return evidence_pack("trust", current_user.school.trust.name, [s.id for s in schools], local_today())


def _page(pack: EvidencePack, csv_url: str):
    return render_template("coverage/evidence.html", pack=pack, csv_url=csv_url)


def _csv(pack: EvidencePack):
    header = [_("Framework"), _("Strand, statement or element"), _("Detail"), _("Outcome"),
              _("Pupil-module places passed (per cent)"), _("Passed"), _("Places")]
    rows = []
    for framework, lines in ((_("Education for a Connected World"), pack.efcw), (_("RSHE 2026"), pack.rshe),
                             (_("Wales DCF (citizenship)"), pack.dcf)):
        for line in lines:
            for o in line.outcomes:
                rows.append([framework, _(line.name), line.detail, _(o.outcome.text),
                             "" if o.percent is None else o.percent, o.passed, o.possible])
    rows.append([_("Pledge completion"), "", "", "", "" if pack.pledge_percent is None else pack.pledge_percent,
                 pack.pledge_signed, pack.pledge_pupils])
    rows.append([_("Reports made by pupils this school year"), "", "", "", "", pack.pupil_reports, ""])
    return csv_response(f"{pack.name}-evidence-{pack.made_on.isoformat()}.csv", header, rows)


@bp.get("/coverage/classes/<int:class_id>/evidence")
@staff_required
def class_evidence(class_id: int):
    """A class's evidence pack, dated today."""
    return _page(_class_pack(class_id), url_for("coverage.class_evidence_csv", class_id=class_id))


@bp.get("/coverage/classes/<int:class_id>/evidence.csv")
@staff_required
def class_evidence_csv(class_id: int):
    return _csv(_class_pack(class_id))


@bp.get("/coverage/schools/<int:school_id>/evidence")
@role_required(*OVERVIEW_ROLES)
def school_evidence(school_id: int):
    """A school's evidence pack, dated today."""
    return _page(_school_pack(school_id), url_for("coverage.school_evidence_csv", school_id=school_id))


@bp.get("/coverage/schools/<int:school_id>/evidence.csv")
@role_required(*OVERVIEW_ROLES)
def school_evidence_csv(school_id: int):
    return _csv(_school_pack(school_id))


@bp.get("/coverage/trust/evidence")
@role_required(Role.TRUST_ADMIN)
def trust_evidence():
    """The trust's evidence pack (every school together), dated today."""
    return _page(_trust_pack(), url_for("coverage.trust_evidence_csv"))


@bp.get("/coverage/trust/evidence.csv")
@role_required(Role.TRUST_ADMIN)
def trust_evidence_csv():
    return _csv(_trust_pack())
