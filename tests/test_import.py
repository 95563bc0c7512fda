"""Pupil import from an MIS CSV: preview, then all or nothing; the same file twice changes nothing;
bad files and bad rows are reported with their reason and nothing is imported."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from pupil_app.admin import import_rows, importer
from pupil_app.admin.models import ImportBatch
from pupil_app.auth import service as auth_service
from pupil_app.extensions import db
from pupil_app.schools.models import Pupil, Role, SchoolClass

GOOD = (
    "UPN,Legal Forename,Legal Surname,NC Year,Reg Group,First Language\r\n"
    "A123456789012,Zoë,O'Neill,Year 3,Oak,Welsh\r\n"
    "B123456789012,Kofi,Mensah,Y3,Oak,English\r\n"
    ",Łukasz,Nowak,3,Oak,Tigrinya\r\n"
    ",Amelia,Jones,Reception,Robins,\r\n"
)


def text(r) -> str:
    return r.get_data(as_text=True)


def errors_part(r) -> str:
    """The preview's "Rows to correct" table: each row with an error, once, at the top."""
    return text(r).split('id="errors"')[1].split("</table>")[0]


def csrf(client, url) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(client.get(url))).group(1)


def upload(client, school_id, data: bytes | str, name="pupils.csv"):
    url = f"/staff/admin/schools/{school_id}/import"
    body = data.encode("utf-8") if isinstance(data, str) else data
    return client.post(url, data={"csrf_token": csrf(client, url), "file": (io.BytesIO(body), name)},
                       content_type="multipart/form-data")


def apply(client, location):
    batch_id = location.rsplit("/", 1)[1]
    return client.post(f"/staff/admin/imports/{batch_id}/apply", data={"csrf_token": csrf(client, location)})


def pupil_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Pupil))


@pytest.fixture
def school(make_school):
    return make_school()


@pytest.fixture
def admin(school, make_staff, login_as):
    who = make_staff(Role.ADMIN, school=school)
    login_as(who)
    return who


def test_preview_then_apply_creates_classes_and_pupils(app, client, admin, school):
    r = upload(client, school.id, GOOD)
    assert r.status_code == 303
    preview = client.get(r.location)
    html = text(preview)
    assert preview.status_code == 200
    assert "4 new pupils" in html and "0 rows with errors" in html
    assert "New classes:" in html and "Oak (Year 3)" in html and "Robins (Reception)" in html
    assert "language &#39;Tigrinya&#39; is not offered yet" in html or "language 'Tigrinya' is not offered yet" in html
    assert pupil_count(app) == 0  # a preview saves no pupil
    done = apply(client, r.location)
    assert done.status_code == 303
    html = text(client.get(done.location))
    assert "4 new pupils, 0 updated, 0 unchanged, 2 new classes." in html
    assert "Print sign-in cards for Oak" in html and "Print sign-in cards for Robins" in html
    with app.app_context():
        zoe = db.session.scalar(select(Pupil).where(Pupil.upn == "A123456789012"))
        assert (zoe.first_name, zoe.last_name, zoe.language, zoe.username) == ("Zoë", "O'Neill", "cy", "zoe.o")
        assert zoe.school_class.name == "Oak" and zoe.school_class.year_group == 3
        assert zoe.password_hash is None and zoe.picture_password is None  # KS2: password on the printed card
        amelia = db.session.scalar(select(Pupil).where(Pupil.first_name == "Amelia"))
        assert auth_service.picture_password_of(amelia) is not None  # Reception: pictures from the start
        assert db.session.scalar(select(Pupil.language).where(Pupil.first_name == "Łukasz")) is None
        batch = db.session.scalar(select(ImportBatch))
        assert batch.status == "applied" and batch.content is None  # the file's text is not kept


def test_importing_the_same_file_again_changes_nothing(app, client, admin, school):
    first = upload(client, school.id, GOOD)
    apply(client, first.location)
    with app.app_context():
        before = sorted((p.id, p.username, p.first_name, p.class_id) for p in db.session.scalars(select(Pupil)))
    again = upload(client, school.id, GOOD)
    html = text(client.get(again.location))
    assert "4 unchanged" in html and "importing it would change nothing" in html
    assert "Import:" not in html
    apply(client, again.location)
    with app.app_context():
        after = sorted((p.id, p.username, p.first_name, p.class_id) for p in db.session.scalars(select(Pupil)))
        assert db.session.scalar(select(func.count()).select_from(SchoolClass)) == 2
    assert before == after


def test_a_changed_file_updates_the_pupils_it_names(app, client, admin, school):
    apply(client, upload(client, school.id, GOOD).location)
    changed = GOOD.replace("Kofi,Mensah,Y3,Oak", "Kofi,Mensah-Boateng,Y3,Ash").replace(",Amelia,Jones", ",Amelia,Jones")
    r = upload(client, school.id, changed)
    html = text(client.get(r.location))
    assert "1 pupil updated" in html and "name Kofi Mensah → Kofi Mensah-Boateng" in html
    assert "class Oak → Ash" in html and "3 unchanged" in html
    apply(client, r.location)
    with app.app_context():
        kofi = db.session.scalar(select(Pupil).where(Pupil.upn == "B123456789012"))
        assert kofi.last_name == "Mensah-Boateng" and kofi.school_class.name == "Ash"


