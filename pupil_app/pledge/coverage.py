"""The pledge on the coverage pages: status and parent acknowledgement columns on the class grid
(and its CSV and the pupil page), a pledge history section on the pupil page, and the signed counts
of the school and trust overviews and the report to governors.

Registered once, when the pledge blueprint's views are imported.
"""

from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from ..coverage.service import (
    PupilColumn,
    PupilSection,
    register_pupil_column,
    register_pupil_section,
    register_signed_counts,
    register_version_notes,
)
from ..timeutil import format_day
from . import reports
from .rules import AGAIN, SIGNED


def pledge_values(pupil_ids: list[int]) -> dict[int, str]:
    """"Signed v1.0, 3 Oct 2026", "Needs to sign again" or "Not yet" for each pupil: one query."""
    standings = reports.standings_by_id(pupil_ids)
    not_yet = _("Not yet")
    out = {}
    for pupil_id in pupil_ids:
        st = standings.get(pupil_id)
        if st is not None and st.state == SIGNED:
            out[pupil_id] = "{} {}".format(_("Signed"), _("v%(label)s, %(date)s", label=st.signature.label,
                                                          date=format_day(st.signature.signed_at, "d MMM yyyy")))
        elif st is not None and st.state == AGAIN:
            out[pupil_id] = _("Needs to sign again")
        else:
            out[pupil_id] = not_yet
    return out


def parent_values(pupil_ids: list[int]) -> dict[int, str]:
    """"Acknowledged 3 Oct 2026", "Letter sent" or "No letter yet" (names stay on the pledge page): one query."""
    states = reports.parent_states_by_id(pupil_ids)
    out = {}
    for pupil_id in pupil_ids:
        st = states.get(pupil_id)
        if st is not None and st[0] == "acknowledged":
            out[pupil_id] = "{} {}".format(_("Acknowledged"), format_day(st[1], "d MMM yyyy"))
        elif st is not None and st[0] == "sent":
            out[pupil_id] = _("Letter sent")
        else:
            out[pupil_id] = _("No letter yet")
    return out


def register() -> None:
    register_pupil_column(PupilColumn("pledge", _l("Pledge"), pledge_values))
    register_pupil_column(PupilColumn("parent", _l("Parent acknowledgement"), parent_values))
    register_pupil_section(PupilSection("pledge_history", "pledge/staff/_pupil_history.html", reports.history))
    register_signed_counts(reports.signed_by_year)
    register_version_notes(reports.major_versions_between)


register()
