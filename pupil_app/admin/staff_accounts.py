"""Staff accounts: roles an admin may give, creating, changing, closing, set-password links.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .. import crypto
from ..auth import service as auth_service
from ..extensions import db
from ..schools.models import Role, School, SchoolClass, StaffRole, StaffUser
from ..timeutil import utcnow
from . import staff_guard
from .models import StaffPasswordLink
from .service import (
    MAX_DISPLAY_NAME,
    MAX_EMAIL,
    MIN_STAFF_PASSWORD,
    PASSWORD_LINK_DAYS,
    STAFF_USERNAME_RE,
    AdminError,
    clean,
    looks_like_formula,
    plain_text_problem,
)

# --- staff ------------------------------------------------------------------------------------

def assignable_roles(editor: StaffUser) -> list[Role]:
    """Admins give teacher and admin. DSL (which reads safeguarding concerns) is given by a DSL or
    a trust admin, and trust admin only by a trust admin: nobody hands out more than they hold."""
    roles = [Role.TEACHER]
    if editor.has_role(Role.DSL, Role.TRUST_ADMIN):
        roles.append(Role.DSL)
    roles += [Role.ADMIN, Role.ONLINE_SAFETY_LEAD, Role.FILTERING_LEAD]
    if editor.has_role(Role.TRUST_ADMIN):
        roles.append(Role.TRUST_ADMIN)
    return roles


def may_manage_account(editor: StaffUser, staff: StaffUser) -> bool:
    """Whether ``editor`` may reset, close or reopen ``staff``'s account.

    A set-password link lets whoever holds it sign in as that account, so an admin manages only
    accounts with no role beyond what they could give themselves: a school admin cannot take over
    a DSL's account (and read concerns) or a trust admin's (and run every school).
    """
    return set(staff.roles) <= set(assignable_roles(editor))


def _roles(editor: StaffUser, wanted: list[str], current: frozenset[Role] = frozenset()) -> list[Role]:
    allowed = set(assignable_roles(editor))
    try:
        asked = {Role(r) for r in wanted}
    except ValueError as exc:
        raise AdminError(_l("That role does not exist.")) from exc
    if asked - allowed - set(current):
        raise AdminError(_l("You cannot give a role you could not be given by yourself: a DSL or a trust admin "
                            "gives the DSL role, a trust admin the trust admin role."))
    # A role the editor may not give stays as it was (an admin neither adds nor removes trust admin).
    roles = (asked & allowed) | (set(current) - allowed)
    if not roles:
        raise AdminError(_l("Give the staff member at least one role."))
    return sorted(roles, key=lambda r: list(Role).index(r))


def _display_name(name: str) -> str:
    name = clean(name)
    problem = plain_text_problem(name, MAX_DISPLAY_NAME)
    if problem:
        raise AdminError(_l("The name %(problem)s.", problem=problem))
    return name


def _email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > MAX_EMAIL or not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", email) or looks_like_formula(email):
        raise AdminError(_l("That email address does not look right."))
    return email


def _classes_for(school: School, class_ids: list[int]) -> list[SchoolClass]:
    if not class_ids:
        return []
    classes = list(db.session.scalars(select(SchoolClass).where(
        SchoolClass.id.in_(class_ids), SchoolClass.school_id == school.id)))
    if len(classes) != len(set(class_ids)):
        raise AdminError(_l("Classes must be classes of this school."))
    return classes


def school_staff(school: School) -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).where(StaffUser.school_id == school.id)
                                   .order_by(StaffUser.active.desc(), StaffUser.display_name)))


def create_staff(school: School, editor: StaffUser, username: str, display_name: str, email: str | None,
                 roles: list[str], class_ids: list[int]) -> tuple[StaffUser, str]:
    """A new staff account with no usable password, and the one-time link to set one."""
    username = (username or "").strip().lower()
    if not STAFF_USERNAME_RE.match(username):
        raise AdminError(_l("A username is 3 to 60 lower-case letters, digits, dots, dashes or underscores."))
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise AdminError(_l("The username %(name)s is taken.", name=username))
    staff = StaffUser(school_id=school.id, username=username, display_name=_display_name(display_name),
                      email=_email(email),
                      # Nobody knows this password: the account works once its owner follows the link.
                      password_hash=auth_service.hash_password(secrets.token_urlsafe(32)))
    new_roles = _roles(editor, roles)
    _guard(None, editor, staff.display_name, staff.email, new_roles)
    staff.role_rows = [StaffRole(role=r.value) for r in new_roles]
    staff.classes = _classes_for(school, class_ids)
    db.session.add(staff)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same username created at the same moment elsewhere
        db.session.rollback()
        raise AdminError(_l("The username %(name)s is taken.", name=username)) from exc
    staff_guard.record_change(staff, editor, frozenset(), None, created=True)
    return staff, issue_password_link(staff, editor)


def send_notices() -> None:
    """After the commit: send what ``staff_guard`` queued for the school's DSLs."""
    staff_guard.alerts.after_commit()