def test_applying_twice_imports_once(app, client, admin, school):
    r = upload(client, school.id, GOOD)
    apply(client, r.location)
    apply(client, r.location)
    assert pupil_count(app) == 4


def test_apply_checks_again_and_refuses_if_the_school_changed(app, client, admin, school, make_class):
    r = upload(client, school.id, GOOD)
    make_class(5, school=school, name="Oak")  # meanwhile someone made Oak a Year 5 class
    refused = apply(client, r.location)
    assert refused.status_code == 409 and "Nothing was imported" in text(refused)
    assert "class Oak is Year 5 here, but the file says Year 3" in text(refused)
    assert pupil_count(app) == 0


def test_a_failure_half_way_leaves_nothing_behind(app, client, admin, school, monkeypatch):
    r = upload(client, school.id, GOOD)
    real = importer.pupil_accounts.give_first_credentials
    calls = {"n": 0}

    def fail_on_the_third(pupil, year):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("disk full")
        return real(pupil, year)

    monkeypatch.setattr(importer.pupil_accounts, "give_first_credentials", fail_on_the_third)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        assert apply(client, r.location).status_code == 500
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert pupil_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SchoolClass)) == 0
        assert db.session.scalar(select(ImportBatch.status)) == "preview"


# --- bad files ----------------------------------------------------------------------------------------

def test_missing_column_is_named_and_nothing_imported(app, client, admin, school):
    r = upload(client, school.id, "UPN,First name,Last name,Class\n,Ann,Bee,Oak\n")
    assert r.status_code == 400 and "The file has no column for: year group." in text(r)
    assert pupil_count(app) == 0


@pytest.mark.parametrize("row, reason", [
    (",Ann,Bee,Year 19,Oak", "year group &#39;Year 19&#39; is not a primary year (Reception to Year 6)"),
    (",Ann,Bee,,Oak", "year group is empty"),
    (",=HYPERLINK(\"http://x\"),Bee,3,Oak", "first name starts with &#39;=&#39;, like a spreadsheet formula"),
    (",+Ann,Bee,3,Oak", "first name starts with &#39;+&#39;, like a spreadsheet formula"),
    (",Ann,@Bee,3,Oak", "last name starts with &#39;@&#39;, like a spreadsheet formula"),
    (",Ann,Bee,3,-Oak", "class starts with &#39;-&#39;, like a spreadsheet formula"),
    (",,Bee,3,Oak", "first name is empty"),
    ("12345,Ann,Bee,3,Oak", "UPN &#39;12345&#39; is not a UPN"),
    (",Ann<b>,Bee,3,Oak", "first name has a character a name does not have"),
    (",Ann,Bee,3," + "x" * 61, "class is longer than 60 characters"),
])
def test_a_bad_row_is_reported_with_its_reason_and_nothing_imported(app, client, admin, school, row, reason):
    r = upload(client, school.id, "UPN,First name,Last name,Year group,Class\n,Good,Pupil,3,Oak\n" + row + "\n")
    html = text(r)
    assert r.status_code == 422
    error_row = html.split('<td class="num">3</td>')[1].split("</tr>")[0]
    assert reason in error_row, error_row
    assert "1 row with an error" in html and "Nothing can be imported" in html and "Import:" not in html
    assert pupil_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_duplicate_upn_marks_both_rows(app, client, admin, school):
    r = upload(client, school.id, "UPN,First name,Last name,Year group,Class\n"
                                  "A123456789012,Ann,Bee,3,Oak\nA123456789012,Cat,Dee,3,Oak\n")
    assert r.status_code == 422
    assert errors_part(r).count("UPN A123456789012 is on more than one row (rows 2, 3)") == 2
    assert pupil_count(app) == 0


def test_a_class_with_two_year_groups_in_the_file_is_an_error(client, admin, school):
    r = upload(client, school.id, "First name,Last name,Year group,Class\nAnn,Bee,3,Oak\nCat,Dee,4,Oak\n")
    assert r.status_code == 422 and errors_part(r).count("class Oak has more than one year group in the file") == 2


def test_same_name_in_another_year_without_upn_is_not_a_silent_duplicate(app, client, admin, school, make_class,
                                                                        make_pupil):
    ann = make_pupil(make_class(4, school=school, name="Ash"), first_name="Ann")
    with app.app_context():
        db.session.get(Pupil, ann.id).last_name = "Bee"
        db.session.commit()
    r = upload(client, school.id, "First name,Last name,Year group,Class\nAnn,Bee,5,Elm\n")
    assert r.status_code == 422 and "Ann Bee is already in Ash (Year 4), but the file says Year 5" in text(r)


