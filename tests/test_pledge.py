"""The Acceptable Use pledge: the first-log-on gate, signing, versions, staff pages, parent links."""

from __future__ import annotations

import hashlib
import html as htmllib
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pupil_app.access import PUPIL, access_of
from pupil_app.content import load_content
from pupil_app.crypto import token_hash
from pupil_app.extensions import db
from pupil_app.learning.models import ModuleProgress
from pupil_app.pledge import parents, rules, service, versions
from pupil_app.pledge.models import ImmutableRecord, ParentAcknowledgement, ParentLink, PledgeSignature, PledgeVersion
from pupil_app.pledge.views.common import ALLOWED_BLUEPRINTS, ALLOWED_ENDPOINTS
from pupil_app.schools.models import Pupil, Role, SchoolClass

from .content_factory import REAL
from .helpers import SAMPLE, Ids

CONTENT = load_content(REAL)
KS1, KS2 = CONTENT.pledges["ks1"], CONTENT.pledges["ks2"]


def text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def csrf(client, url) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def field(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def make_promises(client, count: int) -> None:
    """Tap 'I promise' on each screen in turn, as a child would."""
    for n in range(1, count + 1):
        page = client.get(f"/pledge/{n}").get_data(as_text=True)
        r = client.post(f"/pledge/{n}", data={"csrf_token": field(page, "csrf_token"),
                                               "promise": field(page, "promise"), "version": field(page, "version")})
        assert r.status_code == 302, (n, r.status_code)


def sign_form(client) -> dict:
    page = client.get("/pledge/sign").get_data(as_text=True)
    return {k: field(page, k) for k in ("csrf_token", "version", "text_hash", "pupil")}


def signatures(app, pupil_id: int | None = None) -> list[PledgeSignature]:
    with app.app_context():
        query = select(PledgeSignature).order_by(PledgeSignature.id)
        if pupil_id is not None:
            query = query.where(PledgeSignature.pupil_id == pupil_id)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def expected_hash(pledge, gettext=lambda s: s) -> str:
    lines = [pledge.title] + [f"{n}. {gettext(s.text)}" for n, s in enumerate(pledge.statements, 1)]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def fresh(app, login_as, who):
    """A new browser session for ``who`` (their next sign-in; an earlier sign-out ended the old ones)."""
    kind, ident, _version = who.login_id.split(":")
    with app.app_context():
        model = Pupil if kind == "pupil" else __import__("pupil_app.schools.models", fromlist=["StaffUser"]).StaffUser
        current = db.session.get(model, int(ident)).get_id()
    client = app.test_client()
    login_as(Ids(login_id=current), test_client=client)
    return client


# ---------------------------------------------------------------- the first-log-on gate

def _url(rule):
    return rule.build({k: SAMPLE[k] for k in rule.arguments}, append_unknown=False)[1]


def test_unsigned_pupil_reaches_only_the_pledge_tell_an_adult_and_sign_out_on_every_route(app, make_pupil,
                                                                                           login_as, csrf_off):
    """Walk the whole URL map as a pupil who has not signed: everything but the allow-list sends them to the pledge."""
    pupil = make_pupil(year_group=4, pledged=False)
    problems, checked = [], 0
    for rule in app.url_map.iter_rules():
        allowed = rule.endpoint in ALLOWED_ENDPOINTS or rule.endpoint.split(".")[0] in ALLOWED_BLUEPRINTS
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            client = fresh(app, login_as, pupil)
            r = client.open(_url(rule), method=method)
            held = r.status_code == 302 and r.location == "/pledge/"
            checked += 1
            if held == allowed:
                problems.append(f"{method} {rule.rule} ({rule.endpoint}): {r.status_code} {r.location}")
    assert problems == []
    assert checked > 30
    assert signatures(app) == []  # nothing was recorded on the way


def test_every_pupil_route_opens_once_the_pledge_is_signed(app, make_pupil, login_as, csrf_off):
    pupil = make_pupil(year_group=4)  # the fixture signs the current pledge
    held = []
    for rule in app.url_map.iter_rules():
        if access_of(app.view_functions[rule.endpoint])[0] != PUPIL:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = fresh(app, login_as, pupil).open(_url(rule), method=method)
            if r.status_code == 302 and r.location == "/pledge/":
                held.append(f"{method} {rule.rule}")
    assert held == []


def test_every_route_of_the_tell_an_adult_blueprint_is_open_before_signing(app, client, make_pupil, login_as):
    """'Tell an adult' (the concerns blueprint) is let through the gate by its blueprint's name."""
    from pupil_app.access import PUBLIC, PUPIL, access_of

    pupil = make_pupil(year_group=1, pledged=False)
    login_as(pupil)
    sample = {"step": "feel", "concern_id": 1, "token": "x"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("concerns.") or "GET" not in rule.methods:
            continue
        if access_of(app.view_functions[rule.endpoint])[0] not in (PUPIL, PUBLIC):
            continue
        url = rule.build({k: sample[k] for k in rule.arguments}, append_unknown=False)[1]
        response = client.get(url)
        assert response.location != "/pledge/", url
        checked += 1
    assert checked >= 2
    assert client.get("/learn/").location == "/pledge/"


def test_a_pupil_not_in_a_class_has_nothing_to_sign(app, client, make_pupil, login_as):
    pupil = make_pupil(year_group=4, pledged=False)
    with app.app_context():
        db.session.get(Pupil, pupil.id).class_id = None
        db.session.commit()
    login_as(pupil)
    assert client.get("/learn/").status_code == 200
    assert "not in a class yet" in text(client.get("/pledge/"))


# ---------------------------------------------------------------- signing

def test_ks1_pupil_taps_each_promise_then_i_promise_and_the_signature_records_everything(app, client, make_class,
                                                                                        make_pupil, login_as):
    year1 = make_class(1, name="Year 1")
    pupil = make_pupil(year1, pledged=False, first_name="Alfie")
    login_as(pupil)
    r = client.get("/learn/ks1-content/1")
    assert r.status_code == 302 and r.location == "/pledge/"
    start = text(client.get("/pledge/"))
    assert "My online promises" in start and "There are 8 promises" in start
    first = text(client.get("/pledge/1"))
    assert KS1.statements[0].text in first and KS1.statements[0].why in first
    assert "I promise" in first and 'type="checkbox"' not in first  # a button to tap, nothing pre-ticked
    make_promises(client, len(KS1.statements))
    sign_page = text(client.get("/pledge/sign"))
    assert "I promise!" in sign_page and 'name="name"' not in sign_page  # EYFS/KS1 taps; no typing
    before = datetime.utcnow() - timedelta(seconds=5)
    r = client.post("/pledge/sign", data=sign_form(client))
    assert r.status_code == 302 and r.location == "/pledge/done"
    [sig] = signatures(app, pupil.id)
    assert (sig.band, sig.pledge, sig.major, sig.minor, sig.method, sig.typed_name) == ("ks1", "ks1", 1, 0, "tap", None)
    assert (sig.class_id, sig.class_name, sig.school_id, sig.language) == (year1.id, "Year 1", year1.school_id, "en")
    assert sig.text_sha256 == expected_hash(KS1)
    assert before <= sig.signed_at <= datetime.utcnow() + timedelta(seconds=5)
    with app.app_context():
        version = db.session.get(PledgeVersion, sig.version_id)
        assert (version.school_id, version.pledge, version.label) == (year1.school_id, "ks1", "1.0")
    assert "Well done, Alfie!" in text(client.get("/pledge/done"))
    assert client.get("/learn/ks1-content/1").status_code == 200


def test_ks2_pupil_types_their_first_name_to_sign(app, client, make_pupil, login_as):
    pupil = make_pupil(year_group=4, pledged=False, first_name="Priya")
    login_as(pupil)
    make_promises(client, len(KS2.statements))
    form = sign_form(client)
    assert 'name="name"' in text(client.get("/pledge/sign"))
    for name, message in (("", "Type your first name to sign."), ("Sam", "That is not quite your first name."),
                          ("P" * 10_000, "That is not quite your first name.")):
        r = client.post("/pledge/sign", data=dict(form, name=name))
        assert r.status_code == 400 and message in text(r)
        assert signatures(app) == []
    r = client.post("/pledge/sign", data=dict(form, name="  priya "))
    assert r.status_code == 302
    [sig] = signatures(app)
    assert (sig.band, sig.pledge, sig.method, sig.typed_name) == ("ks2", "ks2", "name", "priya")
    assert sig.text_sha256 == expected_hash(KS2)


def test_end_of_primary_pupils_make_the_ks2_pledge(app, client, make_pupil, login_as):
    pupil = make_pupil(year_group=6, pledged=False, first_name="Tomasz")
    login_as(pupil)
    assert "There are 18 promises" in text(client.get("/pledge/"))
    make_promises(client, len(KS2.statements))
    assert client.post("/pledge/sign", data=dict(sign_form(client), name="Tomasz")).status_code == 302
    [sig] = signatures(app)
    assert (sig.band, sig.pledge) == ("eop", "ks2")


def test_skipping_screens_by_url_is_refused_and_records_nothing(app, client, make_pupil, login_as):
    pupil = make_pupil(year_group=1, pledged=False)
    login_as(pupil)
    r = client.get("/pledge/5")
    assert r.status_code == 400 and "One promise at a time" in text(r) and "/pledge/1" in text(r)
    page = client.get("/pledge/1").get_data(as_text=True)
    version = field(page, "version")
    token = field(page, "csrf_token")
    r = client.post("/pledge/4", data={"csrf_token": token, "promise": KS1.statements[3].id, "version": version})
    assert r.status_code == 400
    r = client.get("/pledge/sign")
    assert r.status_code == 400
    # Posting the signature straight away, with made-up but well-formed fields: refused.
    with app.app_context():
        vid = versions.latest_version(pupil.school_id, "ks1").id
    r = client.post("/pledge/sign", data={"csrf_token": token, "version": vid, "pupil": pupil.id,
                                          "text_hash": expected_hash(KS1)})
    assert r.status_code == 400 and "Make each promise first" in text(r)
    # The wrong promise for a screen, and a screen that does not exist.
    r = client.post("/pledge/1", data={"csrf_token": token, "promise": KS1.statements[2].id, "version": version})
    assert r.status_code == 400
    assert client.get("/pledge/99").status_code == 404
    assert signatures(app) == []
    assert client.get("/learn/").location == "/pledge/"


def test_back_goes_to_the_promise_before_and_made_promises_stay_made(client, make_pupil, login_as):
    login_as(make_pupil(year_group=1, pledged=False))
    make_promises(client, 3)
    page = text(client.get("/pledge/2"))
    assert 'href="/pledge/1"' in page and "You made this promise." in page
    page = text(client.get("/pledge/4"))
    assert 'href="/pledge/3"' in page and "I promise" in page and "You made this promise." not in page


def test_replayed_forged_and_foreign_signatures_are_refused(app, client, make_pupil, login_as):
    pupil = make_pupil(year_group=1, pledged=False)
    other = make_pupil(year_group=1, pledged=False)
    login_as(pupil)
    make_promises(client, len(KS1.statements))
    form = sign_form(client)
    # Signing as another pupil.
    r = client.post("/pledge/sign", data=dict(form, pupil=other.id))
    assert r.status_code == 403 and "belong to someone else" in text(r)
    # A forged text: the hash of something else.
    r = client.post("/pledge/sign", data=dict(form, text_hash=hashlib.sha256(b"I promise nothing").hexdigest()))
    assert r.status_code == 409
    assert signatures(app) == []
    make_promises(client, len(KS1.statements))  # a forged text sends them back to the start
    form = sign_form(client)
    # No CSRF token.
    assert client.post("/pledge/sign", data={k: v for k, v in form.items() if k != "csrf_token"}).status_code == 400
    assert client.post("/pledge/sign", data=form).status_code == 302
    # The same post again (a replay): refused, still one signature.
    r = client.post("/pledge/sign", data=form)
    assert r.status_code == 409 and "already made these promises" in text(r)
    assert len(signatures(app)) == 1 and signatures(app)[0].pupil_id == pupil.id


def test_signing_a_version_that_is_not_current_is_refused(app, client, make_pupil, make_staff, login_as):
    pupil = make_pupil(year_group=4, pledged=False, first_name="Priya")
    login_as(pupil)
    make_promises(client, len(KS2.statements))
    form = sign_form(client)
    with app.app_context():  # an admin publishes a major version while the pupil is on the last screen
        versions.publish(pupil.school_id, "ks2", "major", None)
        db.session.commit()
    r = client.post("/pledge/sign", data=dict(form, name="Priya"))
    assert r.status_code == 409 and "changed" in text(r)
    assert signatures(app) == []
    assert client.get("/pledge/sign").status_code == 400  # back to the first promise of the new version
    make_promises(client, len(KS2.statements))
    assert client.post("/pledge/sign", data=dict(sign_form(client), name="Priya")).status_code == 302
    assert signatures(app)[0].label == "2.0"


# ---------------------------------------------------------------- versions and signing again

def _admin(app, login_as, school_id):
    from pupil_app.auth import service as auth_service
    from pupil_app.schools.models import StaffRole, StaffUser

    with app.app_context():
        staff = StaffUser(school_id=school_id, username=f"admin{school_id}x", display_name="Head",
                          password_hash=auth_service.hash_password("x" * 12))
        staff.role_rows = [StaffRole(role="admin")]
        db.session.add(staff)
        db.session.commit()
        ids = Ids(id=staff.id, login_id=staff.get_id())
    return fresh(app, login_as, ids)


def edit_form(client, key: str) -> dict:
    page = client.get(f"/staff/pledges/versions/{key}/edit").get_data(as_text=True)
    data = {"csrf_token": field(page, "csrf_token"), "change": "minor", "note": ""}
    for s in CONTENT.pledges[key].statements:
        data[f"text-{s.id}"] = htmllib.unescape(re.search(rf'name="text-{s.id}"[^>]*>([^<]*)</textarea>', page).group(1))
        data[f"why-{s.id}"] = htmllib.unescape(field(page, f"why-{s.id}"))
    return data


def test_minor_version_asks_nobody_again_and_major_asks_everyone_at_their_next_sign_in(app, make_pupil, login_as):
    pupil = make_pupil(year_group=4, first_name="Priya")
    admin = _admin(app, login_as, pupil.school_id)
    pupil_now = fresh(app, login_as, pupil)
    assert pupil_now.get("/learn/").status_code == 200

    # A minor wording fix, through the edit screen: preview first, then publish.
    form = edit_form(admin, "ks2")
    form["text-ask-first"] = "I always ask an adult before I go on the internet."
    r = admin.post("/staff/pledges/versions/ks2/edit", data=dict(form, action="preview"))
    assert r.status_code == 200 and "Preview: what pupils will see" in text(r) and "changed" in text(r)
    assert count(app, PledgeVersion) == 1  # a preview publishes nothing
    r = admin.post("/staff/pledges/versions/ks2/edit", data=dict(form, action="publish", note="ask, not go"))
    assert r.status_code == 302
    assert fresh(app, login_as, pupil).get("/learn/").status_code == 200
    assert "I always ask an adult before I go on the internet." in text(fresh(app, login_as, pupil).get("/pledge/mine"))

    # A major version is asked once more, with its consequence in numbers; nothing changes until confirmed.
    r = admin.post("/staff/pledges/versions/ks2/shipped",
                   data={"csrf_token": csrf(admin, "/staff/pledges/versions"), "change": "major"})
    assert r.status_code == 409 and "1 pupils who have signed will be asked to sign again" in text(r)
    assert count(app, PledgeVersion) == 2
    # Confirmed: the same session carries on; the next sign-in is held at the pledge.
    r = admin.post("/staff/pledges/versions/ks2/shipped",
                   data={"csrf_token": csrf(admin, "/staff/pledges/versions"), "change": "major", "confirmed": "1"})
    assert r.status_code == 302
    assert pupil_now.get("/learn/").status_code == 200
    next_time = fresh(app, login_as, pupil)
    assert next_time.get("/learn/").location == "/pledge/"
    assert "Your school has changed the promises" in text(next_time.get("/pledge/"))
    with app.app_context():
        labels = [(v.label, v.change, v.source) for v in versions.versions(pupil.school_id, "ks2")]
    assert labels == [("2.0", "major", "shipped"), ("1.1", "minor", "school"), ("1.0", "first", "shipped")]
    page = text(admin.get("/staff/pledges/versions"))
    assert "version 2.0" in page and "ask, not go" in page


def test_wording_is_validated_like_content_and_nothing_is_published_when_it_fails(app, make_pupil, login_as):
    pupil = make_pupil(year_group=1)
    admin = _admin(app, login_as, pupil.school_id)
    form = edit_form(admin, "ks1")
    for key, value, message in (("text-adult-with-me", "   ", "statement 1: 'text' must be non-empty text"),
                                ("why-kind-messages", "<script>x</script>", "statement 4: 'why' contains '<' or '>'"),
                                ("text-school-sees", "x" * 241, "statement 5: 'text' is 241 characters")):
        for action in ("preview", "publish"):
            r = admin.post("/staff/pledges/versions/ks1/edit", data=dict(form, **{key: value}, action=action))
            assert r.status_code == 400 and message in text(r), (key, action)
            assert "Publish this wording" not in text(r)
    r = admin.post("/staff/pledges/versions/ks1/edit", data=dict(form, action="publish", change="sideways"))
    assert r.status_code == 400
    # Publishing the wording that is already current as a minor version: nothing has changed.
    r = admin.post("/staff/pledges/versions/ks1/shipped",
                   data={"csrf_token": csrf(admin, "/staff/pledges/versions"), "change": "minor"})
    assert r.status_code == 409 and "nothing has changed" in text(r)
    with app.app_context():
        assert [v.label for v in versions.versions(pupil.school_id, "ks1")] == ["1.0"]


def test_versions_and_signatures_are_never_changed(app, make_pupil):
    pupil = make_pupil(year_group=1)
    with app.app_context():
        sig = db.session.scalar(select(PledgeSignature).where(PledgeSignature.pupil_id == pupil.id))
        sig.typed_name = "someone else"
        with pytest.raises(ImmutableRecord):
            db.session.flush()
        db.session.rollback()
        version = db.session.get(PledgeVersion, sig.version_id)
        version.statements = []
        with pytest.raises(ImmutableRecord):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(PledgeVersion, sig.version_id))
        with pytest.raises(ImmutableRecord):
            db.session.flush()
        db.session.rollback()


def test_moving_into_a_new_band_asks_for_that_bands_pledge(app, make_class, make_pupil, login_as):
    year2 = make_class(2)
    pupil = make_pupil(year2, first_name="Ada")
    assert fresh(app, login_as, pupil).get("/learn/").status_code == 200
    with app.app_context():  # September: the class moves up to Year 3 (KS2)
        db.session.get(SchoolClass, year2.id).year_group = 3
        db.session.commit()
    client = fresh(app, login_as, pupil)
    assert client.get("/learn/").location == "/pledge/"
    page = text(client.get("/pledge/"))
    assert "You have moved up" in page and "There are 18 promises" in page
    make_promises(client, len(KS2.statements))
    assert client.post("/pledge/sign", data=dict(sign_form(client), name="Ada")).status_code == 302
    assert [(s.band, s.pledge) for s in signatures(app, pupil.id)] == [("ks1", "ks1"), ("ks2", "ks2")]


def test_school_sign_again_date_asks_everyone_once_it_comes(app, make_pupil, login_as):
    pupil = make_pupil(year_group=4, pledged=False)
    with app.app_context():  # signed last school year
        version = versions.ensure_current_version(pupil.school_id, "ks2")
        service.record_signature(db.session.get(Pupil, pupil.id), version,
                                 signed_at=datetime.utcnow() - timedelta(days=90))
        db.session.commit()
    admin = _admin(app, login_as, pupil.school_id)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    r = admin.post("/staff/pledges/settings", data={"csrf_token": csrf(admin, "/staff/pledges/versions"),
                                                    "resign_from": tomorrow})
    assert r.status_code == 409 and "will be asked to sign again" in text(r)  # the numbers first
    r = admin.post("/staff/pledges/settings", data={"csrf_token": csrf(admin, "/staff/pledges/versions"),
                                                    "resign_from": tomorrow, "confirmed": "1"})
    assert r.status_code == 302
    assert "That date has not come yet." in text(admin.get("/staff/pledges/versions"))
    assert fresh(app, login_as, pupil).get("/learn/").status_code == 200
    today = date.today().isoformat()
    admin.post("/staff/pledges/settings", data={"csrf_token": csrf(admin, "/staff/pledges/versions"),
                                                "resign_from": today, "confirmed": "1"})
    client = fresh(app, login_as, pupil)
    assert client.get("/learn/").location == "/pledge/"
    assert "It's a new school year" in text(client.get("/pledge/"))
    r = admin.post("/staff/pledges/settings", data={"csrf_token": csrf(admin, "/staff/pledges/versions"),
                                                    "resign_from": "31/02/2026"})
    assert r.status_code == 400 and "That is not a date" in text(r)
    last_year = (date.today() - timedelta(days=400)).isoformat()  # a date in the past would rewrite the past
    r = admin.post("/staff/pledges/settings", data={"csrf_token": csrf(admin, "/staff/pledges/versions"),
                                                    "resign_from": last_year, "confirmed": "1"})
    assert r.status_code == 400 and "Choose today or a later date" in text(r)
    admin.post("/staff/pledges/settings", data={"csrf_token": csrf(admin, "/staff/pledges/versions"), "clear": "1"})
    assert fresh(app, login_as, pupil).get("/learn/").status_code == 200


# ---------------------------------------------------------------- learning and promises

def test_home_leads_to_my_promises_and_shows_which_modules_are_done(app, client, make_pupil, login_as):
    pupil = make_pupil(year_group=4)
    with app.app_context():
        db.session.add(ModuleProgress(pupil_id=pupil.id, module_id="ks2-content", school_id=pupil.school_id,
                                      completed_at=datetime.utcnow(), attempts=1))
        db.session.commit()
    login_as(pupil)
    assert 'href="/pledge/mine"' in text(client.get("/learn/"))
    page = text(client.get("/pledge/mine"))
    assert "You made these promises on" in page
    filter_promise = KS2.statement("filter")
    assert filter_promise.text in page and filter_promise.why in page
    assert "Learnt in: Is it true? Is it kind?" in page
    assert "Learn about it: Being kind online" in page
    # A promise whose every module is done is marked as learnt.
    assert page.count("promise-card--learnt") == sum(
        1 for s in KS2.statements if [m for m in s.modules if m.startswith("ks2-")] == ["ks2-content"])


def test_each_module_ends_with_the_promises_it_is_about(app, client, make_pupil, login_as):
    from .test_learning import answer_all, start_quiz

    login_as(make_pupil(year_group=4))
    module = CONTENT.modules["ks2-conduct"]
    r = answer_all(client, start_quiz(client, module.id), module)
    page = text(client.get(r.location))
    assert "Remember your promises" in page
    about = [s for s in KS2.statements if module.id in s.modules]
    assert about
    for s in about:
        assert s.text in page and s.why in page
    for s in KS2.statements:
        if module.id not in s.modules:
            assert s.text not in page


# ---------------------------------------------------------------- staff pages

@pytest.fixture
def year4(app, make_school, make_class, make_pupil, make_staff):
    school = make_school("Hill Primary")
    c = make_class(4, school=school, name="Year 4")
    signed = make_pupil(c, first_name="Ada")
    waiting = make_pupil(c, first_name="Ben", pledged=False)
    again = make_pupil(c, first_name="=HYPERLINK(\"http://x\")")
    teacher = make_staff(Role.TEACHER, classes=(c,))
    return Ids(school=school, cls=c, signed=signed, waiting=waiting, again=again, teacher=teacher)


def _major(app, school_id, key="ks2"):
    with app.app_context():
        versions.publish(school_id, key, "major", None)
        db.session.commit()


def test_teacher_sees_who_has_signed_and_which_parents_have_acknowledged(app, year4, login_as, client):
    _major(app, year4.school.id)  # everyone's 1.0 signature now needs renewing...
    again = fresh(app, login_as, year4.again)  # ...and one pupil has not signed 2.0 yet
    signed = fresh(app, login_as, year4.signed)
    make_promises(signed, len(KS2.statements))
    assert signed.post("/pledge/sign", data=dict(sign_form(signed), name="Ada")).status_code == 302
    assert again.get("/learn/").status_code == 302
    login_as(year4.teacher)
    # A parent acknowledges for Ada.
    letters = client.post(f"/staff/pledges/pupils/{year4.signed.id}/letter",
                          data={"csrf_token": csrf(client, f"/staff/pledges/classes/{year4.cls.id}")})
    link = re.search(r'class="letter__url"><a href="([^"]+)"', text(letters)).group(1)
    acknowledge(app.test_client(), link)
    page = text(client.get(f"/staff/pledges/classes/{year4.cls.id}"))
    rows = {name: row for name, row in re.findall(r"<tr>\s*<td>([^<]+)</td>(.*?)</tr>", page, re.S)}
    ada = next(v for k, v in rows.items() if k.startswith("Ada"))
    ben = next(v for k, v in rows.items() if k.startswith("Ben"))
    other = next(v for k, v in rows.items() if k.startswith("=HYPERLINK"))
    assert "Signed" in ada and "v2.0" in ada and "Acknowledged" in ada and "Jo Carer (Carer)" in ada
    assert "Not yet" in ben and "No letter yet" in ben
    assert "Needs to sign again" in other and "signed v1.0; now v2.0" in other
    assert "1 of 3 pupils have signed; 1 parents or carers have acknowledged." in page
    overview = text(client.get("/staff/pledges/"))
    assert "Year 4" in overview and "1 / 3" in overview
    assert "Pledges and parent letters" in text(client.get(f"/staff/classes/{year4.cls.id}"))
    printable = text(client.get(f"/staff/pledges/classes/{year4.cls.id}/print"))
    assert "Hill Primary" in printable and "Needs to sign again" in printable and "data-print" in printable


def test_csv_export_lists_each_pupil_and_neutralises_formulas(app, year4, login_as, client):
    login_as(year4.teacher)
    r = client.get(f"/staff/pledges/classes/{year4.cls.id}/pledges.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    import csv
    import io

    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Pupil", "Username", "Class", "Pledge", "Status"]
    by_name = {row[0].split()[0]: row for row in rows[1:]}
    assert by_name["Ada"][4] == "signed" and by_name["Ada"][5] == "1.0"
    assert by_name["Ben"][4] == "not yet" and by_name["Ben"][5] == ""
    formula = next(row for row in rows[1:] if "HYPERLINK" in row[0])
    assert formula[0].startswith("'=")  # a spreadsheet shows it as text instead of running it


def test_staff_pledge_pages_are_scoped_to_the_teachers_own_classes(app, year4, make_class, make_staff, login_as,
                                                                  client, csrf_off):
    elsewhere = make_class(4)
    login_as(make_staff(Role.TEACHER, classes=(elsewhere,)))
    for url in (f"/staff/pledges/classes/{year4.cls.id}", f"/staff/pledges/classes/{year4.cls.id}/print",
                f"/staff/pledges/classes/{year4.cls.id}/pledges.csv"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/staff/pledges/classes/{year4.cls.id}/letters").status_code == 404
    assert client.post(f"/staff/pledges/pupils/{year4.signed.id}/letter").status_code == 404
    assert count(app, ParentLink) == 0
    assert "Year 4" not in text(client.get("/staff/pledges/"))


# ---------------------------------------------------------------- parents

def acknowledge(parent, link, **override):
    page = parent.get(link).get_data(as_text=True)
    data = {"csrf_token": field(page, "csrf_token"), "text_hash": field(page, "text_hash"),
            "parent_name": "Jo Carer", "relationship": "carer",
            "ack": [s.id for s in CONTENT.parent_aup.acknowledgements]}
    data.update(override)
    return parent.post(link, data=data)


def class_pack(client, class_id, scope="all") -> list[tuple[str, str]]:
    page = text(client.post(f"/staff/pledges/classes/{class_id}/letters",
                            data={"csrf_token": csrf(client, f"/staff/pledges/classes/{class_id}"), "scope": scope}))
    return re.findall(r'aria-label="Letter for the family of ([^"]+)".*?class="letter__url"><a href="([^"]+)"', page, re.S)


def test_class_pack_has_one_letter_per_pupil_with_their_own_link_and_qr_code(app, year4, login_as, client):
    login_as(year4.teacher)
    page = text(client.post(f"/staff/pledges/classes/{year4.cls.id}/letters",
                            data={"csrf_token": csrf(client, f"/staff/pledges/classes/{year4.cls.id}"), "scope": "all"}))
    assert page.count('class="letter"') == 3 and page.count('class="qr"') == 3
    assert "Hill Primary" in page and "Dear parent or carer of Ada (Year 4)," in page
    assert KS2.statements[0].text in page  # the pupil's own pledge
    links = re.findall(r'class="letter__url"><a href="(http://localhost/p/[a-z2-7-]+)"', page)
    assert len(set(links)) == 3
    tokens = [link.rsplit("/", 1)[1].replace("-", "") for link in links]
    assert all(len(t) == 26 for t in tokens)  # 26 base-32 characters: 130 bits, at least 128 random bits
    with app.app_context():
        stored = set(db.session.scalars(select(ParentLink.token_hash)))
        assert stored == {token_hash(t) for t in tokens}  # only keyed hashes are stored, never the token
        expiry = db.session.scalars(select(ParentLink.expires_at)).first()
    assert expiry == parents.end_of_school_year(date.today())
    assert f"It works until {expiry.day} August {expiry.year}" in page
    # "Not acknowledged yet" leaves out Ada once her parent has acknowledged.
    ada = next(link for link in links if "Ada" in text(app.test_client().get(link)))
    acknowledge(app.test_client(), ada)
    names = [name for name, _ in class_pack(client, year4.cls.id, "outstanding")]
    assert "Ada" not in names and "Ben" in names


def test_parent_page_shows_only_first_name_class_the_aup_and_the_pledge_and_records_the_acknowledgement(
        app, year4, login_as, client):
    login_as(year4.teacher)
    [(_, link)] = [(n, url) for n, url in class_pack(client, year4.cls.id) if n == "Ben"]
    parent = app.test_client()
    r = parent.get(link)
    page = text(r)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert "Ben's online promises" in page and "Class: Year 4" in page
    with app.app_context():
        ben = db.session.get(Pupil, year4.waiting.id)
        assert ben.last_name not in page and ben.username not in page and "Hill Primary" in page
    assert CONTENT.parent_aup.title in page and KS2.statements[-1].text in page
    for s in CONTENT.parent_aup.statements + CONTENT.parent_aup.acknowledgements:
        assert s.text in page
    assert "checked" not in page  # no pre-ticked boxes
    r = acknowledge(parent, link, parent_name="  Sam   Jones ", relationship="father")
    assert r.status_code == 302 and r.location.endswith("/thanks")
    assert "We have recorded your acknowledgement for Ben" in text(parent.get(r.location))
    with app.app_context():
        [ack] = db.session.scalars(select(ParentAcknowledgement)).all()
        assert (ack.pupil_id, ack.parent_name, ack.relationship, ack.class_id) == (
            year4.waiting.id, "Sam Jones", "father", year4.cls.id)
        assert ack.statements == [s.id for s in CONTENT.parent_aup.acknowledgements]
        assert ack.aup_version == CONTENT.parent_aup.version and ack.pledge_version_id is not None
        assert len(ack.text_sha256) == 64


def test_parent_form_refuses_missing_ticks_long_names_and_strangers(app, year4, login_as, client):
    login_as(year4.teacher)
    [(_, link)] = [(n, url) for n, url in class_pack(client, year4.cls.id) if n == "Ada"]
    parent = app.test_client()
    all_ticks = [s.id for s in CONTENT.parent_aup.acknowledgements]
    for override, status, message in (
            ({"ack": all_ticks[:-1]}, 400, "Tick every statement to acknowledge the policy (11 of 12 are ticked)."),
            ({"ack": []}, 400, "Tick every statement"),
            ({"parent_name": "x" * 10_000}, 400, "Your name is too long (at most 120 characters)."),
            ({"parent_name": "   "}, 400, "Type your name."),
            ({"relationship": "landlord"}, 400, "Choose how you are related to the child."),
            ({"ack": all_ticks + ["made-up"]}, 400, "Only the statements on this page can be ticked."),
            ({"text_hash": "0" * 64}, 409, "The page has changed since you opened it.")):
        r = acknowledge(parent, link, **override)
        assert r.status_code == status and message in text(r), override
        assert count(app, ParentAcknowledgement) == 0
    # The boxes a parent ticked stay ticked when the form comes back.
    r = acknowledge(parent, link, parent_name="")
    assert text(r).count("checked") == len(all_ticks)


def test_wrong_expired_reissued_and_tampered_links_all_get_the_same_page(app, year4, login_as, client):
    login_as(year4.teacher)
    [(_, first)] = [(n, url) for n, url in class_pack(client, year4.cls.id) if n == "Ada"]
    [(_, second)] = [(n, url) for n, url in class_pack(client, year4.cls.id) if n == "Ada"]  # re-issued
    parent = app.test_client()
    assert parent.get(second).status_code == 200
    token = second.rsplit("/", 1)[1]
    tampered = second[:-1] + ("a" if second[-1] != "a" else "b")
    bodies = set()
    for url in (first, tampered, "http://localhost/p/not-a-token", "http://localhost/p/" + "a" * 26):
        r = parent.get(url)
        assert r.status_code == 404, url
        assert "This link no longer works" in text(r) and "Please ask the school" in text(r)
        bodies.add(re.sub(r'value="[^"]+"', "", text(r)).replace(url.split("localhost")[1], ""))
    # A posted acknowledgement to a dead link records nothing.
    live = field(parent.get(second).get_data(as_text=True), "csrf_token")
    assert parent.post(first, data={"csrf_token": live, "parent_name": "x"}).status_code == 404
    with app.app_context():  # the school year ends
        for link in db.session.scalars(select(ParentLink)):
            link.expires_at = datetime.utcnow() - timedelta(seconds=1)
        db.session.commit()
    r = parent.get(second)
    assert r.status_code == 404
    bodies.add(re.sub(r'value="[^"]+"', "", text(r)).replace(second.split("localhost")[1], ""))
    assert len(bodies) == 1
    assert count(app, ParentAcknowledgement) == 0
    # Typed from paper: capitals, no dashes, spaces: still the same link (while it lives).
    assert parents.normalise_token(token.upper().replace("-", " ")) == token.replace("-", "")


def test_parent_links_are_rate_limited(app, year4, login_as, client):
    login_as(year4.teacher)
    [(_, link)] = [(n, url) for n, url in class_pack(client, year4.cls.id) if n == "Ada"]
    app.config["PARENT_LINK_RATE_LIMIT"] = "5 per minute"
    try:
        parent = app.test_client()
        codes = [parent.get(link + ("x" if i % 2 else "")).status_code for i in range(6)]
    finally:
        app.config["PARENT_LINK_RATE_LIMIT"] = "60 per minute"
    assert codes[:5] == [200, 404, 200, 404, 200] and codes[5] == 429


@pytest.mark.parametrize("today,end", [(date(2026, 9, 1), date(2027, 8, 31)), (date(2027, 3, 14), date(2027, 8, 31)),
                                       (date(2027, 8, 31), date(2027, 8, 31))])
def test_links_expire_at_the_end_of_the_school_year(today, end):
    assert parents.end_of_school_year(today) == datetime.combine(end, datetime.max.time()).replace(microsecond=0)
    assert parents.start_of_school_year(today) <= datetime.combine(today, datetime.min.time())


# ---------------------------------------------------------------- demo school

def test_demo_school_has_real_looking_pledges_and_the_demo_pupils_have_not_signed(app, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        pupils = list(db.session.scalars(select(Pupil)))
        demo = {p.id for p in pupils if p.username in ("ks1.demo", "ks2.demo", "y6.demo")}
        rows = {p.id: service.standing(p) for p in pupils}
        assert len(demo) == 3 and all(rows[i].state == rules.NOT_YET for i in demo)
        others = [p for p in pupils if p.id not in demo]
        signed = sum(rows[p.id].signed for p in others)
        assert signed > 0.75 * len(others)
        assert any(rows[p.id].state == rules.AGAIN for p in others)  # Year 6 pupils who signed in Year 5
        acked = db.session.scalar(select(func.count(func.distinct(ParentAcknowledgement.pupil_id))))
        assert acked > 0.45 * len(others)
        assert db.session.scalar(select(func.count()).select_from(ParentAcknowledgement)
                                 .where(ParentAcknowledgement.pupil_id.in_(demo))) == 0
        before = (count(app, PledgeSignature), count(app, ParentAcknowledgement), count(app, PledgeVersion))
    again = runner.invoke(args=["demo", "load"])
    assert "nothing changed" in again.output
    assert (count(app, PledgeSignature), count(app, ParentAcknowledgement), count(app, PledgeVersion)) == before


def test_a_pupil_reading_in_welsh_signs_the_welsh_text(app, client, make_pupil, login_as):
    from flask_babel import force_locale, gettext

    pupil = make_pupil(year_group=1, pledged=False)
    login_as(pupil)
    client.post("/language", data={"csrf_token": csrf(client, "/pledge/"), "lang": "cy", "next": "/pledge/"})
    page = text(client.get("/pledge/1"))
    assert "Dim ond pan fydd oedolyn gyda fi y bydda i'n mynd ar-lein." in page and KS1.statements[0].text not in page
    assert "Rydw i'n addo" in page
    make_promises(client, len(KS1.statements))
    assert client.post("/pledge/sign", data=sign_form(client)).status_code == 302
    [sig] = signatures(app)
    assert sig.language == "cy"
    with app.test_request_context(), force_locale("cy"):
        welsh = service.signed_text(versions.current_text(pupil.school_id, "ks1"), gettext)
    assert sig.text_sha256 == hashlib.sha256(welsh.encode()).hexdigest() != expected_hash(KS1)
