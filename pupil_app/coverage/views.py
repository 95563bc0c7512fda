"""Coverage pages: a class's grid, outcomes and difficult questions, one pupil's work, the school
and trust heat maps, and the report to governors. Each table has a CSV download and prints."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import role_required, staff_required
from ..concerns import stats as concern_stats
from ..concerns.labels import CATEGORIES as CONCERN_CATEGORIES
from ..content import CATEGORIES
from ..csv_export import csv_response
from ..schools.models import Role
from ..schools.service import (load_class_or_404, load_pupil_or_404, load_school_for_overview_or_404,
                               trust_schools)
from ..pledge import service as pledge_service
from ..timeutil import utcnow
from . import charts, service

bp = Blueprint("coverage", __name__, url_prefix="/staff/coverage", template_folder="templates")

OVERVIEW_ROLES = (Role.ADMIN, Role.DSL, Role.TRUST_ADMIN)


@bp.app_template_filter("year_name")
def year_name_filter(year_group: int) -> str:
    return service.year_name(year_group)


def _content():
    return service.content()


def _category_name(category: str) -> str:
    return _(_content().categories[category].name)


def _status_text(cell: service.Cell) -> str:
    return str(service.STATUS_LABELS[cell.status])


def _cell_words(rows) -> tuple[dict[str, str], dict[int, str]]:
    """Cell labels translated once per page, and "n tries" for each number of tries shown."""
    labels = {k: str(v) for k, v in service.STATUS_LABELS.items()}
    counts = {c.attempts for r in rows for c in r if c.attempts > 1}
    return labels, {n: _("%(n)s tries", n=n) for n in counts}


def _pupil_url() -> str:
    """The pupil page URL without its id: built once, not once per row."""
    return url_for("coverage.pupil", pupil_id=0)[:-1]


def _stamp() -> str:
    return utcnow().strftime("%Y-%m-%d")


# --- class grid ---------------------------------------------------------------------------------

@bp.get("/classes/<int:class_id>")
@staff_required
def class_grid(class_id: int):
    """Pupils down, modules across (by risk category): not started / started / passed and the best score."""
    school_class = load_class_or_404(current_user, class_id)
    grid = service.class_grid(school_class)
    labels, tries = _cell_words(r.cells for r in grid.rows)
    return render_template("coverage/class_grid.html", grid=grid, school_class=school_class, labels=labels,
                           tries=tries, pupil_url=_pupil_url(), pass_percent=service.PASS_PERCENT,
                           help_retries=service.HELP_RETRIES)


@bp.get("/classes/<int:class_id>/grid.csv")
@staff_required
def class_grid_csv(class_id: int):
    school_class = load_class_or_404(current_user, class_id)
    grid = service.class_grid(school_class)
    header = [_("First name"), _("Last name"), _("Username")]
    for m in grid.modules:
        title = f"{_(m.title)} ({_category_name(m.category)})"
        header += [_("%(module)s: status", module=title), _("%(module)s: best score", module=title),
                   _("%(module)s: tries", module=title)]
    header += [str(c.label) for c in grid.columns]
    rows = []
    for row in grid.rows:
        line = [row.pupil.first_name, row.pupil.last_name, row.pupil.username]
        for cell in row.cells:
            line += [_status_text(cell), cell.score_text, cell.attempts]
        line += [row.extras.get(c.key, "") for c in grid.columns]
        rows.append(line)
    return csv_response(f"{school_class.name}-coverage-{_stamp()}.csv", header, rows)


@bp.get("/classes/<int:class_id>/help.csv")
@staff_required
def class_help_csv(class_id: int):
    school_class = load_class_or_404(current_user, class_id)
    grid = service.class_grid(school_class)
    header = [_("First name"), _("Last name"), _("Module"), _("Reason"), _("Best score"), _("Tries")]
    rows = []
    for row in grid.needs_help:
        for reason in row.help:
            rows.append([row.pupil.first_name, row.pupil.last_name, _(reason.module.title),
                         _("many tries, not passed yet") if reason.kind == "retries" else _("low score"),
                         reason.cell.score_text, reason.cell.attempts])
    return csv_response(f"{school_class.name}-needs-help-{_stamp()}.csv", header, rows)


# --- outcomes and difficult questions -----------------------------------------------------------

@bp.get("/classes/<int:class_id>/questions")
@staff_required
def class_questions(class_id: int):
    """The band's outcomes with the share of pupils who have shown them; each module's most missed questions."""
    school_class = load_class_or_404(current_user, class_id)
    report = service.class_questions(school_class)
    return render_template("coverage/class_questions.html", report=report, school_class=school_class,
                           pass_percent=service.PASS_PERCENT)


def _wrong_text(stats: service.QuestionStats) -> tuple[str, int]:
    top = stats.top_wrong
    if top is None:
        return "", 0
    answer, count = top
    words = [_(w) for w in stats.answer_text(answer)]
    return (" → ".join(words) if stats.question.is_order else (words[0] if words else "")), count


@bp.get("/classes/<int:class_id>/outcomes.csv")
@staff_required
def class_outcomes_csv(class_id: int):
    school_class = load_class_or_404(current_user, class_id)
    report = service.class_questions(school_class)
    header = [_("Outcome"), _("Outcome id"), _("Pupils who have shown it"), _("Pupils"), _("Per cent"),
              _("Not shown yet by")]
    rows = [[_(o.outcome.text), o.outcome.id, len(o.shown), len(o.shown) + len(o.not_shown),
             o.percent if o.percent is not None else "", "; ".join(p.full_name for p in o.not_shown)]
            for o in report.outcomes]
    return csv_response(f"{school_class.name}-outcomes-{_stamp()}.csv", header, rows)


@bp.get("/classes/<int:class_id>/difficult.csv")
@staff_required
def class_difficult_csv(class_id: int):
    school_class = load_class_or_404(current_user, class_id)
    report = service.class_questions(school_class)
    header = [_("Module"), _("Question"), _("Answers"), _("Missed"), _("Missed (per cent)"),
              _("Wrong answer chosen most"), _("Times chosen")]
    rows = []
    for module, questions in report.difficult:
        for s in questions:
            wrong, count = _wrong_text(s)
            rows.append([_(module.title), _(s.question.prompt), s.asked, s.missed, s.miss_percent, wrong, count])
    return csv_response(f"{school_class.name}-difficult-questions-{_stamp()}.csv", header, rows)


# --- one pupil ----------------------------------------------------------------------------------

@bp.get("/pupils/<int:pupil_id>")
@staff_required
def pupil(pupil_id: int):
    """One pupil: each module's standing, every quiz with its score, and scores over time."""
    pupil = load_pupil_or_404(current_user, pupil_id)
    report = service.pupil_report(pupil)
    chart = charts.score_chart(report.attempts)
    labels, tries = _cell_words([c for _m, c in items] for _cat, items in report.groups + [("", report.earlier)])
    return render_template("coverage/pupil.html", report=report, pupil=pupil, chart=chart, labels=labels, tries=tries,
                           chart_styles=charts.CATEGORY_STYLE, pass_percent=service.PASS_PERCENT)


