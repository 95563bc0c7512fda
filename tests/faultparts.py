"""Real broken parts for the fault tests (and bench/faults.py): no mocks.

- ``closed_port()``: a port nothing listens on (connections are refused).
- ``SilentServer``: accepts TCP connections and never answers (a hung Redis or mail server).
- ``TinySMTP``: a minimal SMTP server on loopback that keeps what it receives.
- ``PrivateRedis``: ``redis-server`` on its own port, no persistence.
- ``PrivatePostgres``: a PostgreSQL cluster in a temporary folder (initdb / pg_ctl from
  /usr/lib/postgresql/15/bin) on its own port, which a test can stop and start again.
"""

from __future__ import annotations

import os
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_port() -> int:
    return free_port()  # bound and released: nothing listens there


class SilentServer:
    """Accepts every connection and never sends a byte."""

    def __init__(self, port: int = 0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
                self.connections.append(conn)
            except OSError:
                continue

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop = True
        self.thread.join(2)
        for conn in self.connections:
            conn.close()
        self.sock.close()


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        server: TinySMTP = self.server.owner  # type: ignore[attr-defined]
        self.wfile.write(b"220 tiny ESMTP\r\n")
        rcpts: list[str] = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 tiny\r\n")
            elif verb == b"MAIL":
                rcpts = []
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"RCPT":
                rcpts.append(line.split(b":", 1)[1].strip().strip(b"<>").decode())
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                data = []
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b""):
                        break
                    data.append(chunk)
                with server.lock:
                    server.messages.append((rcpts, b"".join(data)))
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


class _ReusableServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class TinySMTP:
    def __init__(self, port: int = 0):
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()
        self.server = _ReusableServer(("127.0.0.1", port), _SMTPHandler)
        self.server.owner = self  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def __enter__(self):
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def __exit__(self, *exc):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(5)


class PrivatePostgres:
    """A throw-away PostgreSQL cluster. As root, the server runs as the ``postgres`` user."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pupil-pg-"))
        self.data = self.dir / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres", "postgres")

    @staticmethod
    def available() -> bool:
        if not (PG_BIN / "initdb").exists():
            return False
        if os.geteuid() == 0:
            try:
                import pwd

                pwd.getpwnam("postgres")
            except KeyError:
                return False
        return True

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, *args], check=check, capture_output=True, text=True, timeout=60)

    def init(self) -> PrivatePostgres:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                  "-E", "UTF8")
        return self

    def start(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-t", "30",
                  "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off", "start")

    def stop(self, mode: str = "immediate") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def __enter__(self):
        self.init().start()
        return self

    def __exit__(self, *exc):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class capture_logs:
    """Collect log records of ``pupil_app`` (the suite runs without pytest's logging plugin)."""

    def __init__(self, name: str = "pupil_app"):
        import logging

        self.logger = logging.getLogger(name)
        self.records: list = []
        outer = self

        class _Handler(logging.Handler):
            def emit(self, record):
                outer.records.append(record)

        self.handler = _Handler(level=logging.DEBUG)

    def __enter__(self):
        import logging

        # Alembic's fileConfig (a migration test ran earlier) disables loggers that existed then.
        self.disabled = [lg for name, lg in logging.root.manager.loggerDict.items()
                         if name.startswith(self.logger.name) and isinstance(lg, logging.Logger) and lg.disabled]
        for lg in self.disabled:
            lg.disabled = False
        self.logger.addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)
        for lg in self.disabled:
            lg.disabled = True

    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.records]
