"""A teacher's classes: home, the class page, the coverage grid, outcomes and difficult questions, one
pupil's work. Each table has a CSV download and prints.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from ...access import staff_required
from ...content import current_content
from ...csv_export import csv_response
from ...forms import ConfirmForm
from ...learning.assignments import assigned_module_ids
from ...schools.models import Role
from ...schools.service import class_sizes, load_class_or_404, load_pupil_or_404, visible_classes
from ...timeutil import format_local
from .. import charts, classes, service
from ..next_steps import next_steps
from .common import bp, category_name, cell_words, pupil_url, stamp, status_text

# --- a teacher's home and class page ------------------------------------------------------------

HOME_CLASSES = 6  # next steps for a teacher's own classes; a whole school's list stays a plain table

@bp.get("/")
@staff_required
def home():
    """The classes this staff member can see: what to teach next and who to check on first, then sizes."""
    mine = visible_classes(current_user)
    steps = [next_steps(c) for c in mine[:HOME_CLASSES]] if current_user.has_role(Role.TEACHER) else []
    return render_template("coverage/home.html", classes=mine, sizes=class_sizes([c.id for c in mine]), steps=steps)


@bp.get("/classes/<int:class_id>")
@staff_required
def class_detail(class_id: int):
    """A class: its pupils, how they sign in, and modules done."""
    school_class = load_class_or_404(current_user, class_id)
    pupils = [p for p in school_class.pupils if p.active]
    return render_template("coverage/class.html", school_class=school_class, pupils=pupils,
                           done=classes.modules_done([p.id for p in pupils]),
                           modules_in_band=len(current_content().modules_for_year(school_class.year_group)),
                           form=ConfirmForm())


# --- class grid ---------------------------------------------------------------------------------

@bp.get("/coverage/classes/<int:class_id>")
@staff_required
def class_grid(class_id: int):
    """Pupils down, modules across (by risk category): not started / started / passed and the best score."""
    school_class = load_class_or_404(current_user, class_id)
    grid = classes.class_grid(school_class)
    labels, tries = cell_words(r.cells for r in grid.rows)
    return render_template("coverage/class_grid.html", grid=grid, school_class=school_class, labels=labels,
                           tries=tries, pupil_url=pupil_url(), pass_percent=service.PASS_PERCENT,
                           help_retries=service.HELP_RETRIES, assigned=assigned_module_ids(school_class.id))


@bp.get("/coverage/classes/<int:class_id>/grid.csv")
@staff_required
def class_grid_csv(class_id: int):
    school_class = load_class_or_404(current_user, class_id)
    grid = classes.class_grid(school_class)
    header = [_("First name"), _("Last name"), _("Username")]
    for m in grid.modules:
        title = f"{_(m.title)} ({category_name(m.category)})"
        header += [_("%(module)s: status", module=title), _("%(module)s: best score", module=title),
                   _("%(module)s: tries", module=title)]
    header += [str(c.label) for c in grid.columns]
    rows = []
    for row in grid.rows:
        line = [row.pupil.first_name, row.pupil.last_name, row.pupil.username]
        for cell in row.cells:
            line += [status_text(cell), cell.score_text, cell.attempts]
        line += [row.extras.get(c.key, "") for c in grid.columns]
        rows.append(line)
    return csv_response(f"{school_class.name}-coverage-{stamp()}.csv", header, rows)


@bp.get("/coverage/classes/<int:class_id>/help.csv")
@staff_required
def class_help_csv(class_id: int):
    school_class = load_class_or_404(current_user, class_id)
    grid = classes.class_grid(school_class)
    header = [_("First name"), _("Last name"), _("Module"), _("Reason"), _("Best score"), _("Tries")]
    rows = []
    for row in grid.needs_help:
        for reason in row.help:
            rows.append([row.pupil.first_name, row.pupil.last_name, _(reason.module.title),
                         _("many tries, not passed yet") if reason.kind == "retries" else _("low score"),
                         reason.cell.score_text, reason.cell.attempts])
    return csv_response(f"{school_class.name}-needs-help-{stamp()}.csv", header, rows)


# --- outcomes and difficult questions -----------------------------------------------------------

@bp.get("/coverage/classes/<int:class_id>/questions")
@staff_required
def class_questions(class_id: int):
    """The band's outcomes with the share of pupils who have shown them; each module's most missed questions."""
    school_class = load_class_or_404(current_user, class_id)
    report = classes.class_questions(school_class)
    return render_template("coverage/class_questions.html", report=report, school_class=school_class,
                           pass_percent=service.PASS_PERCENT)


def _wrong_text(stats: classes.QuestionStats) -> tuple[str, int]:
    top = stats.top_wrong
    if top is None:
        return "", 0
    answer, count = top
    words = [_(w) for w in stats.answer_text(answer)]
    return (" → ".join(words) if stats.question.is_order else (words[0] if words else "")), count


@bp.get("/coverage/classes/<int:class_id>/outcomes.csv")
@staff_required
def class_outcomes_csv(class_id: int):
    school_class = load_class_or_404(current_user, class_id)
    report = classes.class_questions(school_class)
    header = [_("Outcome"), _("Outcome id"), _("Pupils who have shown it"), _("Pupils"), _("Per cent"),
              _("Not shown yet by")]
    rows = [[_(o.outcome.text), o.outcome.id, len(o.shown), len(o.shown) + len(o.not_shown),
             o.percent if o.percent is not None else "", "; ".join(p.full_name for p in o.not_shown)]
            for o in report.outcomes]
    return csv_response(f"{school_class.name}-outcomes-{stamp()}.csv", header, rows)


@bp.get("/coverage/classes/<int:class_id>/difficult.csv")
@staff_required
def class_difficult_csv(class_id: int):
    school_class = load_class_or_404(current_user, class_id)
    report = classes.class_questions(school_class)
    header = [_("Module"), _("Question"), _("Answers"), _("Missed"), _("Missed (per cent)"),
              _("Wrong answer chosen most"), _("Times chosen")]
    rows = []
    for module, questions in report.difficult:
        for s in questions:
            wrong, count = _wrong_text(s)
            rows.append([_(module.title), _(s.question.prompt), s.asked, s.missed, s.miss_percent, wrong, count])
    return csv_response(f"{school_class.name}-difficult-questions-{stamp()}.csv", header, rows)


# --- one pupil ----------------------------------------------------------------------------------

@bp.get("/coverage/pupils/<int:pupil_id>")
@staff_required
def pupil(pupil_id: int):
    """One pupil: each module's standing, every quiz with its score, and scores over time."""
    pupil = load_pupil_or_404(current_user, pupil_id)
    report = classes.pupil_report(pupil)
    chart = charts.score_chart(report.attempts)
    labels, tries = cell_words([c for _m, c in items] for _cat, items in report.groups + [("", report.earlier)])
    return render_template("coverage/pupil.html", report=report, pupil=pupil, chart=chart, labels=labels, tries=tries,
                           chart_styles=charts.CATEGORY_STYLE, pass_percent=service.PASS_PERCENT)


@bp.get("/coverage/pupils/<int:pupil_id>/attempts.csv")
@staff_required
def pupil_attempts_csv(pupil_id: int):
    pupil = load_pupil_or_404(current_user, pupil_id)
    report = classes.pupil_report(pupil)
    header = [_("Finished"), _("Module"), _("Risk"), _("Score"), _("Out of"), _("Passed")]
    rows = [[format_local(a.finished_at, "%Y-%m-%d %H:%M"), _(a.module.title) if a.module else a.module_id,
             category_name(a.module.category) if a.module else "", a.score, a.total,
             _("yes") if a.passed else _("no")] for a in reversed(report.attempts)]
    return csv_response(f"{pupil.username}-quizzes-{stamp()}.csv", header, rows)