@bp.get("/pupils/<int:pupil_id>/attempts.csv")
@staff_required
def pupil_attempts_csv(pupil_id: int):
    pupil = load_pupil_or_404(current_user, pupil_id)
    report = service.pupil_report(pupil)
    header = [_("Finished (UTC)"), _("Module"), _("Risk"), _("Score"), _("Out of"), _("Passed")]
    rows = [[a.finished_at.strftime("%Y-%m-%d %H:%M"), _(a.module.title) if a.module else a.module_id,
             _category_name(a.module.category) if a.module else "", a.score, a.total,
             _("yes") if a.passed else _("no")] for a in reversed(report.attempts)]
    return csv_response(f"{pupil.username}-quizzes-{_stamp()}.csv", header, rows)


# --- school and trust overviews -----------------------------------------------------------------

def _columns() -> list[tuple[str, str]]:
    return [(c, _category_name(c)) for c in CATEGORIES] + [("all", _("All four"))]


def _title_for(row: service.HeatRow, key: str, tally: service.Tally) -> str:
    what = _("all four risks") if key == "all" else _category_name(key)
    if not tally.possible:
        return _("%(row)s, %(what)s: no pupils", row=row.label, what=what)
    return _("%(row)s, %(what)s: %(passed)s of %(possible)s modules passed (%(pupils)s pupils)",
             row=row.label, what=what, passed=tally.passed, possible=tally.possible, pupils=tally.pupils)


