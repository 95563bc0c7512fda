"""The demo school and the settings each environment insists on."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pupil_app import create_app
from pupil_app.auth import service as auth_service
from pupil_app.demo import DEMO_PASSWORD, load_demo
from pupil_app.extensions import db
from pupil_app.learning.models import ModuleProgress, QuizAttempt
from pupil_app.schools.models import Pupil, Role, School, SchoolClass, StaffUser


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (School, SchoolClass, Pupil, StaffUser, QuizAttempt))


def test_demo_school_has_every_role_and_is_idempotent(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0 and "Demo school loaded" in result.output
    with app.app_context():
        first = counts()
        classes = {c.name: c for c in db.session.scalars(
            select(SchoolClass).join(School).where(School.name == "Demo Primary"))}
        assert set(classes) == {"Reception", "Year 1", "Year 4", "Year 6"}
        for c in classes.values():
            assert 20 <= len(c.pupils) <= 28, c.name
        staff = {s.username: s for s in db.session.scalars(select(StaffUser))}
        assert staff["teacher.demo"].roles == {Role.TEACHER}
        assert {c.name for c in staff["teacher.demo"].classes} == {"Year 1", "Year 4"}
        assert Role.DSL in staff["dsl.demo"].roles and Role.ADMIN in staff["admin.demo"].roles
        assert staff["trust.demo"].roles == {Role.TRUST_ADMIN}
        # A second school of the trust, so the trust overview has schools to compare.
        schools = set(db.session.scalars(select(School.name)))
        assert schools == {"Demo Primary", "Hillside Primary"}
        for username, year in (("ks1.demo", "Year 1"), ("ks2.demo", "Year 4"), ("y6.demo", "Year 6")):
            pupil = db.session.scalar(select(Pupil).where(Pupil.username == username))
            assert pupil.school_class.name == year
            assert auth_service.verify_password(pupil.password_hash, DEMO_PASSWORD)
            # The demo pupils have done nothing yet, so they see the first-log-on journey.
            assert db.session.scalar(select(func.count()).select_from(ModuleProgress)
                                     .where(ModuleProgress.pupil_id == pupil.id)) == 0
        assert auth_service.picture_password_of(
            db.session.scalar(select(Pupil).where(Pupil.username == "ks1.demo"))) == ("cat", "sun", "boat")
        # Most pupils have realistic progress, so dashboards look real.
        with_progress = db.session.scalar(select(func.count(func.distinct(ModuleProgress.pupil_id))))
        assert with_progress > 0.6 * first[2]
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    with app.app_context():
        assert counts() == first


def test_demo_accounts_sign_in(app, runner, client):
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        assert auth_service.staff_sign_in("dsl.demo", DEMO_PASSWORD).ok
        assert auth_service.pupil_password_sign_in("ks2.demo", DEMO_PASSWORD).ok


def test_production_refuses_to_start_without_secret_and_database(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("APP_BASE_URL", "https://safe.school.example")
    with pytest.raises(RuntimeError, match="SECRET_KEY and DATABASE_URL"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app("production")


def test_production_never_loads_demo_data(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("APP_BASE_URL", "https://safe.school.example")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    monkeypatch.setenv("DATA_KEY_FILE", str(tmp_path / "data.key"))
    prod = create_app("production", DATA_KEY_FILE=tmp_path / "data.key")
    assert prod.config["SQLALCHEMY_DATABASE_URI"].endswith("prod.sqlite")
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    with prod.app_context():
        db.create_all()
        with pytest.raises(RuntimeError, match="never loaded in production"):
            load_demo()
        db.engine.dispose()


def test_data_key_file_is_created_once_and_kept(tmp_path):
    key = tmp_path / "instance" / "data.key"
    a = create_app("testing", DATA_KEY=None, DATA_KEY_FILE=key)
    first = key.read_bytes()
    create_app("testing", DATA_KEY=None, DATA_KEY_FILE=key)
    assert key.read_bytes() == first and (key.stat().st_mode & 0o777) == 0o600
    with a.app_context():
        from pupil_app import crypto

        assert crypto.decrypt(crypto.encrypt("cat sun boat")) == "cat sun boat"
        assert crypto.decrypt("not-a-token") is crypto.UNREADABLE  # never "no words"
