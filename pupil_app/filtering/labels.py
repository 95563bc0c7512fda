"""Staff words for every choice in filtering and monitoring."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

REQUESTS = {
    "block": _l("Should be blocked"),
    "unblock": _l("Was wrongly blocked"),
}
ACTIONS = {
    "blocked": _l("Blocked in the filter"),
    "allowed": _l("Allowed in the filter"),
    "provider": _l("Reported to the filtering provider"),
    "no_change": _l("No change"),
}
SEVERITIES = {
    "low": _l("Low"),
    "medium": _l("Medium"),
    "high": _l("High"),
    "critical": _l("Critical"),
}
ALERT_STATUSES = {
    "new": _l("New"),
    "linked": _l("Linked to a pupil"),
    "dismissed": _l("Dismissed"),
    "concern": _l("Made a concern"),
}
STANDARDS = {
    "roles": _l("Roles and responsibilities to manage filtering and monitoring are identified and assigned"),
    "review": _l("Filtering and monitoring provision is reviewed at least once every academic year"),
    "filtering": _l("The filtering system blocks harmful and inappropriate content without unreasonably "
                    "impacting teaching and learning"),
    "monitoring": _l("Monitoring strategies are effective and meet the safeguarding needs of the school"),
}
OUTCOMES = {
    "met": _l("Met"),
    "partly": _l("Partly met"),
    "not_met": _l("Not met"),
}