def _hide_small(school) -> bool:
    # Staff of the school see its figures whole; trust staff looking at another school see
    # only groups large enough to stay anonymous.
    return school.id != current_user.school_id


@bp.get("/school")
@role_required(*OVERVIEW_ROLES)
def my_school():
    """The overview of the viewer's own school."""
    return redirect(url_for("coverage.school", school_id=current_user.school_id))


@bp.get("/schools/<int:school_id>")
@role_required(*OVERVIEW_ROLES)
def school(school_id: int):
    """Coverage by year group x risk category as a heat map, and by class."""
    school = load_school_for_overview_or_404(current_user, school_id)
    overview = service.school_overview(school)
    hide = _hide_small(school)
    heat = service.heat_map(overview.years, _columns(), hide_small=hide, cell_title=_title_for)
    # Class grids open for staff of the school; trust staff from elsewhere see class figures only.
    class_links = {} if hide else {
        row.key: url_for("coverage.class_grid", class_id=row.key) for row in overview.classes}
    pledge = service.pledge_shares(overview.years, school.id, pledge_service.signed_by_year([school.id]))
    terms = service.last_terms(3)
    return render_template("coverage/school.html", school=school, overview=overview, heat=heat, hide_small=hide,
                           columns=_columns(), class_links=class_links, min_group=service.MIN_GROUP,
                           pass_percent=service.PASS_PERCENT, pledge=pledge, concern_terms=terms,
                           term_names={t.id: _term_name(t) for t in terms},
                           concerns=concern_stats.counts_by_category_and_term(school.id, terms),
                           concern_categories=CONCERN_CATEGORIES)


@bp.get("/schools/<int:school_id>/overview.csv")
@role_required(*OVERVIEW_ROLES)
def school_csv(school_id: int):
    school = load_school_for_overview_or_404(current_user, school_id)
    overview = service.school_overview(school)
    hide = _hide_small(school)
    header = [_("Group"), _("Name"), _("Pupils")] + [
        _("%(risk)s: passed (per cent)", risk=name) for _key, name in _columns()]
    rows = []
    for kind, group in ((_("Year group"), overview.years), (_("Class"), [] if hide else overview.classes)):
        for row in group:
            cells = [row.total if key == "all" else row.cells.get(key) for key, _n in _columns()]
            rows.append([kind, row.label, "" if service.suppressed(row.total, hide) else row.pupils] + [
                "" if t is None or t.percent is None or service.suppressed(t, hide) else t.percent for t in cells])
    return csv_response(f"{school.name}-coverage-{_stamp()}.csv", header, rows)


@bp.get("/trust")
@role_required(Role.TRUST_ADMIN)
def trust():
    """Every school of the trust by risk category, and the trust's year groups: figures only."""
    schools = trust_schools(current_user)
    overview = service.trust_overview(schools)
    school_heat = service.heat_map(overview.schools, _columns(), hide_small=True, cell_title=_title_for,
                                   label_width=220)
    year_heat = service.heat_map(overview.years, _columns(), hide_small=True, cell_title=_title_for)
    school_links = {row.key: url_for("coverage.school", school_id=row.key) for row in overview.schools}
    pledge = service.pledge_by_school(overview.schools, pledge_service.signed_by_year([s.id for s in schools]))
    return render_template("coverage/trust.html", overview=overview, school_heat=school_heat, year_heat=year_heat,
                           trust=current_user.school.trust, columns=_columns(), school_links=school_links,
                           hide_small=True, min_group=service.MIN_GROUP, pass_percent=service.PASS_PERCENT,
                           pledge=pledge)


