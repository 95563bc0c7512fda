"""Loading school data with access enforced in the query: what a staff member may see."""

from __future__ import annotations

from flask import abort
from sqlalchemy import func, select

from ..extensions import db
from .models import ClassTeacher, Pupil, Role, School, SchoolClass, StaffUser


def visible_classes(staff: StaffUser) -> list[SchoolClass]:
    """Teachers see the classes they teach; DSLs and (trust) admins every class of their own school."""
    query = select(SchoolClass).where(SchoolClass.school_id == staff.school_id, SchoolClass.active.is_(True))
    if not staff.has_role(Role.ADMIN, Role.DSL, Role.TRUST_ADMIN):
        query = query.join(ClassTeacher, ClassTeacher.class_id == SchoolClass.id).where(
            ClassTeacher.staff_id == staff.id)
    return list(db.session.scalars(query.order_by(SchoolClass.year_group, SchoolClass.name)))


def _class_query(staff: StaffUser, class_id: int):
    query = select(SchoolClass).where(SchoolClass.id == class_id, SchoolClass.school_id == staff.school_id)
    if not staff.has_role(Role.ADMIN, Role.DSL, Role.TRUST_ADMIN):
        query = query.join(ClassTeacher, ClassTeacher.class_id == SchoolClass.id).where(
            ClassTeacher.staff_id == staff.id)
    return query


def load_class_or_404(staff: StaffUser, class_id: int) -> SchoolClass:
    """The class if this staff member may see it; another school's or teacher's class is a 404."""
    school_class = db.session.scalar(_class_query(staff, class_id))
    if school_class is None:
        abort(404)
    return school_class


def load_pupil_or_404(staff: StaffUser, pupil_id: int) -> Pupil:
    """A pupil in a class this staff member may see; anyone else is a 404."""
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or pupil.school_id != staff.school_id or pupil.class_id is None:
        abort(404)
    load_class_or_404(staff, pupil.class_id)
    return pupil


def class_sizes(class_ids: list[int]) -> dict[int, int]:
    if not class_ids:
        return {}
    rows = db.session.execute(
        select(Pupil.class_id, func.count()).where(Pupil.class_id.in_(class_ids), Pupil.active.is_(True))
        .group_by(Pupil.class_id)
    )
    return {cid: n for cid, n in rows}


def may_administer(staff: StaffUser, school: School) -> bool:
    """Admins administer their own school; trust admins every school of their trust."""
    if staff.has_role(Role.TRUST_ADMIN) and school.trust_id == staff.school.trust_id:
        return True
    return staff.has_role(Role.ADMIN) and school.id == staff.school_id


def load_school_for_admin_or_404(staff: StaffUser, school_id: int) -> School:
    """A school this staff member administers; any other school is a 404."""
    school = db.session.get(School, school_id)
    if school is None or not may_administer(staff, school):
        abort(404)
    return school


def load_school_for_overview_or_404(staff: StaffUser, school_id: int) -> School:
    """A school whose aggregate figures this staff member may see: their own (admin, DSL, trust
    admin), or any school of their trust (trust admin). Anything else is a 404."""
    school = db.session.get(School, school_id)
    if school is None:
        abort(404)
    if school.id == staff.school_id and staff.has_role(Role.ADMIN, Role.DSL, Role.TRUST_ADMIN):
        return school
    if staff.has_role(Role.TRUST_ADMIN) and school.trust_id == staff.school.trust_id:
        return school
    abort(404)


def trust_schools(staff: StaffUser) -> list[School]:
    """Every school of the staff member's trust (for trust admins), by name."""
    return list(db.session.scalars(
        select(School).where(School.trust_id == staff.school.trust_id).order_by(School.name)))
