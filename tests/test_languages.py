"""Home languages: Polish, Romanian, Urdu and Arabic catalogues cover every pupil-facing string; a
school chooses which languages its pupils see and marks each catalogue reviewed; an MIS import presets
a pupil's language and never overrides the child's own choice."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from pupil_app.content import load_content
from pupil_app.extensions import db
from pupil_app.languages.pupil_facing import PUPIL_MESSAGES_IN_SHARED_CODE, is_pupil_facing
from pupil_app.schools.models import Pupil, Role

from .test_i18n import extracted_messages

ROOT = Path(__file__).resolve().parent.parent
HOME_LANGUAGES = ("pl", "ro", "ur", "ar")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
CONTENT = load_content(ROOT / "content")


def text(r) -> str:
    return r.get_data(as_text=True)


def csrf(client, url) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(client.get(url, follow_redirects=True))).group(1)


def pupil_entries():
    """(msgid, context) of every pupil-facing entry the code and content hold now (fresh extraction)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    locations: dict[tuple[str, str | None], list] = {}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
                "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}
    for filename, line, message, _comments, context in extract_from_dir(str(ROOT), method_map, options_map,
                                                                       keywords=keywords):
        msgid = message if isinstance(message, str) else message[0]
        locations.setdefault((msgid, context), []).append((filename, line))
    return {key for key, locs in locations.items() if is_pupil_facing(key[0], key[1], locs)}


@pytest.mark.parametrize("lang", HOME_LANGUAGES)
def test_every_pupil_facing_string_and_all_content_is_translated(lang):
    catalogue = read_po((ROOT / f"pupil_app/translations/{lang}/LC_MESSAGES/messages.po").open("rb"), locale=lang)
    translated = {}
    for m in catalogue:
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy:
            translated[((m.id if isinstance(m.id, str) else m.id[0]), m.context)] = m
    wanted = pupil_entries()
    missing = sorted(k[0] for k in wanted - set(translated))
    assert missing == [], f"{len(missing)} pupil-facing strings have no {lang} translation: {missing[:10]}"
    # Every module, pledge and outcome is among them: content is complete, not just the page chrome.
    for module in CONTENT.modules.values():
        assert (module.title, None) in wanted and all((s.text, None) in wanted for s in module.screens)
    for m in translated.values():
        if isinstance(m.id, str):
            assert set(PLACEHOLDER.findall(m.string)) == set(PLACEHOLDER.findall(m.id)), (lang, m.id)


def test_the_list_of_pupil_messages_in_shared_code_names_only_strings_that_exist():
    assert PUPIL_MESSAGES_IN_SHARED_CODE <= extracted_messages()


@pytest.mark.parametrize("lang", HOME_LANGUAGES)
def test_each_new_catalogue_ships_marked_drafted(lang):
    header = (ROOT / f"pupil_app/translations/{lang}/LC_MESSAGES/messages.po").read_text()[:2000]
    assert "drafted, awaiting review by a fluent speaker" in header


@pytest.fixture
def school(make_school):
    return make_school()


@pytest.fixture
def admin(school, make_staff):
    return make_staff(Role.ADMIN, school=school)


def test_admin_sees_each_catalogue_state_and_chooses_the_languages_pupils_see(
        app, client, school, admin, make_class, make_pupil, login_as):
    login_as(admin)
    url = f"/staff/admin/schools/{school.id}/languages/"
    page = text(client.get(url))
    for name in ("English", "Welsh", "Polish", "Romanian", "Urdu", "Arabic"):
        assert name in page
    assert page.count("drafted, awaiting review by a fluent speaker") == 5  # all but English
    r = client.post(url, data={"csrf_token": csrf(client, url), "offered": ["pl", "ur"]})
    assert r.status_code == 302
    assert "Pupils now see: English, Polish, Urdu." in text(client.get(url))

    pupil = make_pupil(make_class(4, school=school))
    pupil_client = app.test_client()
    login_as(pupil, test_client=pupil_client)
    home = text(pupil_client.get("/learn/"))
    switcher = re.findall(r'name="lang" value="(\w+)"', home)
    assert switcher == ["en", "pl", "ur"]  # Welsh is no longer offered by this school
    token = csrf(pupil_client, "/learn/")
    assert pupil_client.post("/language", data={"csrf_token": token, "lang": "cy"}).status_code == 400
    r = pupil_client.post("/language", data={"csrf_token": token, "lang": "ur", "next": "/learn/"})
    assert r.status_code == 302
    urdu = text(pupil_client.get("/learn/"))
    assert '<html lang="ur" dir="rtl">' in urdu and "Hello Sam!" not in urdu and "السلام علیکم Sam!" in urdu

    # The school stops offering Urdu: the child's pages fall back to English at once.
    client.post(url, data={"csrf_token": csrf(client, url), "offered": ["pl"]})
    assert '<html lang="en" dir="ltr">' in text(pupil_client.get("/learn/"))


