"""The smaller fixes of the pupil pages, as a child (or their screen reader) meets them."""

from __future__ import annotations

import re

from pupil_app.content import load_content

from .content_factory import REAL
from .test_offline import csrf

CONTENT = load_content(REAL)


def test_a_story_has_its_own_heading_before_it_so_heading_navigation_finds_it(client, make_pupil, login_as):
    module = next(m for m in CONTENT.modules.values() if m.band == "ks2" and any(q.scenario for q in m.questions))
    login_as(make_pupil(year_group=4))
    url = client.post(f"/learn/{module.id}/quiz", data={"csrf_token": csrf(client, f"/learn/{module.id}/1")}).location
    for question in module.questions:
        html = client.get(url).get_data(as_text=True)
        if question.scenario:
            break
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        url = client.post(url, data={"csrf_token": token, "question": question.id,
                                     "answer": question.correct_answer[0]}).location
    story = html.find('class="question__scenario"')
    headings_before = re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", html[:story], re.S)
    assert story > 0 and headings_before[-1] == "The story"
    assert html.find('class="question__prompt"') > story  # the question comes after its story


def test_signed_out_tell_an_adult_offers_the_class_page_the_child_came_from(client, make_class):
    year1 = make_class(1)
    page = client.get("/tell", query_string={"from": f"/class/{year1.token}/5"}).get_data(as_text=True)
    assert f'data-primary href="/class/{year1.token}"' in page
    page = client.get("/tell").get_data(as_text=True)
    assert 'data-primary href="/sign-in"' in page


def test_every_pupil_page_reserves_the_read_aloud_buttons_place(client, make_class):
    page = client.get(f"/class/{make_class(1).token}").get_data(as_text=True)
    assert re.search(r'class="tool-button tool-button--compact read-aloud" data-read-aloud hidden', page)
    css = client.get("/static/css/app.css").get_data(as_text=True)
    assert ".read-aloud[hidden]" in css and "visibility: hidden" in css  # hidden, but its space is kept
