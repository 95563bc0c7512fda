"""Who may steer safeguarding: the DSL role and where DSL alerts go.

Every alert about a child's concern goes to the DSLs' email addresses, so those addresses, and the
DSL role itself, are guarded more tightly than the rest of a staff record:

- a DSL's name and email address are changed only by the DSL themselves or by another DSL of the
  school (a school or trust admin without the role cannot redirect the alerts);
- nobody gives themselves the DSL role (a trust admin could otherwise read every concern);
- every role change and email change is written to the audit trail;
- when someone becomes a DSL, the school's DSLs are told by email (the new one included), and
  when a DSL's address changes, the old address is told too.
"""

from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from ..concerns import alerts, audit
from ..schools.models import Role, StaffUser


class GuardError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def check_change(staff: StaffUser | None, editor: StaffUser, display_name: str, email: str | None,
                 new_roles: list[Role]) -> None:
    """Refuse a change that would let someone without the DSL role steer safeguarding."""
    is_self = staff is not None and staff.id == editor.id
    editor_is_dsl = editor.has_role(Role.DSL) and (staff is None or editor.school_id == staff.school_id)
    if staff is not None and staff.has_role(Role.DSL) and not is_self and not editor_is_dsl:
        if display_name != staff.display_name or (email or None) != (staff.email or None):
            raise GuardError(_l("Only the DSL themselves or another DSL of the school can change a DSL's name or "
                                "email address (safeguarding alerts go there)."))
    gains_dsl = Role.DSL in new_roles and (staff is None or not staff.has_role(Role.DSL))
    if gains_dsl and is_self:
        raise GuardError(_l("Nobody can give themselves the DSL role: ask one of the school's DSLs."))


def record_change(staff: StaffUser, editor: StaffUser, old_roles: frozenset[Role], old_email: str | None,
                  created: bool = False) -> None:
    """Audit role and email changes (flushed with them) and tell the DSLs of a new DSL."""
    new_roles = staff.roles
    added = sorted(r.value for r in new_roles - old_roles)
    removed = sorted(r.value for r in old_roles - new_roles)
    if added or removed:
        detail = "; ".join(part for part in (added and f"added {', '.join(added)}",
                                             removed and f"removed {', '.join(removed)}") if part)
        audit.record(editor, "staff.created" if created else "staff.roles_changed", "staff", staff.id,
                     f"{staff.username}: {detail}", school_id=staff.school_id)
    if (staff.email or None) != (old_email or None):
        audit.record(editor, "staff.email_changed", "staff", staff.id,
                     f"{staff.username}: {old_email or '(none)'} -> {staff.email or '(none)'}",
                     school_id=staff.school_id)
        if Role.DSL in old_roles and old_email:
            _tell([old_email], staff, editor, _email_changed_intro)
    if Role.DSL in new_roles and Role.DSL not in old_roles:
        _tell(None, staff, editor, _new_dsl_intro)


def _new_dsl_intro(staff: StaffUser, editor: StaffUser) -> str:
    return _("%(who)s (%(username)s) has been given the DSL role by %(editor)s: they can now read every "
             "safeguarding concern of the school. If you did not expect this, act on it now.",
             who=staff.display_name, username=staff.username, editor=editor.display_name)


def _email_changed_intro(staff: StaffUser, editor: StaffUser) -> str:
    return _("The email address of the DSL account %(username)s was changed by %(editor)s. Safeguarding alerts "
             "no longer come to this address. If you did not expect this, act on it now.",
             username=staff.username, editor=editor.display_name)


def _tell(addresses: list[str] | None, staff: StaffUser, editor: StaffUser, intro) -> None:
    alerts.queue_notice(staff.school_id, lambda: _("Safe Online: a change to who receives safeguarding alerts"),
                        lambda: intro(staff, editor), addresses=addresses)
