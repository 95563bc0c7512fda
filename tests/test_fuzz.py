"""A fixed corpus of malformed requests over every route (public ones included), as the role each
route is for: every answer is below 500, and a rejected request stores nothing.

The corpus is built from the URL map, so a new route is fuzzed without editing this file: each
route's own form fields (read from its page) get JSON of the wrong types, NUL bytes, control
characters, out-of-range numbers and dates, lists where one value is expected and bytes that are
not UTF-8; each URL gets ids above 2^31 and 2^63 and malformed query parameters. Form posts carry
the session's real CSRF token, so they reach the code behind the check.
"""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from pupil_app.access import PUBLIC, PUPIL, SIGNED_IN, STAFF, access_of
from pupil_app.extensions import db
from pupil_app.schools.models import Role

HUGE_IDS = ("2147483648", "9223372036854775808")
BAD_QUERIES = (
    "q=a%00b&status=%00", "next=%0a//evil.example&from=/%09/evil.example", "to=9999-12-31&from=0001-01-01",
    "from=2026-02-30&to=%ff%fe", "class=99999999999&pupil=%C2%B2&page=99999999999999999999999",
    "pupil=2147483648&class_id=2147483648&page=-1", "%00=1&category[]=x",
)
# Tables a refused request may still write to on purpose: the audit trail records refused access.
MAY_GROW = {"audit_events"}
FIELD = re.compile(r'<(?:input|textarea|select)[^>]*\bname="([^"]+)"')


def _values(real: dict, name: str, bad: str | None = None) -> str:
    if bad is not None and name in ("class_id", "pupil_id", "school_id", "staff_id", "attempt_id", "concern_id",
                                    "batch_id", "version_id", "number"):
        return bad
    return str(real.get(name, "x"))


def _url(rule, real: dict, bad: str | None = None) -> str | None:
    parts = {}
    for arg in rule.arguments:
        parts[arg] = _values(real, arg, bad)
    try:
        url = rule.rule
        for arg, value in parts.items():
            url = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{arg}>", quote(value, safe=""), url)
        return url
    except Exception:  # pragma: no cover - a rule shape the test does not know
        return None


def _counts(app) -> tuple[int, ...]:
    """Rows in every table, in one statement."""
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables if t.name not in MAY_GROW]
        out = tuple(db.session.execute(select(*[select(func.count()).select_from(t).scalar_subquery()
                                                 for t in tables])).one())
        db.session.remove()
        return out


def _form_posts(fields: list[str], token: str) -> list[dict]:
    fields = fields or ["username", "password", "text", "name"]
    fields = [f for f in fields if f != "csrf_token"]
    posts = [
        {"data": {f: "a\x00b" for f in fields}},
        {"data": {f: "\x1b[31m\x07" for f in fields}},
        {"data": {f: ["1", "2", "three"] for f in fields}},
        {"data": {f: "9" * 40 for f in fields}},
        {"data": {f: "9999-12-31" for f in fields}},
        {"data": {f: "-2147483649" for f in fields}},
        {"data": {f: "²" for f in fields}},
        {"data": {f: "x" * 20000 for f in fields}},
        {"data": b"&".join(f.encode() + b"=%ff%fe%c0" for f in fields),
         "content_type": "application/x-www-form-urlencoded"},
        {"json": {f: ["list"] for f in fields}},
        {"json": {f: {"nested": 1} for f in fields}},
        {"json": [1, 2, 3]},
        {"json": "just a string"},
        {"data": "not json {", "content_type": "application/json"},
        {"data": {"next": "/\t/evil.example", "lang": "cy"}},
    ]
    for post in posts:
        if isinstance(post.get("data"), dict):
            post["data"]["csrf_token"] = token
        elif isinstance(post.get("data"), bytes):
            post["data"] += b"&csrf_token=" + token.encode()
    return posts


@pytest.fixture
def people(app, make_class, make_pupil, make_staff, login_as):
    school_class = make_class(4)
    pupil = make_pupil(school_class)
    teacher = make_staff(Role.TEACHER, classes=(school_class,))
    dsl = make_staff(Role.DSL, Role.ADMIN, classes=(school_class,))
    real = {"class_id": school_class.id, "pupil_id": pupil.id, "school_id": school_class.school_id,
            "staff_id": teacher.id, "token": school_class.token, "name": "pw-cat.svg", "filename": "css/app.css",
            "key": "ks2", "step": "feel", "module_id": "ks2-content", "number": 1, "attempt_id": 1,
            "concern_id": 1, "batch_id": 1, "version_id": 1}
    clients = {
        PUBLIC: app.test_client(),
        PUPIL: login_as(pupil, test_client=app.test_client()),
        STAFF: login_as(dsl, test_client=app.test_client()),
        SIGNED_IN: login_as(teacher, test_client=app.test_client()),
    }
    return real, clients


