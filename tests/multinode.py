"""A small deployment on loopback for tests/test_multinode.py, started from the files in deploy/.

Two app nodes started by ``deploy/run-app.sh`` (the command the container and the systemd unit
run), the release step ``deploy/release.sh``, and Debian's nginx in front, terminating TLS with a
certificate made here and running ``deploy/nginx/proxy.conf`` with the upstream options of
``deploy/nginx/upstream.conf`` (only the node addresses are replaced). PostgreSQL: a fresh
database per run on the machine's server; Redis: the machine's server, with a key prefix of this
run. Nothing here is a mock.
"""

from __future__ import annotations

import datetime
import http.cookiejar
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
PG_ADMIN_URL = os.environ.get("MULTINODE_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("MULTINODE_REDIS_URL", "redis://127.0.0.1:6379/14")
PASSWORD = "multinode-pass-2026"
DSL_EMAIL = "dsl@multinode.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port} after {seconds} s")


def why_not_available() -> str | None:
    """A reason to skip when a part of the deployment is missing here, else None."""
    if NGINX is None:
        return "nginx is not installed (make test installs Debian's nginx when run as root)"
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: not here
        return f"PostgreSQL does not answer at {PG_ADMIN_URL}: {type(exc).__name__}"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis does not answer at {REDIS_URL}: {type(exc).__name__}"
    return None


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (the proxy terminates TLS, as in deploy/nginx/nginx.conf)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def nginx_config(folder: Path, listen: int, nodes: list[int], cert: Path, key: Path) -> Path:
    """The test's nginx.conf: deploy/'s upstream options with loopback nodes, and deploy/'s proxy.conf."""
    upstream = (DEPLOY / "nginx" / "upstream.conf").read_text()
    for n, port in enumerate(nodes, start=1):
        assert f"app{n}:8000" in upstream, "deploy/nginx/upstream.conf names the nodes app1, app2"
        upstream = upstream.replace(f"app{n}:8000", f"127.0.0.1:{port}")
    temp = folder / "nginx-temp"
    temp.mkdir()
    temp.chmod(0o777)  # nginx's workers may run as nobody
    conf = folder / "nginx.conf"
    conf.write_text(f"""
daemon off;
worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'nginx-error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{upstream}
    server {{
        listen 127.0.0.1:{listen} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        # Test only: which node answered.
        add_header X-Test-Node $upstream_addr always;
        include {DEPLOY / 'nginx' / 'proxy.conf'};
    }}
}}
""")
    return conf


@dataclass
class Cluster:
    folder: Path
    env: dict
    database_url: str
    base: str
    node_ports: list[int]
    nodes: list[subprocess.Popen] = field(default_factory=list)
    others: list[subprocess.Popen] = field(default_factory=list)
    ssl_context: ssl.SSLContext | None = None

    def start_node(self, port: int) -> subprocess.Popen:
        env = dict(self.env, GUNICORN_BIND=f"127.0.0.1:{port}")
        proc = subprocess.Popen([str(DEPLOY / "run-app.sh")], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
        wait_for_port(port, proc)
        return proc

    def kill_node(self, index: int) -> None:
        """A node dies at once (power cut, OOM killer): SIGKILL to its whole process group."""
        proc = self.nodes[index]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)

    def spawn(self, *args: str) -> subprocess.Popen:
        proc = subprocess.Popen(list(args), env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.others.append(proc)
        return proc

    def engine(self):
        from sqlalchemy import create_engine

        return create_engine(self.database_url)

    def client(self) -> Browser:
        return Browser(self.base, self.ssl_context)

    def stop(self) -> None:
        for proc in self.nodes + self.others:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass


def start(folder: Path) -> Cluster:
    """Fresh database, release step, seed, two nodes, nginx. The caller must call ``stop``."""
    from sqlalchemy import create_engine, text

    name = f"pupil_multinode_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    database_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    from cryptography.fernet import Fernet

    proxy_port, node_ports = free_port(), [free_port(), free_port()]
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
        "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT), "FLASK_CONFIG": "production", "FLASK_APP": "wsgi.py",
        "SECRET_KEY": "multinode-" + uuid.uuid4().hex * 2, "DATA_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": f"multinode-{name}",
        "TRUST_PROXY_HOPS": "1", "INSTANCE_PATH": str(folder / "instance"), "MAIL_OUTBOX_DIR": str(folder / "outbox"),
        "APP_BASE_URL": f"https://127.0.0.1:{proxy_port}", "WEB_CONCURRENCY": "2", "GUNICORN_LOG_LEVEL": "warning",
        "SIGNIN_RATE_LIMIT": "1000 per minute", "BADGE_RATE_LIMIT": "12 per minute",
    }
    cluster = Cluster(folder=folder, env=env, database_url=database_url, base=f"https://127.0.0.1:{proxy_port}",
                      node_ports=node_ports)
    cluster.drop_database = lambda: _drop_database(name)  # type: ignore[attr-defined]
    try:
        release = cluster.run(str(DEPLOY / "release.sh"))
        assert release.returncode == 0, release.stdout + release.stderr
        seeded = cluster.run(sys.executable, "-c", "from tests.multinode import seed; seed()")
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        cluster.nodes = [cluster.start_node(port) for port in node_ports]
        cert, key = self_signed(folder)
        conf = nginx_config(folder, proxy_port, node_ports, cert, key)
        nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(folder)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, start_new_session=True)
        cluster.others.append(nginx)
        wait_for_port(proxy_port, nginx)
        cluster.ssl_context = ssl.create_default_context(cafile=str(cert))
    except BaseException:
        cluster.stop()
        _drop_database(name)
        raise
    return cluster


