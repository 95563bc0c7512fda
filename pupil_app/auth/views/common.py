"""The ``auth`` blueprint: signing in and out, and the sign-in cards and posters staff print."""

from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="../templates")


@bp.after_request
def _device_cookie(response):
    """Every sign-in page gives the browser a device id, so wrong tries are counted per device."""
    from ..throttle import ensure_device_cookie

    return ensure_device_cookie(response)


@bp.app_template_global("now_utc")
def now_utc():
    """Now (naive UTC, as stored), for templates that show whether a pause or an opening still holds."""
    from ...timeutil import utcnow

    return utcnow()


@bp.app_template_global("class_open_until")
def class_open_until(school_class):
    """Until when (school time, "14:30") the class page takes picture sign-ins, or None when closed."""
    from ..lessons import clock, is_open

    return clock(school_class.signin_open_until) if is_open(school_class) else None