@bp.get("/trust.csv")
@role_required(Role.TRUST_ADMIN)
def trust_csv():
    overview = service.trust_overview(trust_schools(current_user))
    header = [_("Group"), _("Name"), _("Pupils")] + [
        _("%(risk)s: passed (per cent)", risk=name) for _key, name in _columns()]
    rows = []
    for kind, group in ((_("School"), overview.schools), (_("Year group"), overview.years)):
        for row in group:
            cells = [row.total if key == "all" else row.cells.get(key) for key, _n in _columns()]
            rows.append([kind, row.label, "" if service.suppressed(row.total, True) else row.pupils] + [
                "" if t is None or t.percent is None or service.suppressed(t, True) else t.percent for t in cells])
    return csv_response(f"{current_user.school.trust.name}-coverage-{_stamp()}.csv", header, rows)


# --- report to governors ------------------------------------------------------------------------

def _term_or_400(school):
    terms = service.recent_terms(school)
    raw = request.args.get("term")
    if raw is None:
        return terms[0], terms
    term = service.parse_term(raw)
    if term is None:
        abort(400)
    if term not in terms:
        terms = sorted(set(terms) | {term}, key=lambda t: t.start, reverse=True)
    return term, terms


@bp.get("/schools/<int:school_id>/report")
@role_required(*OVERVIEW_ROLES)
def report(school_id: int):
    """A printable report on online-safety teaching for the governing board, for one term."""
    school = load_school_for_overview_or_404(current_user, school_id)
    term, terms = _term_or_400(school)
    report = service.term_report(school, term)
    hide = _hide_small(school)
    heat_rows = [service.HeatRow(y.year_group, y.label, y.pupils, y.cells, service.total_of(y.cells, y.pupils))
                 for y in report.years]
    heat = service.heat_map(heat_rows, _columns(), hide_small=hide, cell_title=_title_for)
    concern_terms = [term, service.previous_term(term)]
    term_names = {t.id: _term_name(t) for t in terms + concern_terms}
    return render_template("coverage/report.html", school=school, report=report, term=term, terms=terms,
                           term_names=term_names, term_last=term.end - timedelta(days=1),
                           pledge=service.pledge_by_year(school, pledge_service.signed_by_year([school.id])),
                           concern_terms=concern_terms, concern_categories=CONCERN_CATEGORIES,
                           concerns=concern_stats.counts_by_category_and_term(school.id, concern_terms),
                           heat=heat, heat_rows=heat_rows, columns=_columns(), percent=service.percent,
                           hide_small=hide, min_group=service.MIN_GROUP, pass_percent=service.PASS_PERCENT,
                           today=utcnow().date())


def _term_name(term: service.Term) -> str:
    return {"autumn": _("Autumn term %(year)s", year=term.year_label),
            "spring": _("Spring term %(year)s", year=term.year_label),
            "summer": _("Summer term %(year)s", year=term.year_label)}[term.season]


@bp.get("/schools/<int:school_id>/report.csv")
@role_required(*OVERVIEW_ROLES)
def report_csv(school_id: int):
    school = load_school_for_overview_or_404(current_user, school_id)
    term, _terms = _term_or_400(school)
    report = service.term_report(school, term)
    hide = _hide_small(school)
    header = [_("Year group"), _("Pupils"), _("Pupils who did a quiz this term"), _("Quizzes finished"),
              _("Quizzes passed (per cent)")] + [
        _("%(risk)s: pupils passed by the end of term (per cent)", risk=_category_name(c)) for c in CATEGORIES]
    rows = []
    for y in report.years:
        small = hide and y.pupils < service.MIN_GROUP
        rows.append([y.label, "" if small else y.pupils, "" if small else y.active, y.quizzes,
                     "" if small or y.pass_percent is None else y.pass_percent] + [
            "" if small or y.cells.get(c) is None or y.cells[c].percent is None else y.cells[c].percent
            for c in CATEGORIES])
    return csv_response(f"{school.name}-governors-{term.id}.csv", header, rows)