def test_marking_a_catalogue_reviewed_is_recorded_and_can_be_undone(client, school, admin, login_as):
    login_as(admin)
    url = f"/staff/admin/schools/{school.id}/languages/"
    r = client.post(url + "ro/review", data={"csrf_token": csrf(client, url), "reviewed": "1"})
    assert r.status_code == 302
    page = text(client.get(url))
    assert page.count("drafted, awaiting review by a fluent speaker") == 4
    row = re.search(r'data-language="ro">(.*?)</tr>', page, re.S).group(1)
    assert "reviewed by Staff" in row and "Mark Romanian drafted again" in row
    client.post(url + "ro/review", data={"csrf_token": csrf(client, url), "reviewed": "0"})
    assert text(client.get(url)).count("drafted, awaiting review by a fluent speaker") == 5


def test_language_settings_are_refused_without_a_token_for_unknown_languages_and_for_other_schools(
        client, school, admin, make_school, make_staff, login_as):
    login_as(admin)
    url = f"/staff/admin/schools/{school.id}/languages/"
    token = csrf(client, url)
    assert client.post(url, data={"offered": ["pl"]}).status_code == 400  # no CSRF token
    assert client.post(url, data={"csrf_token": token, "offered": ["xx"]}).status_code == 400
    assert client.post(url + "en/review", data={"csrf_token": token, "reviewed": "1"}).status_code == 404
    assert client.post(url + "zz/review", data={"csrf_token": token, "reviewed": "1"}).status_code == 404
    assert client.post(url, json={"offered": ["pl"]}).status_code == 400
    other = make_school()
    assert client.get(f"/staff/admin/schools/{other.id}/languages/").status_code == 404
    assert client.post(f"/staff/admin/schools/{other.id}/languages/",
                       data={"csrf_token": token, "offered": ["pl"]}).status_code == 404


def upload(client, school_id, body: str):
    url = f"/staff/admin/schools/{school_id}/import"
    return client.post(url, data={"csrf_token": csrf(client, url),
                                  "file": (io.BytesIO(body.encode("utf-8")), "pupils.csv")},
                       content_type="multipart/form-data")


def apply(client, location):
    batch_id = location.rsplit("/", 1)[1]
    return client.post(f"/staff/admin/imports/{batch_id}/apply", data={"csrf_token": csrf(client, location)})


def language_of(app, upn):
    with app.app_context():
        p = db.session.scalar(select(Pupil).where(Pupil.upn == upn))
        return p.language, p.language_chosen_by_child, p.login_id if hasattr(p, "login_id") else p.get_id()