def _drop_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


PUPILS = 20


def seed() -> None:
    """One school: a Year 4 class of PUPILS pupils who have made their pledge, and a DSL with an email."""
    from pupil_app import create_app
    from pupil_app.auth import service as auth
    from pupil_app.extensions import db
    from pupil_app.pledge import service as pledge
    from pupil_app.schools.models import Pupil, School, SchoolClass, StaffRole, StaffUser, Trust

    app = create_app("production")
    with app.app_context():
        school = School(trust=Trust(name="Multinode Trust"), name="Multinode Primary")
        year4 = SchoolClass(school=school, name="Year 4", year_group=4, signin_token=auth.new_class_token())
        db.session.add_all([school, year4])
        db.session.flush()
        hashed = auth.hash_password(PASSWORD)
        for i in range(PUPILS):
            pupil = Pupil(school_id=school.id, class_id=year4.id, first_name=f"Kid{i}", last_name="Node",
                          username=f"node.kid{i}", password_hash=hashed, avatar="fox")
            db.session.add(pupil)
            db.session.flush()
            pledge.record_signature(pupil, pledge.ensure_current_version(school.id, "ks2"))
        dsl = StaffUser(school_id=school.id, username="node.dsl", display_name="Ms Node", email=DSL_EMAIL,
                        password_hash=hashed)
        dsl.role_rows = [StaffRole(role="dsl")]
        db.session.add(dsl)
        db.session.commit()
        db.engine.dispose()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Reply:
    status: int
    body: str
    headers: dict

    @property
    def node(self) -> str:
        return self.headers.get("X-Test-Node", "")

    def json(self) -> dict:
        try:
            return json.loads(self.body)
        except ValueError:
            return {}


class Browser:
    """One browser through the proxy: its own cookies, redirects not followed."""

    def __init__(self, base: str, context: ssl.SSLContext | None):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect(),
                                                  urllib.request.HTTPSHandler(context=context))

    def copy(self) -> Browser:
        other = Browser(self.base, None)
        other.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(other.jar), _NoRedirect(),
                                                   *[h for h in self.opener.handlers
                                                     if isinstance(h, urllib.request.HTTPSHandler)])
        for cookie in self.jar:
            other.jar.set_cookie(cookie)
        return other

    def get(self, path: str) -> Reply:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict, json_reply: bool = False) -> Reply:
        # A browser sends its own page as the Referer to the same site (Referrer-Policy: same-origin),
        # which the CSRF check over HTTPS requires.
        headers = {"Referer": self.base + path, **({"Accept": "application/json"} if json_reply else {})}
        return self._open(urllib.request.Request(self.base + path, data=urllib.parse.urlencode(data).encode(),
                                                 headers=headers))

    def _open(self, req) -> Reply:
        try:
            with self.opener.open(req, timeout=60) as r:
                return Reply(r.status, r.read().decode(), dict(r.headers))
        except urllib.error.HTTPError as e:
            return Reply(e.code, e.read().decode(errors="replace"), dict(e.headers))
