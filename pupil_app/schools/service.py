"""Loading school data with access enforced in the query: what a staff member may see."""

from __future__ import annotations

from flask import abort
from sqlalchemy import func, select

from ..extensions import db
from .models import ClassTeacher, Pupil, Role, SchoolClass, StaffUser


def visible_classes(staff: StaffUser) -> list[SchoolClass]:
    """Teachers see the classes they teach; DSLs and admins every class of their school."""
    query = select(SchoolClass).where(SchoolClass.school_id == staff.school_id, SchoolClass.active.is_(True))
    if not staff.has_role(Role.ADMIN, Role.DSL):
        query = query.join(ClassTeacher, ClassTeacher.class_id == SchoolClass.id).where(
            ClassTeacher.staff_id == staff.id)
    return list(db.session.scalars(query.order_by(SchoolClass.year_group, SchoolClass.name)))


def _class_query(staff: StaffUser, class_id: int):
    query = select(SchoolClass).where(SchoolClass.id == class_id, SchoolClass.school_id == staff.school_id)
    if not staff.has_role(Role.ADMIN, Role.DSL):
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