def test_mis_first_language_presets_a_pupil_and_never_overrides_the_childs_own_choice(
        app, client, school, admin, login_as):
    login_as(admin)
    header = "UPN,Legal Forename,Legal Surname,NC Year,Reg Group,First Language\r\n"
    first = header + ("A123456789012,Łucja,Wiśniewska,Year 4,Oak,POL\r\n"
                      "B123456789012,Ayaan,Khan,Year 4,Oak,Urdu\r\n"
                      "C123456789012,Ioana,Popescu,Year 4,Oak,Romanian\r\n"
                      "D123456789012,Layla,Haddad,Year 4,Oak,العربية\r\n")
    apply(client, upload(client, school.id, first).location)
    assert language_of(app, "A123456789012")[:2] == ("pl", False)
    assert language_of(app, "B123456789012")[:2] == ("ur", False)
    assert language_of(app, "C123456789012")[:2] == ("ro", False)
    assert language_of(app, "D123456789012")[:2] == ("ar", False)

    # Łucja taps English herself: that is her choice from now on.
    child = app.test_client()
    with child.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["signin_method"] = language_of(app, "A123456789012")[2], True, "password"
    child.post("/language", data={"csrf_token": csrf(child, "/learn/"), "lang": "en", "next": "/learn/"})
    assert language_of(app, "A123456789012")[:2] == ("en", True)

    # The next MIS import still says Polish (and Ayaan's record now says Arabic).
    second = header + ("A123456789012,Łucja,Wiśniewska,Year 4,Oak,Polish\r\n"
                       "B123456789012,Ayaan,Khan,Year 4,Oak,ARA\r\n"
                       "C123456789012,Ioana,Popescu,Year 4,Oak,Romanian\r\n"
                       "D123456789012,Layla,Haddad,Year 4,Oak,العربية\r\n")
    preview = upload(client, school.id, second)
    html = text(client.get(preview.location))
    assert "keeps the language the child chose (en)" in html
    apply(client, preview.location)
    assert language_of(app, "A123456789012")[:2] == ("en", True)  # the child's own choice stands
    assert language_of(app, "B123456789012")[:2] == ("ar", False)  # never chosen by the child: follows the MIS


@pytest.mark.parametrize("lang", HOME_LANGUAGES)
def test_pupil_pages_and_content_read_in_each_home_language(app, lang, make_school, make_class, make_pupil,
                                                            make_staff, login_as):
    school = make_school()
    admin = make_staff(Role.ADMIN, school=school)
    staff_client = app.test_client()
    login_as(admin, test_client=staff_client)
    url = f"/staff/admin/schools/{school.id}/languages/"
    staff_client.post(url, data={"csrf_token": csrf(staff_client, url), "offered": [lang]})
    pupil = make_pupil(make_class(4, school=school), first_name="Mia")
    c = app.test_client()
    login_as(pupil, test_client=c)
    c.post("/language", data={"csrf_token": csrf(c, "/learn/"), "lang": lang, "next": "/learn/"})
    module = CONTENT.modules["ks2-contact"]
    direction = "rtl" if lang in ("ur", "ar") else "ltr"
    pages = ["/learn/", f"/learn/{module.id}/1", f"/learn/{module.id}/{len(module.screens)}", "/pledge/mine",
             "/tell", "/calm"]
    for path in pages:
        r = c.get(path, follow_redirects=True)
        html = text(r)
        assert r.status_code == 200, path
        assert f'<html lang="{lang}" dir="{direction}">' in html, path
        for english in ("Tell an adult", "Hide this page", "I've finished", module.screens[0].text):
            assert english not in html, (path, english)


def test_a_class_sign_in_page_offers_only_its_schools_languages(app, client, school, admin, make_class, make_pupil,
                                                                 login_as):
    staff = app.test_client()
    login_as(admin, test_client=staff)
    url = f"/staff/admin/schools/{school.id}/languages/"
    staff.post(url, data={"csrf_token": csrf(staff, url), "offered": ["ro"]})
    year1 = make_class(1, school=school)
    pupil = make_pupil(year1, password=None)
    for path in (f"/class/{year1.token}", f"/class/{year1.token}/{pupil.id}"):
        assert re.findall(r'name="lang" value="(\w+)"', text(client.get(path))) == ["en", "ro"]
    # Arabic chosen on the general sign-in page is not this school's: its class page stays in English.
    client.post("/language", data={"csrf_token": csrf(client, "/sign-in"), "lang": "ar"})
    assert '<html lang="en" dir="ltr">' in text(client.get(f"/class/{year1.token}"))
    assert '<html lang="ar" dir="rtl">' in text(client.get("/sign-in"))


def test_a_pupil_page_keeps_its_language_when_the_language_settings_cannot_be_read(
        app, make_pupil, login_as, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from pupil_app.languages import service

    pupil = make_pupil(year_group=4, first_name="Ola")
    c = app.test_client()
    login_as(pupil, test_client=c)
    c.post("/language", data={"csrf_token": csrf(c, "/learn/"), "lang": "cy", "next": "/learn/"})

    def away(_school_id):
        raise OperationalError("SELECT school_languages", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(service, "offered", away)
    r = c.get("/learn/")
    assert r.status_code == 200 and '<html lang="cy" dir="ltr">' in text(r) and "Hello Ola!" not in text(r)