def _guard(staff: StaffUser | None, editor: StaffUser, display_name: str, email: str | None, roles) -> None:
    try:
        staff_guard.check_change(staff, editor, display_name, email, roles)
    except staff_guard.GuardError as exc:
        raise AdminError(exc.message) from exc


def update_staff(staff: StaffUser, editor: StaffUser, display_name: str, email: str | None, roles: list[str],
                 class_ids: list[int]) -> None:
    new_roles = _roles(editor, roles, staff.roles)
    if staff.id == editor.id and not {Role.ADMIN, Role.TRUST_ADMIN} & set(new_roles) & staff.roles:
        raise AdminError(_l("You cannot take away your own admin role: ask another admin."))
    name, address = _display_name(display_name), _email(email)
    _guard(staff, editor, name, address, new_roles)
    old_roles, old_email = staff.roles, staff.email
    staff.display_name, staff.email = name, address
    have = {r.role: r for r in staff.role_rows}
    staff.role_rows = [have.get(r.value) or StaffRole(role=r.value) for r in new_roles]
    staff.classes = _classes_for(staff.school, class_ids)
    db.session.flush()
    staff_guard.record_change(staff, editor, old_roles, old_email)
    db.session.flush()


def deactivate_staff(staff: StaffUser, editor: StaffUser) -> None:
    """The account stops working at once (every session ends); its records stay."""
    if staff.id == editor.id:
        raise AdminError(_l("You cannot close your own account."))
    if not may_manage_account(editor, staff):
        raise AdminError(_l("This account has roles you do not have: ask a DSL or a trust admin."))
    staff.active = False
    staff.session_version += 1
    db.session.execute(delete(StaffPasswordLink).where(StaffPasswordLink.staff_id == staff.id,
                                                       StaffPasswordLink.used_at.is_(None)))
    db.session.flush()


def reactivate_staff(staff: StaffUser, editor: StaffUser) -> None:
    if not may_manage_account(editor, staff):
        raise AdminError(_l("This account has roles you do not have: ask a DSL or a trust admin."))
    staff.active = True
    db.session.flush()


def issue_password_link(staff: StaffUser, editor: StaffUser | None) -> str:
    """A new one-time set-password token (earlier unused ones stop working). Shown once.

    ``editor`` None is the command line (no one to check); an admin must be allowed to manage the account.
    """
    if editor is not None and staff.id != editor.id and not may_manage_account(editor, staff):
        raise AdminError(_l("This account has roles you do not have: ask a DSL or a trust admin."))
    db.session.execute(delete(StaffPasswordLink).where(StaffPasswordLink.staff_id == staff.id,
                                                       StaffPasswordLink.used_at.is_(None)))
    token = secrets.token_urlsafe(16)
    db.session.add(StaffPasswordLink(staff_id=staff.id, token_hash=crypto.token_hash(token),
                                     created_by_id=editor.id if editor else None,
                                     expires_at=utcnow() + timedelta(days=PASSWORD_LINK_DAYS)))
    db.session.flush()
    return token


def password_link(token: str) -> StaffPasswordLink | None:
    """The live link for ``token``: not used, not expired, its account active. Else None."""
    if not token or len(token) > 64:
        return None
    link = db.session.scalar(select(StaffPasswordLink).where(StaffPasswordLink.token_hash == crypto.token_hash(token)))
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    staff = db.session.get(StaffUser, link.staff_id)
    if staff is None or not staff.active:
        return None
    return link


def staff_password_problem(staff: StaffUser, password: str, confirm: str):
    if len(password) < MIN_STAFF_PASSWORD:
        return _l("Use at least %(n)s characters.", n=MIN_STAFF_PASSWORD)
    if len(password) > auth_service.MAX_PASSWORD:
        return _l("Use at most %(n)s characters.", n=auth_service.MAX_PASSWORD)
    if password.strip().lower() in {staff.username, staff.display_name.lower()}:
        return _l("Do not use your name or username as your password.")
    if password != confirm:
        return _l("The two passwords are not the same.")
    return None


def use_password_link(token: str, password: str, confirm: str) -> StaffUser:
    """Set the password and spend the link; every older session of the account ends."""
    link = password_link(token)
    if link is None:
        raise AdminError(_l("This link does not work any more. Ask your school admin for a new one."))
    staff = db.session.get(StaffUser, link.staff_id)
    problem = staff_password_problem(staff, password, confirm)
    if problem:
        raise AdminError(problem)
    spent = db.session.execute(update(StaffPasswordLink).where(
        StaffPasswordLink.id == link.id, StaffPasswordLink.used_at.is_(None)).values(used_at=utcnow()))
    if spent.rowcount != 1:  # used by another request a moment ago
        raise AdminError(_l("This link does not work any more. Ask your school admin for a new one."))
    staff.password_hash = auth_service.hash_password(password)
    staff.session_version += 1
    staff.failed_signins = 0
    staff.locked_until = None
    db.session.flush()
    return staff
