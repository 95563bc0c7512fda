"""Every pupil-facing string is translatable; Welsh is complete; a pupil switches with one tap."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CY = ROOT / "pupil_app/translations/cy/LC_MESSAGES/messages.po"


def csrf(client, url):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def extracted_messages() -> set[str]:
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2),
                                                           "_l": None, "lazy_gettext": None,
                                                           "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_welsh_catalogue_translates_every_string_of_the_app_and_its_content():
    catalogue = read_po(CY.open("rb"), locale="cy")
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalogue
                  if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    missing = sorted(extracted_messages() - translated)
    assert missing == [], f"{len(missing)} strings have no Welsh translation (run make extract-translations): {missing[:10]}"


def test_pupil_switches_to_welsh_with_one_tap_and_it_is_remembered(app, client, make_pupil, login_as):
    pupil = make_pupil(year_group=4, first_name="Cerys")
    login_as(pupil)
    assert "Hello Cerys!" in client.get("/learn/").get_data(as_text=True)
    r = client.post("/language", data={"csrf_token": csrf(client, "/learn/"), "lang": "cy", "next": "/learn/"})
    assert r.status_code == 302 and r.location == "/learn/"
    html = client.get("/learn/").get_data(as_text=True)
    assert '<html lang="cy" dir="ltr">' in html
    assert "Hello Cerys!" not in html and "Cerys" in html
    # Content is translated too: a lesson screen reads in Welsh.
    lesson = client.get("/learn/ks2-content/1").get_data(as_text=True)
    assert 'lang="cy"' in lesson
    from pupil_app.content import load_content

    screen = load_content(ROOT / "content").modules["ks2-content"].screens[0]
    assert screen.text not in lesson
    # Remembered on the pupil's record, so the next sign-in is in Welsh too.
    from pupil_app.extensions import db
    from pupil_app.schools.models import Pupil

    with app.app_context():
        assert db.session.get(Pupil, pupil.id).language == "cy"


def test_language_choice_refuses_unknown_languages_and_foreign_redirects(client):
    token = csrf(client, "/sign-in")
    assert client.post("/language", data={"csrf_token": token, "lang": "xx"}).status_code == 400
    r = client.post("/language", data={"csrf_token": token, "lang": "cy", "next": "https://evil.example/"})
    assert r.status_code == 302 and r.location == "/"


def test_right_to_left_language_sets_the_page_direction(client):
    token = csrf(client, "/sign-in")
    client.post("/language", data={"csrf_token": token, "lang": "ar"})
    html = client.get("/sign-in").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