def test_a_windows_1252_file_is_read_and_said_so(app, client, admin, school):
    data = "First name,Last name,Year group,Class\nAnn,Bee,3,Oak\nZoë,Müller,3,Oak\n".encode("cp1252")
    r = upload(client, school.id, data)
    assert r.status_code == 303
    html = text(client.get(r.location))
    assert "Zoë Müller" in html and "Windows-1252" in html
    assert apply(client, r.location).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Pupil.last_name).where(Pupil.first_name == "Zoë")) == "Müller"


def test_bytes_that_are_neither_utf8_nor_windows_1252_are_reported_per_row(app, client, admin, school):
    data = b"First name,Last name,Year group,Class\nAnn,Bee,3,Oak\nZo\x81,Bee,3,Oak\n"
    r = upload(client, school.id, data)
    html = text(r)
    assert r.status_code == 422
    row = html.split('<td class="num">3</td>')[1].split("</tr>")[0]
    assert "characters that are not UTF-8 text (bytes 0x81 in the first name)" in row and "CSV UTF-8" in row
    assert pupil_count(app) == 0


@pytest.mark.parametrize("data, message", [
    (b"PK\x03\x04binary-xlsx", "This is an Excel workbook, not a CSV file"),
    ("\ufeffFirst name".encode("utf-16"), "UTF-16"),
    (b"", "The file is empty."),
    (b"First name,Last name,Year group,Class\n", "column names but no pupils"),
    (b"\x00\x01\x02\x03", "does not look like a CSV text file"),
])
def test_files_that_are_not_pupil_csvs_get_a_clear_message(app, client, admin, school, data, message):
    r = upload(client, school.id, data)
    assert r.status_code == 400 and message in text(r)
    assert pupil_count(app) == 0


def test_fifty_thousand_rows_are_refused_clearly(app, client, admin, school):
    data = "UPN,Legal Forename,Legal Surname,NC Year,Reg Group,First Language\n" + "".join(
        f"A{n:012d},Annabelle,Bee-Johnson,Year 3,Oak Class,English\n" for n in range(50_000))
    assert len(data) > 2 * 1024 * 1024  # more than the app's usual upload limit
    r = upload(client, school.id, data)  # how long it takes is measured by bench/imports.py
    assert r.status_code == 400
    assert "The file has 50,000 pupil rows; one import takes at most 3,000. Nothing was imported." in text(r)
    assert pupil_count(app) == 0


def test_a_file_over_the_upload_limit_gets_a_message_not_a_crash(app, client, admin, school):
    r = upload(client, school.id, b"a" * (import_rows.MAX_UPLOAD_BYTES + 10))
    assert r.status_code == 413 and "Nothing was imported" in text(r)


def test_over_a_megabyte_under_the_row_limit_is_refused(client, admin, school):
    data = "First name,Last name,Year group,Class,Notes\n" + "".join(
        f"Ann,Bee,3,Oak,{'x' * 400}\n" for _ in range(2_900))
    r = upload(client, school.id, data)
    assert r.status_code == 400 and "the limit is 1,000 KB" in text(r)


def test_import_needs_the_csrf_token(app, client, admin, school):
    r = client.post(f"/staff/admin/schools/{school.id}/import",
                    data={"file": (io.BytesIO(GOOD.encode()), "p.csv")}, content_type="multipart/form-data")
    assert r.status_code == 400 and pupil_count(app) == 0


def test_another_schools_import_cannot_be_seen_or_applied(app, client, admin, school, make_school, make_staff,
                                                          login_as):
    r = upload(client, school.id, GOOD)
    login_as(make_staff(Role.ADMIN, school=make_school()))
    assert client.get(r.location).status_code == 404
    batch_id = r.location.rsplit("/", 1)[1]
    token = csrf(client, "/staff/")
    assert client.post(f"/staff/admin/imports/{batch_id}/apply", data={"csrf_token": token}).status_code == 404
    assert pupil_count(app) == 0


def test_year_group_spellings_of_school_systems():
    assert [import_rows.parse_year(v) for v in ("R", "Rec", "Reception", "YR", "Year R", "Y1", "Year 6", "NC Year 4",
                                             "2", "year_3")] == [0, 0, 0, 0, 0, 1, 6, 4, 2, 3]
    assert [import_rows.parse_year(v) for v in ("N1", "Year 7", "10", "", "six")] == [None] * 5


def test_template_file_imports_cleanly(app, client, admin, school):
    template = text(client.get("/staff/admin/import-template.csv")).lstrip("\ufeff")
    r = upload(client, school.id, template)
    assert r.status_code == 303 and "2 new pupils" in text(client.get(r.location))


def test_cells_quoted_in_messages_are_escaped(client, admin, school):
    r = upload(client, school.id, "First name,Last name,Year group,Class\nAnn,Bee,<script>alert(1)</script>,Oak\n")
    assert r.status_code == 422
    assert "<script>alert(1)" not in text(r) and "&lt;script&gt;alert(1)" in text(r)
