"""The school and trust heat maps and the report to governors, with CSV downloads.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import role_required
from ...concerns import stats as concern_stats
from ...concerns.labels import CATEGORIES as CONCERN_CATEGORIES
from ...content import CATEGORIES
from ...csv_export import csv_response
from ...schools.models import Role
from ...schools.service import load_school_for_overview_or_404, trust_schools
from ...timeutil import utcnow
from .. import charts, overviews, service, terms as school_terms
from .common import OVERVIEW_ROLES, bp, category_name, stamp

# --- school and trust overviews -----------------------------------------------------------------

def _columns() -> list[tuple[str, str]]:
    return [(c, category_name(c)) for c in CATEGORIES] + [("all", _("Average across the four risks"))]


def _title_for(row: overviews.HeatRow, key: str, tally: overviews.Tally) -> str:
    what = _("all four risks") if key == "all" else category_name(key)
    if not tally.possible:
        return _("%(row)s, %(what)s: no pupils", row=row.label, what=what)
    return _("%(row)s, %(what)s: %(passed)s of %(possible)s modules passed (%(pupils)s pupils)",
             row=row.label, what=what, passed=tally.passed, possible=tally.possible, pupils=tally.pupils)


def _hide_small(school) -> bool:
    # Staff of the school see its figures whole; trust staff looking at another school see
    # only groups large enough to stay anonymous.
    return school.id != current_user.school_id


@bp.get("/coverage/school")
@role_required(*OVERVIEW_ROLES)
def my_school():
    """The overview of the viewer's own school."""
    return redirect(url_for("coverage.school", school_id=current_user.school_id))


@bp.get("/coverage/schools/<int:school_id>")
@role_required(*OVERVIEW_ROLES)
def school(school_id: int):
    """Coverage by year group x risk category as a heat map, and by class."""
    school = load_school_for_overview_or_404(current_user, school_id)
    overview = overviews.school_overview(school)
    hide = _hide_small(school)
    heat = charts.heat_map(overview.years, _columns(), hide_small=hide, cell_title=_title_for)
    # Class grids open for staff of the school; trust staff from elsewhere see class figures only.
    class_links = {} if hide else {
        row.key: url_for("coverage.class_grid", class_id=row.key) for row in overview.classes}
    pledge = overviews.pledge_shares(overview.years, school.id, service.signed_by_year([school.id]))
    terms = school_terms.last_terms(3)
    return render_template("coverage/school.html", school=school, overview=overview, heat=heat, hide_small=hide,
                           columns=_columns(), class_links=class_links, min_group=service.MIN_GROUP,
                           pass_percent=service.PASS_PERCENT, pledge=pledge, concern_terms=terms,
                           term_names={t.id: _term_name(t) for t in terms},
                           concerns=concern_stats.counts_by_category_and_term(school.id, terms),
                           concern_categories=CONCERN_CATEGORIES)


@bp.get("/coverage/schools/<int:school_id>/overview.csv")
@role_required(*OVERVIEW_ROLES)
def school_csv(school_id: int):
    school = load_school_for_overview_or_404(current_user, school_id)
    overview = overviews.school_overview(school)
    hide = _hide_small(school)
    header = [_("Group"), _("Name"), _("Pupils")] + [
        _("%(risk)s: passed (per cent)", risk=name) for _key, name in _columns()]
    rows = []
    for kind, group in ((_("Year group"), overview.years), (_("Class"), [] if hide else overview.classes)):
        for row in group:
            cells = [row.total if key == "all" else row.cells.get(key) for key, _n in _columns()]
            rows.append([kind, row.label, "" if overviews.suppressed(row.total, hide) else row.pupils] + [
                "" if t is None or t.percent is None or overviews.suppressed(t, hide) else t.percent for t in cells])
    return csv_response(f"{school.name}-coverage-{stamp()}.csv", header, rows)


@bp.get("/coverage/trust")
@role_required(Role.TRUST_ADMIN)
def trust():
    """Every school of the trust by risk category, and the trust's year groups: figures only."""
    schools = trust_schools(current_user)
    overview = overviews.trust_overview(schools)
    school_heat = charts.heat_map(overview.schools, _columns(), hide_small=True, cell_title=_title_for,
                                   label_width=220)
    year_heat = charts.heat_map(overview.years, _columns(), hide_small=True, cell_title=_title_for)
    school_links = {row.key: url_for("coverage.school", school_id=row.key) for row in overview.schools}
    pledge = overviews.pledge_by_school(overview.schools, service.signed_by_year([s.id for s in schools]))
    return render_template("coverage/trust.html", overview=overview, school_heat=school_heat, year_heat=year_heat,
                           trust=current_user.school.trust, columns=_columns(), school_links=school_links,
                           hide_small=True, min_group=service.MIN_GROUP, pass_percent=service.PASS_PERCENT,
                           pledge=pledge)


