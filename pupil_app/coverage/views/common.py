"""The coverage blueprint and what its pages share: names of risks and cells said once per page.
"""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_babel import gettext as _

from ...content import current_content
from ...schools.models import Role, year_name
from ...timeutil import local_today
from .. import classes, service

bp = Blueprint("coverage", __name__, url_prefix="/staff", template_folder="../templates")

OVERVIEW_ROLES = (Role.ADMIN, Role.DSL, Role.TRUST_ADMIN)


@bp.app_template_filter("year_name")
def year_name_filter(year_group: int) -> str:
    return year_name(year_group)


def _content():
    return current_content()


def category_name(category: str) -> str:
    return _(_content().categories[category].name)


def status_text(cell: classes.Cell) -> str:
    return str(service.STATUS_LABELS[cell.status])


def cell_words(rows) -> tuple[dict[str, str], dict[int, str]]:
    """Cell labels translated once per page, and "n tries" for each number of tries shown."""
    labels = {k: str(v) for k, v in service.STATUS_LABELS.items()}
    counts = {c.attempts for r in rows for c in r if c.attempts > 1}
    return labels, {n: _("%(n)s tries", n=n) for n in counts}


def pupil_url() -> str:
    """The pupil page URL without its id: built once, not once per row."""
    return url_for("coverage.pupil", pupil_id=0)[:-1]


def stamp() -> str:
    return local_today().isoformat()
