"""Printed records in Chromium, read back from the PDF: no blank first page, folded names printed, and
every page of a concern saying whose it is, which concern, which page, and OFFICIAL-SENSITIVE."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from pupil_app.concerns import handling, telling
from pupil_app.concerns.models import Concern
from pupil_app.extensions import db
from pupil_app.schools.models import Pupil, Role, StaffUser

from ..helpers import PASSWORD
from .mfa_steps import pass_second_factor

pytestmark = pytest.mark.browser


def _sign_in(tab, username):
    tab.goto("/staff/sign-in")
    tab.page.fill("#username", username)
    tab.page.fill("#password", PASSWORD)
    tab.page.press("#password", "Enter")
    pass_second_factor(tab.page)
    tab.page.wait_for_selector("h1:has-text('My classes'), h1:has-text('Safeguarding today')")


def _pages(tab) -> list[str]:
    tab.page.emulate_media(media="print")
    pdf = tab.page.pdf(format="A4", display_header_footer=False)
    tab.page.emulate_media(media="screen")
    # NFKC: the PDF's text keeps typographic ligatures ("ﬁ" in Ffion).
    return [unicodedata.normalize("NFKC", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_printed_concern_names_the_child_the_concern_and_the_page_on_every_page(tab, app, make_class, make_pupil,
                                                                                  make_staff):
    year5 = make_class(5, name="Year 5")
    child = make_pupil(year5, first_name="Ffion")
    dsl = make_staff(Role.DSL, classes=(year5,))
    with app.app_context():
        pupil = db.session.get(Pupil, child.id)
        concern, _new = telling.submit(pupil, telling.new_key(), telling.Answers(feeling="scared", words="A " * 300))
        staff = db.session.get(StaffUser, dsl.id)
        for n in range(40):  # a long chronology: the record runs over several pages
            handling.add_entry(staff, concern, "action", f"Step {n}: spoke with the class teacher and the family "
                               "about what was seen online and what happens next.", None)
        db.session.commit()
        cid, name = concern.id, pupil.full_name
    with app.app_context():
        username = db.session.scalar(select(StaffUser.username).where(StaffUser.id == dsl.id))
    _sign_in(tab, username)
    tab.goto(f"/staff/concerns/{cid}/print")
    pages = _pages(tab)
    assert len(pages) >= 2
    assert len(pages[0].splitlines()) > 15, pages[0]  # page 1 is not left nearly blank
    for number, text in enumerate(pages, 1):
        assert "OFFICIAL-SENSITIVE" in text and f"Concern #{cid}" in text and name in text, (number, text[:200])
        assert re.search(rf"\b{number} / {len(pages)}\b", text), (number, text[-200:])
    with app.app_context():
        assert db.session.get(Concern, cid) is not None


def test_the_outcomes_print_shows_the_names_inside_folded_lists(tab, app, make_class, make_pupil, make_staff):
    year4 = make_class(4, name="Year 4")
    for first in ("Aled", "Bethan", "Cerys"):
        make_pupil(year4, first_name=first)
    teacher = make_staff(Role.TEACHER, classes=(year4,))
    with app.app_context():
        username = db.session.scalar(select(StaffUser.username).where(StaffUser.id == teacher.id))
    _sign_in(tab, username)
    tab.goto(f"/staff/coverage/classes/{year4.id}/questions")
    assert not tab.page.locator("details[open]").count()  # folded on screen
    printed = "\n".join(_pages(tab))
    for first in ("Aled", "Bethan", "Cerys"):
        assert first in printed
