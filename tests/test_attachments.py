"""Attachments on concerns: type from content, encrypted at rest, downloaded never inline, every view audited."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from pupil_app.concerns.models import AuditEvent, Concern
from pupil_app.extensions import db
from pupil_app.records.models import Attachment
from pupil_app.schools.models import Role

from .concern_flow import csrf_of, tell
from .helpers import Ids

MARKER = "Zebra-Quokka-7781 chat log line"


def png_bytes(colour=(200, 30, 30), size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def case(app, make_school, make_class, make_pupil, make_staff, login_as):
    school = make_school()
    year4 = make_class(4, school=school)
    pupil = make_pupil(year4, first_name="Amy")
    tell(login_as(pupil, test_client=app.test_client()), words="Someone sent me a picture.")
    with app.app_context():
        concern_id = db.session.scalar(select(Concern.id))
    dsl = make_staff(Role.DSL, school=school)
    return Ids(school=school, concern_id=concern_id, dsl=dsl, client=login_as(dsl, test_client=app.test_client()),
               teacher=make_staff(Role.TEACHER, classes=(year4,)))


def attach(client, concern_id, data: bytes, filename: str, content_type="application/octet-stream"):
    page = client.get(f"/staff/concerns/{concern_id}").get_data(as_text=True)
    return client.post(f"/staff/concerns/{concern_id}/attachments", content_type="multipart/form-data",
                       data={"csrf_token": csrf_of(page), "file": (io.BytesIO(data), filename, content_type)})


def stored(app) -> list[Attachment]:
    with app.app_context():
        rows = list(db.session.scalars(select(Attachment).order_by(Attachment.id)))
        db.session.expunge_all()
        return rows


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("attachment.%"))
                                       .order_by(AuditEvent.id)))


def test_a_screenshot_is_kept_shown_as_a_server_made_thumbnail_and_downloaded_with_safe_headers(app, case):
    picture = png_bytes()
    r = attach(case.client, case.concern_id, picture, "chat screenshot.png", "image/png")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/staff/concerns/{case.concern_id}#attachments")
    [row] = stored(app)
    assert (row.mime, row.size) == ("image/png", len(picture))
    page = case.client.get(f"/staff/concerns/{case.concern_id}").get_data(as_text=True)
    assert "chat screenshot.png" in page and f"/staff/attachments/{row.id}/thumbnail.png" in page

    thumb = case.client.get(f"/staff/attachments/{row.id}/thumbnail.png")
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    assert thumb.headers["Cache-Control"] == "no-store"
    with Image.open(io.BytesIO(thumb.data)) as img:
        assert img.format == "PNG" and max(img.size) <= 320

    download = case.client.get(f"/staff/attachments/{row.id}")
    assert download.data == picture and download.mimetype == "image/png"
    assert download.headers["Content-Disposition"] == 'attachment; filename="chat screenshot.png"'
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert actions(app) == ["attachment.added", "attachment.thumbnail", "attachment.viewed"]


def test_type_comes_from_content_not_the_name(app, case):
    # A PNG renamed .pdf is kept as the PNG it is, and downloads as one.
    assert attach(case.client, case.concern_id, png_bytes(), "letter.pdf", "application/pdf").status_code == 303
    row = stored(app)[0]
    assert row.mime == "image/png"
    download = case.client.get(f"/staff/attachments/{row.id}")
    assert download.mimetype == "image/png" and download.headers["Content-Disposition"] == "attachment; filename=letter.png"


@pytest.mark.parametrize("data, name", [
    (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "notes.txt"),
    (b"<html><body onload=\"fetch('/staff/concerns.csv')\">hi</body></html>", "page.html"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "pic.png"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "drawing.svg"),
    (b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 20, "broken.png"),
    (b"%PDF-1.7\n1 0 obj << /Type /Action /S /JavaScript /JS (app.alert(1)) >> endobj\n%%EOF", "form.pdf"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "setup.txt"),
    (b"", "empty.txt"),
])
def test_active_or_unknown_files_are_refused_and_nothing_is_kept(app, case, data, name):
    r = attach(case.client, case.concern_id, data, name, "text/plain")
    assert r.status_code == 400
    assert "was not attached" in r.get_data(as_text=True)
    assert stored(app) == [] and actions(app) == []


def test_a_file_over_8_mb_is_refused_with_a_clear_message(app, case):
    just_over = attach(case.client, case.concern_id, b"a" * (8 * 1024 * 1024 + 10), "big.txt", "text/plain")
    assert just_over.status_code == 400 and "bigger than 8 MB" in just_over.get_data(as_text=True)
    far_over = attach(case.client, case.concern_id, b"a" * (9 * 1024 * 1024), "bigger.txt", "text/plain")
    assert far_over.status_code == 413 and "bigger than 8 MB" in far_over.get_data(as_text=True)
    assert stored(app) == []


def test_plain_text_and_pdf_are_kept(app, case):
    assert attach(case.client, case.concern_id, f"{MARKER}\nSecond line".encode(), "log.txt").status_code == 303
    assert attach(case.client, case.concern_id, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF",
                  "referral.pdf").status_code == 303
    assert [(a.mime, a.thumb_enc) for a in stored(app)] == [("text/plain", None), ("application/pdf", None)]


def test_the_file_and_its_name_are_not_in_the_database_or_on_disk_in_clear(app, case):
    picture = png_bytes(colour=(1, 2, 3))
    attach(case.client, case.concern_id, MARKER.encode(), "Secret-Filename-Quokka.txt")
    attach(case.client, case.concern_id, picture, "screenshot.png")
    with app.app_context():
        dump = " ".join(" ".join(str(v) for v in row) for row in
                        db.session.execute(text("SELECT * FROM attachments")).all())
        url = make_url(db.engine.url)
    assert MARKER not in dump and "Quokka" not in dump and picture.hex()[:64] not in dump
    if url.get_backend_name() == "sqlite" and url.database and os.path.exists(url.database):
        raw = b"".join(open(p, "rb").read() for p in (url.database, url.database + "-wal") if os.path.exists(p))
        assert MARKER.encode() not in raw and b"Quokka" not in raw and picture[16:200] not in raw
    download = case.client.get(f"/staff/attachments/{stored(app)[0].id}")
    assert download.data == MARKER.encode()


def test_only_the_schools_dsl_with_a_fresh_factor_reaches_a_file(app, case, make_staff, login_as):
    attach(case.client, case.concern_id, png_bytes(), "screenshot.png")
    row_id = stored(app)[0].id
    teacher = login_as(case.teacher, test_client=app.test_client())
    assert teacher.get(f"/staff/attachments/{row_id}").status_code == 403
    other = login_as(make_staff(Role.DSL), test_client=app.test_client())
    assert other.get(f"/staff/attachments/{row_id}").status_code == 404
    assert other.get(f"/staff/attachments/{row_id}/thumbnail.png").status_code == 404
    # a missing id in range reaches the view and is audited like another school's file; one no database
    # integer can hold is a 404 from the router (guards.py) and cannot name any file, so it is not
    assert other.get(f"/staff/attachments/{2**31 - 1}").status_code == 404
    assert other.get("/staff/attachments/99999999999").status_code == 404
    with case.client.session_transaction() as sess:
        sess["mfa_at"] = 0
    r = case.client.get(f"/staff/attachments/{row_id}")
    assert r.status_code == 302 and r.headers["Location"] == "/staff/second-factor"
    assert actions(app) == ["attachment.added"] + ["attachment.refused"] * 3


def test_an_upload_without_its_form_token_is_refused(app, case):
    r = case.client.post(f"/staff/concerns/{case.concern_id}/attachments", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(png_bytes()), "x.png", "image/png")})
    assert r.status_code == 400 and stored(app) == []
