"""Fixtures: one app per test session, a clean database per test, factories for people.

The database is a SQLite file in a temporary folder, or PostgreSQL when TEST_DATABASE_URL is set (``.ci/run`` sets
it when the server answers). No fixture keeps an app context open around client requests: Flask-
Babel and Flask-Login cache the locale and user on it, so a later request would see a stale one.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, delete, event, text
from sqlalchemy.engine import make_url

from pupil_app import create_app, ratelimit
from pupil_app.auth import service as auth_service
from pupil_app.extensions import db
from pupil_app.pledge import service, versions
from pupil_app.schools.models import ClassTeacher, Pupil, Role, School, SchoolClass, StaffRole, StaffUser, Trust
from pupil_app.timeutil import utcnow
from tests.helpers import PASSWORD, Ids  # noqa: F401  (PASSWORD: the fixtures' and tests' password)

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    # A file, not ":memory:": the browser tests' server thread needs its own connection.
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, MAIL_OUTBOX_DIR=tmp_path_factory.mktemp("outbox"))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(app):
    """Every test starts with empty tables and fresh rate-limit counters."""
    yield
    with app.app_context():
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(delete(table))
        db.session.commit()
        db.session.remove()
    ratelimit.reset(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def csrf_off(app):
    """Switch CSRF checks off for one test (tests that post forms without first loading them)."""
    app.config["WTF_CSRF_ENABLED"] = False
    yield
    app.config["WTF_CSRF_ENABLED"] = True


@pytest.fixture
def in_app(app):
    """Run a function inside a short-lived app context and return its result."""

    def run(fn: Callable, *args, **kwargs):
        with app.app_context():
            result = fn(*args, **kwargs)
            db.session.commit()
            return result

    return run


@pytest.fixture
def make_school(app):
    def make(name: str | None = None) -> Ids:
        n = next(_counter)
        with app.app_context():
            trust = Trust(name=f"Trust {n}")
            school = School(trust=trust, name=name or f"School {n}")
            db.session.add_all([trust, school])
            db.session.commit()
            return Ids(id=school.id, trust_id=trust.id)

    return make


@pytest.fixture
def make_class(app, make_school):
    def make(year_group: int = 4, school: Ids | None = None, name: str | None = None) -> Ids:
        school = school or make_school()
        with app.app_context():
            # Open for picture sign-in, as a teacher opens it for a lesson (tests of the gate close it).
            c = SchoolClass(school_id=school.id, name=name or f"Class {next(_counter)}", year_group=year_group,
                            signin_token=auth_service.new_class_token(),
                            signin_open_until=utcnow() + timedelta(hours=3))
            db.session.add(c)
            db.session.commit()
            return Ids(id=c.id, school_id=school.id, token=c.signin_token, year_group=year_group)

    return make


@pytest.fixture
def make_pupil(app, make_class):
    def make(school_class: Ids | None = None, *, year_group: int = 4, password: str | None = PASSWORD,
             pictures: tuple[str, ...] | None = ("cat", "sun", "boat"), first_name: str = "Sam",
             active: bool = True, pledged: bool = True) -> Ids:
        """A pupil; ``pledged`` (the default) has signed their band's pledge, so the first-log-on
        gate lets them through. Tests of the gate itself pass ``pledged=False``."""
        school_class = school_class or make_class(year_group)
        n = next(_counter)
        with app.app_context():
            p = Pupil(school_id=school_class.school_id, class_id=school_class.id, first_name=first_name,
                      last_name=f"Pupil{n}", username=f"pupil{n}", avatar="fox", active=active)
            if password:
                p.password_hash = auth_service.hash_password(password)
            db.session.add(p)
            db.session.flush()
            if pictures:
                auth_service.set_picture_password(p, pictures)
            if pledged:
                version = versions.ensure_current_version(p.school_id, versions.pledge_key(p.band))
                service.record_signature(p, version)
            db.session.commit()
            return Ids(id=p.id, username=p.username, class_id=school_class.id, school_id=school_class.school_id,
                       token=school_class.token, password=password, pictures=pictures, login_id=p.get_id())

    return make


@pytest.fixture
def make_staff(app, make_school):
    def make(*roles: Role, school: Ids | None = None, classes: tuple[Ids, ...] = (),
             password: str = PASSWORD) -> Ids:
        school_id = school.id if school else (classes[0].school_id if classes else make_school().id)
        n = next(_counter)
        with app.app_context():
            s = StaffUser(school_id=school_id, username=f"staff{n}", display_name=f"Staff {n}",
                          password_hash=auth_service.hash_password(password))
            s.role_rows = [StaffRole(role=r.value) for r in (roles or (Role.TEACHER,))]
            db.session.add(s)
            db.session.flush()
            for c in classes:
                db.session.add(ClassTeacher(class_id=c.id, staff_id=s.id))
            db.session.commit()
            return Ids(id=s.id, username=s.username, school_id=school_id, password=password, login_id=s.get_id())

    return make


@pytest.fixture
def login_as(client):
    """Sign a test client in as a pupil or staff member without going through a sign-in form; staff
    have just given their second factor (tests of the factor itself sign in through the forms)."""

    def login(who: Ids, method: str = "password", test_client=None):
        c = test_client or client
        with c.session_transaction() as sess:
            sess["_user_id"] = who.login_id
            sess["_fresh"] = True
            sess["signin_method"] = method
            sess["mfa_at"] = time.time()  # the second factor given just now (see auth/stepup.py)
        return c

    return login


def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL")
    return f"database: {url.split('@')[-1] if url else 'SQLite (temporary file)'}"


@pytest.fixture
def count_queries(app):
    """``with count_queries() as statements:`` collects the SQL statements run inside the block."""

    @contextmanager
    def counting():
        with app.app_context():
            engine = db.engine
        statements: list[str] = []

        def before(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with no tables: a SQLite file, or a throwaway PostgreSQL database beside the test one."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"pupil_app_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
