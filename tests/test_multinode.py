"""Several app nodes behind a proxy, proven together (deploy/ files; see tests/multinode.py).

Two gunicorn nodes started by deploy/run-app.sh on loopback, nginx in front running
deploy/nginx/proxy.conf round robin over TLS, one PostgreSQL database (fresh per run) and Redis.
Skipped, with the reason, when nginx, PostgreSQL or Redis is not here.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests import multinode

_MISSING = multinode.why_not_available()
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")

CONCERNS = 200
SENDERS = 2


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multinode")
    folder.chmod(0o755)
    c = multinode.start(folder)
    yield c
    c.stop()
    c.drop_database()


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def sign_in(cluster, username: str = "node.kid0"):
    browser = cluster.client()
    page = browser.get("/sign-in")
    assert page.status == 200
    r = browser.post("/sign-in", {"csrf_token": csrf(page.body), "username": username, "password": multinode.PASSWORD})
    assert r.status == 302, r.body[:300]
    return browser


def test_the_nodes_are_ready_and_a_signed_in_pupil_alternates_between_them(cluster):
    for port in cluster.node_ports:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            assert r.status == 200
    browser = sign_in(cluster)
    nodes = []
    for _ in range(8):
        r = browser.get("/learn/")
        assert r.status == 200 and "Kid0" in r.body  # the session made on one node works on the other
        nodes.append(r.node)
    assert set(nodes) == {f"127.0.0.1:{p}" for p in cluster.node_ports}
    assert all(a != b for a, b in zip(nodes, nodes[1:])), nodes  # round robin: every request the other node


def test_signing_out_on_one_node_refuses_the_copied_cookie_on_the_other(cluster):
    browser = sign_in(cluster, "node.kid1")
    copied = browser.copy()  # someone kept the cookie (a shared tablet, a proxy log)
    assert copied.get("/learn/").status == 200
    home = browser.get("/learn/")
    out = browser.post("/sign-out", {"csrf_token": csrf(home.body)})
    assert out.status == 302
    replies = [copied.get("/learn/") for _ in range(4)]
    assert {r.node for r in replies} == {f"127.0.0.1:{p}" for p in cluster.node_ports}
    for r in replies:
        assert r.status == 302 and "/sign-in" in r.headers["Location"], (r.node, r.status)


def test_a_rate_limit_counts_requests_on_every_node_together(cluster):
    browser = cluster.client()
    replies = [browser.get(f"/badge/not-a-real-badge-{i}") for i in range(12)]  # BADGE_RATE_LIMIT: 12 a minute
    assert [r.status for r in replies] == [404] * 12
    assert len({r.node for r in replies}) == 2  # each node saw only six of them
    blocked = browser.get("/badge/not-a-real-badge-13")
    assert blocked.status == 429 and "Too many tries" in blocked.body


def _sender_command(cluster) -> list[str] | None:
    """``flask concerns sender`` (the long-running alert sender of deploy/run-sender.sh) when this
    version has it."""
    out = cluster.run("flask", "concerns", "--help")
    return [str(multinode.DEPLOY / "run-sender.sh")] if re.search(r"^\s+sender\b", out.stdout, re.M) else None


def _send_messages(cluster, browsers, kill_after: int) -> tuple[dict[str, int], list[str]]:
    """CONCERNS messages from the pupils at once; after ``kill_after`` are saved, node 2 is killed.

    A message whose send got no answer (the node died under it) is sent again with the same key,
    as the pupil's page does. Returns {key: number} and failures.
    """
    sent: dict[str, int] = {}
    failures: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()
    jobs = {i: list(range(i, CONCERNS, len(browsers))) for i in range(len(browsers))}

    def retrying(call):
        for _ in range(20):
            try:
                r = call()
            except OSError:
                r = None
            if r is not None and r.status not in (502, 503, 504):
                return r
            time.sleep(0.2)
        raise RuntimeError("no node answered")

    def one(browser, n: int) -> None:
        start = retrying(lambda: browser.get("/tell"))
        assert start.status == 303, start.status
        token = start.headers["Location"].rstrip("/").split("/")[-2]
        page = retrying(lambda: browser.get(f"/tell/{token}/feel"))
        retrying(lambda: browser.post(f"/tell/{token}/feel", {"csrf_token": csrf(page.body), "choice": "worried"}))
        data = {"csrf_token": csrf(page.body), "feeling": "worried", "what": "stranger", "about": "me",
                "location": "game", "talk_to": "anyone", "words": f"Message {n} sent through the proxy."}
        r = retrying(lambda: browser.post(f"/tell/{token}/send", data, json_reply=True))
        assert r.status == 200 and r.json().get("status") == "saved", (r.status, r.body[:200])
        with lock:
            sent[token] = n
            if len(sent) >= kill_after and not killed.is_set():
                killed.set()
                cluster.kill_node(1)

    def worker(i: int) -> None:
        for n in jobs[i]:
            try:
                one(browsers[i], n)
            except Exception as exc:  # noqa: BLE001 - reported by the test, never hidden
                with lock:
                    failures.append(f"{n}: {exc!r}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(browsers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert killed.is_set()
    return sent, failures


def _alerts_per_concern(outbox: Path) -> Counter:
    counts: Counter = Counter()
    for eml in outbox.glob("*.eml"):
        for concern_id in set(re.findall(r"/staff/concerns/(\d+)", eml.read_text(errors="replace"))):
            counts[int(concern_id)] += 1
    return counts


def test_200_concerns_with_a_node_killed_midway_arrive_once_and_alert_once(cluster):
    from sqlalchemy import text

    sender = _sender_command(cluster)
    senders = [cluster.spawn(*sender) for _ in range(SENDERS)] if sender else []
    browsers = [sign_in(cluster, f"node.kid{i}") for i in range(2, multinode.PUPILS)]
    sent, failures = _send_messages(cluster, browsers, kill_after=CONCERNS // 3)
    assert failures == []
    assert len(sent) == CONCERNS

    engine = cluster.engine()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, idempotency_key FROM concerns WHERE source = 'pupil'")).all()
    keys = Counter(key for _id, key in rows)
    assert set(keys) == set(sent)  # none lost
    assert max(keys.values()) == 1  # none twice, though some sends were repeated after the node died
    concern_ids = {ident for ident, _key in rows}

    if senders:
        # The alert senders (two at once) send every alert; none twice.
        deadline = time.time() + 90
        while time.time() < deadline:
            with engine.connect() as conn:
                waiting = conn.execute(text("SELECT count(*) FROM pending_mail WHERE sent_at IS NULL")).scalar()
            if not waiting:
                break
            time.sleep(1)
        alerts = _alerts_per_concern(Path(cluster.env["MAIL_OUTBOX_DIR"]))
        assert set(alerts) == concern_ids
        assert set(alerts.values()) == {1}
    else:
        # Before the long-running sender: the nodes send after each response, and two
        # `flask concerns send-alerts` run at once send whatever is due. None is ever sent twice;
        # alerts a killed node had claimed wait for their claim to run out (5 minutes).
        runs = [cluster.spawn("flask", "concerns", "send-alerts") for _ in range(SENDERS)]
        for proc in runs:
            proc.wait(timeout=60)
        alerts = _alerts_per_concern(Path(cluster.env["MAIL_OUTBOX_DIR"]))
        assert set(alerts) <= concern_ids
        assert set(alerts.values()) == {1}
        with engine.connect() as conn:
            unsent = conn.execute(text("SELECT count(*) FROM pending_mail WHERE sent_at IS NULL "
                                       "AND (claimed_until IS NULL OR claimed_until < now() AT TIME ZONE 'utc')")
                                  ).scalar()
        assert unsent == 0
        assert len(alerts) >= CONCERNS - 10
    engine.dispose()