@bp.get("/coverage/trust.csv")
@role_required(Role.TRUST_ADMIN)
def trust_csv():
    overview = overviews.trust_overview(trust_schools(current_user))
    header = [_("Group"), _("Name"), _("Pupils")] + [
        _("%(risk)s: passed (per cent)", risk=name) for _key, name in _columns()]
    rows = []
    for kind, group in ((_("School"), overview.schools), (_("Year group"), overview.years)):
        for row in group:
            cells = [row.total if key == "all" else row.cells.get(key) for key, _n in _columns()]
            rows.append([kind, row.label, "" if overviews.suppressed(row.total, True) else row.pupils] + [
                "" if t is None or t.percent is None or overviews.suppressed(t, True) else t.percent for t in cells])
    return csv_response(f"{current_user.school.trust.name}-coverage-{stamp()}.csv", header, rows)


# --- report to governors ------------------------------------------------------------------------

def _term_or_400(school):
    terms = school_terms.recent_terms(school)
    raw = request.args.get("term")
    if raw is None:
        return terms[0], terms
    term = school_terms.parse_term(raw)
    if term is None:
        abort(400)
    if term not in terms:
        terms = sorted(set(terms) | {term}, key=lambda t: t.start, reverse=True)
    return term, terms


@bp.get("/coverage/schools/<int:school_id>/report")
@role_required(*OVERVIEW_ROLES)
def report(school_id: int):
    """A printable report on online-safety teaching for the governing board, for one term."""
    school = load_school_for_overview_or_404(current_user, school_id)
    term, terms = _term_or_400(school)
    report = school_terms.term_report(school, term)
    hide = _hide_small(school)
    heat_rows = [overviews.HeatRow(y.year_group, y.label, y.pupils, y.cells, overviews.total_of(y.cells, y.pupils))
                 for y in report.years]
    heat = charts.heat_map(heat_rows, _columns(), hide_small=hide, cell_title=_title_for)
    concern_terms = [term, school_terms.previous_term(term)]
    term_names = {t.id: _term_name(t) for t in terms + concern_terms}
    return render_template("coverage/report.html", school=school, report=report, term=term, terms=terms,
                           term_names=term_names, term_last=term.end - timedelta(days=1),
                           pledge=overviews.pledge_by_year(school, service.signed_by_year([school.id])),
                           concern_terms=concern_terms, concern_categories=CONCERN_CATEGORIES,
                           concerns=concern_stats.counts_by_category_and_term(school.id, concern_terms),
                           incidents=concern_stats.incidents_by_term(school.id, concern_terms),
                           outcomes=concern_stats.outcomes_by_term(school.id, concern_terms),
                           new_versions=service.major_versions_between(school.id, term.start, term.end),
                           heat=heat, heat_rows=heat_rows, columns=_columns(), percent=service.percent,
                           hide_small=hide, min_group=service.MIN_GROUP, pass_percent=service.PASS_PERCENT,
                           today=utcnow().date())


def _term_name(term: school_terms.Term) -> str:
    return {"autumn": _("Autumn term %(year)s", year=term.year_label),
            "spring": _("Spring term %(year)s", year=term.year_label),
            "summer": _("Summer term %(year)s", year=term.year_label)}[term.season]


@bp.get("/coverage/schools/<int:school_id>/report.csv")
@role_required(*OVERVIEW_ROLES)
def report_csv(school_id: int):
    school = load_school_for_overview_or_404(current_user, school_id)
    term, _terms = _term_or_400(school)
    report = school_terms.term_report(school, term)
    hide = _hide_small(school)
    header = [_("Year group"), _("Pupils"), _("Pupils who did a quiz this term"), _("Quizzes finished"),
              _("Quizzes passed (per cent)")] + [
        _("%(risk)s: pupils passed by the end of term (per cent)", risk=category_name(c)) for c in CATEGORIES]
    rows = []
    for y in report.years:
        small = hide and y.pupils < service.MIN_GROUP
        rows.append([y.label, "" if small else y.pupils, "" if small else y.active, y.quizzes,
                     "" if small or y.pass_percent is None else y.pass_percent] + [
            "" if small or y.cells.get(c) is None or y.cells[c].percent is None else y.cells[c].percent
            for c in CATEGORIES])
    return csv_response(f"{school.name}-governors-{term.id}.csv", header, rows)
