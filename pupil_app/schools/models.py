"""Who is who: trusts, schools, classes, pupils and staff with their roles."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

YEAR_GROUP_NAMES = {0: "Reception", 1: "Year 1", 2: "Year 2", 3: "Year 3", 4: "Year 4", 5: "Year 5", 6: "Year 6"}


def year_name(year_group: int) -> str:
    """The year group's name in the page language ("Reception", "Year 4", "Blwyddyn 4")."""
    if year_group == 0:
        return str(_l("Reception"))
    return str(_l("Year %(number)s", number=year_group))


def band_for_year(year_group: int) -> str:
    """R-Y2 learn EYFS/KS1, Y3-Y5 KS2, Y6 the end-of-primary outcomes."""
    if year_group <= 2:
        return "ks1"
    if year_group <= 5:
        return "ks2"
    return "eop"


class Role(enum.StrEnum):
    TEACHER = "teacher"
    DSL = "dsl"
    ADMIN = "admin"
    # Staff member of one school of a trust who administers every school of that trust and sees
    # the trust's aggregated, anonymised coverage figures.
    TRUST_ADMIN = "trust_admin"
    # The senior leader for online safety, and IT support who run the web filter (filtering lead).
    ONLINE_SAFETY_LEAD = "online_safety_lead"
    FILTERING_LEAD = "filtering_lead"


class Trust(db.Model):
    __tablename__ = "trusts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    schools: Mapped[list[School]] = relationship(back_populates="trust")


class School(db.Model):
    __tablename__ = "schools"
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Teachers need a second factor too (DSLs and admins always do): see auth/mfa.py.
    mfa_for_teachers: Mapped[bool] = mapped_column(default=False, server_default="0")

    trust: Mapped[Trust] = relationship(back_populates="schools")
    classes: Mapped[list[SchoolClass]] = relationship(back_populates="school", order_by="SchoolClass.year_group")

    __table_args__ = (UniqueConstraint("trust_id", "name"),)


class SchoolClass(db.Model):
    __tablename__ = "classes"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    year_group: Mapped[int] = mapped_column()
    # The secret part of the class sign-in link (/class/<token>) that a device bookmarks or scans.
    signin_token: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The class page takes picture sign-ins only until then: a teacher opens it for a lesson.
    signin_open_until: Mapped[datetime | None] = mapped_column()

    school: Mapped[School] = relationship(back_populates="classes")
    pupils: Mapped[list[Pupil]] = relationship(back_populates="school_class", order_by="Pupil.first_name")
    teachers: Mapped[list[StaffUser]] = relationship(secondary="class_teachers", back_populates="classes")

    __table_args__ = (
        UniqueConstraint("school_id", "name"),
        CheckConstraint("year_group >= 0 AND year_group <= 6", name="year_group_range"),
    )

    @property
    def band(self) -> str:
        return band_for_year(self.year_group)

    @property
    def year_name(self) -> str:
        return YEAR_GROUP_NAMES[self.year_group]


class ClassTeacher(db.Model):
    """A staff member teaches a class (staff may teach several; classes may have several)."""

    __tablename__ = "class_teachers"
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True, index=True)


class Account(UserMixin):
    """What pupils and staff share for sign-in: a session version that sign-out bumps, and the
    columns that pause an account after wrong tries (a mixin: each subclass has its own table)."""

    kind: str
    id: int
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    failed_signins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def get_id(self) -> str:
        # The session stores kind, id and version; bumping the version ends every copy of it.
        return f"{self.kind}:{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_pupil(self) -> bool:
        return self.kind == "pupil"

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"


class Pupil(Account, db.Model):
    __tablename__ = "pupils"
    kind = "pupil"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(60))
    last_name: Mapped[str] = mapped_column(String(60))
    username: Mapped[str] = mapped_column(String(60), unique=True)
    upn: Mapped[str | None] = mapped_column(String(13))
    # KS2 and up sign in with a password (argon2id hash); EYFS/KS1 with a picture password,
    # kept encrypted so a teacher can print it on the child's sign-in card.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    picture_password: Mapped[str | None] = mapped_column(String(255))
    avatar: Mapped[str] = mapped_column(String(60))
    # With the picture, a colour no active classmate shares (schools/looks.py keeps them unique).
    avatar_colour: Mapped[str] = mapped_column(String(20), default="blue", server_default="blue")
    language: Mapped[str | None] = mapped_column(String(10))
    # True once the child tapped a language themselves: an MIS import then never changes it.
    language_chosen_by_child: Mapped[bool] = mapped_column(default=False, server_default="0")
    # From the MIS: the name a child goes by is first_name/last_name (what pages show); the legal
    # name is kept beside it when it differs; the date of birth tells two same-named children apart.
    legal_first_name: Mapped[str | None] = mapped_column(String(60))
    legal_last_name: Mapped[str | None] = mapped_column(String(60))
    date_of_birth: Mapped[date | None] = mapped_column()

    school: Mapped[School] = relationship()
    # Joined: every pupil request needs the class (it gives the band), so load both in one query.
    school_class: Mapped[SchoolClass | None] = relationship(back_populates="pupils", lazy="joined")

    __table_args__ = (UniqueConstraint("school_id", "upn"),)

    @property
    def band(self) -> str | None:
        return self.school_class.band if self.school_class else None

    @property
    def display_name(self) -> str:
        return self.first_name

    @property
    def class_name(self) -> str | None:
        """The class's name today: records copy it, so they keep the name of their day."""
        return self.school_class.name if self.school_class else None

    @property
    def year_group(self) -> int | None:
        return self.school_class.year_group if self.school_class else None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class StaffUser(Account, db.Model):
    __tablename__ = "staff_users"
    kind = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))

    school: Mapped[School] = relationship()
    role_rows: Mapped[list[StaffRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    classes: Mapped[list[SchoolClass]] = relationship(secondary="class_teachers", back_populates="teachers",
                                                      order_by="SchoolClass.year_group")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))


class StaffRole(db.Model):
    __tablename__ = "staff_roles"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    __table_args__ = (CheckConstraint(
        "role IN ('teacher', 'dsl', 'admin', 'trust_admin', 'online_safety_lead', 'filtering_lead')", name="known_role"),)

