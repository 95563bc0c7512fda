"""The demo's second school, Hillside Primary, gets people who can sign in: a DSL, an admin, a
teacher, and two pupils. They make the two-school checks real (tests/test_security_matrix.py runs
every route as each of them against the other school's records) and let a reviewer try the
separation by hand. Idempotent: people already there are left as they are.
"""

from __future__ import annotations

from sqlalchemy import select

from .auth import service as auth_service
from .extensions import db
from .schools.models import ClassTeacher, Pupil, Role, School, SchoolClass, StaffRole, StaffUser

HILLSIDE_STAFF = {
    # username: (display name, roles, classes taught)
    "dsl.hillside": ("Mrs Ffion Jenkins", (Role.DSL, Role.TEACHER), ()),
    "admin.hillside": ("Mr Gareth Bowen", (Role.ADMIN,), ()),
    "teacher.hillside": ("Ms Leah Morgan", (Role.TEACHER,), ("Kestrels", "Ash")),
}
HILLSIDE_PUPILS = {
    # username: (first, last, class, picture password)
    "ks1.hillside": ("Ela", "Hillside", "Kestrels", ("star", "boat", "dog")),
    "ks2.hillside": ("Jac", "Hillside", "Ash", ("apple", "cat", "tree")),
}


def load_hillside_people(school_name: str, password: str) -> int:
    """Add Hillside's sign-in accounts that are missing. Returns how many were added."""
    school = db.session.scalar(select(School).where(School.name == school_name).order_by(School.id).limit(1))
    if school is None:
        return 0
    classes = {c.name: c for c in db.session.scalars(select(SchoolClass).where(SchoolClass.school_id == school.id))}
    added = 0
    hashed = None
    for username, (display, roles, taught) in HILLSIDE_STAFF.items():
        if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
            continue
        hashed = hashed or auth_service.hash_password(password)
        staff = StaffUser(school_id=school.id, username=username, display_name=display,
                          email=f"{username}@hillside-primary.example", password_hash=hashed)
        staff.role_rows = [StaffRole(role=r.value) for r in roles]
        db.session.add(staff)
        db.session.flush()
        for name in taught:
            if name in classes:
                db.session.add(ClassTeacher(class_id=classes[name].id, staff_id=staff.id))
        added += 1
    for username, (first, last, class_name, pictures) in HILLSIDE_PUPILS.items():
        if class_name not in classes or db.session.scalar(select(Pupil.id).where(Pupil.username == username)):
            continue
        hashed = hashed or auth_service.hash_password(password)
        pupil = Pupil(school_id=school.id, class_id=classes[class_name].id, first_name=first, last_name=last,
                      username=username, avatar="owl", password_hash=hashed)
        db.session.add(pupil)
        db.session.flush()
        auth_service.set_picture_password(pupil, pictures)
        added += 1
    db.session.flush()
    return added