def _corpus(app, real):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        who = access_of(app.view_functions[rule.endpoint])[0]
        url = _url(rule, real)
        if url is None:
            continue
        methods = sorted(rule.methods & {"GET", "POST"})
        for bad in HUGE_IDS:
            bad_url = _url(rule, real, bad)
            if bad_url and bad_url != url:
                for method in methods:
                    yield who, method, bad_url, {}
        if "GET" in methods:
            for query in BAD_QUERIES:
                yield who, "GET", f"{url}?{query}", {}
        if "POST" in methods:
            yield who, "POST", url, {"fields_from": url}


def test_malformed_requests_are_never_a_500_and_store_nothing(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # a bug is a 500 here, collected below
    real, clients = people
    tokens = {}
    for who, client in clients.items():
        page = client.get("/staff/concerns/new" if who in (STAFF, SIGNED_IN) else "/sign-in")
        found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.get_data(as_text=True))
        tokens[who] = found.group(1) if found else ""
    failures, total, slow = [], 0, []
    for who, method, url, extra in _corpus(app, real):
        client = clients[who]
        if "fields_from" in extra:
            page = client.get(url)
            fields = sorted(set(FIELD.findall(page.get_data(as_text=True)))) if page.status_code == 200 else []
            payloads = _form_posts(fields, tokens[who])
        else:
            payloads = [{}]
        for payload in payloads:
            before = _counts(app)
            started = time.monotonic()
            response = client.open(url, method=method, **payload)
            total += 1
            status = response.status_code
            if time.monotonic() - started > 1:
                slow.append(f"{time.monotonic() - started:.1f}s {method} {url}")
            if status >= 500 and not (status == 503 and url.startswith("/readyz")):  # not migrated: not ready
                failures.append(f"{status} {method} {url} {str(payload)[:80]}")
            elif status >= 400 and _counts(app) != before:
                failures.append(f"stored a row on {status}: {method} {url} {str(payload)[:80]}")
            response.close()
    print("\n".join(slow))
    print("fuzz requests:", total)
    assert total >= 500, total
    assert failures == [], "\n".join(failures[:40])


def test_a_json_body_into_a_public_form_is_a_400(client):
    response = client.post("/sign-in", json={"username": ["ks2.demo"], "password": 5})
    assert response.status_code == 400
    assert "Something was not right" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"


def test_ids_beyond_any_database_integer_are_a_404_before_the_query(client, make_class):
    school_class = make_class(1)
    for number in HUGE_IDS:
        assert client.get(f"/class/{school_class.token}/{number}").status_code == 404


def test_a_newline_or_tab_in_next_never_leaves_the_site(app, make_staff, client):
    from pupil_app.redirects import safe_path

    for bad in ("/\t/evil.example", "/\n/evil.example", "//evil.example", "/\\evil.example", "https://evil.example",
                "/%0a", "\x00/", " /x", "/ok\r\nSet-Cookie: a=b"):
        assert safe_path(bad, "/home") in ("/home", "/%0a"), bad
    response = client.post("/language", data={"lang": "cy", "next": "/\t/evil.example"})
    assert response.status_code in (302, 400)
    assert "evil" not in response.headers.get("Location", "")


def test_a_route_marked_accepts_json_still_takes_json(app):
    from pupil_app import create_app
    from pupil_app.access import public
    from pupil_app.guards import accepts_json

    fresh = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=False)

    @public
    @accepts_json
    def echo():
        from flask import request

        return {"got": request.get_json()}

    fresh.add_url_rule("/echo-json", "echo", echo, methods=["POST"])
    client = fresh.test_client()
    assert client.post("/echo-json", json={"a": 1}).get_json() == {"got": {"a": 1}}
    assert client.post("/echo-json", json={"a": "b\x00"}).status_code == 200  # its own validation's job


def test_bytes_no_encoding_reads_in_an_ignored_csv_column_are_a_400_and_nothing_is_kept(app, make_school, make_staff,
                                                                                      login_as):
    import io

    from pupil_app.admin.models import ImportBatch

    school = make_school()
    admin = login_as(make_staff(Role.ADMIN, school=school), test_client=app.test_client())
    url = f"/staff/admin/schools/{school.id}/import"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', admin.get(url).get_data(as_text=True)).group(1)
    # 0x81 is neither UTF-8 nor Windows-1252, in a column the import does not read.
    body = b"UPN,Legal Forename,Legal Surname,NC Year,Reg Group,Notes\r\n,Ada,Jones,3,Oak,caf\x81\x8d\r\n"
    response = admin.post(url, data={"csrf_token": token, "file": (io.BytesIO(body), "p.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 400 and "Nothing was imported" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
