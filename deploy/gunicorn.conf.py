"""gunicorn settings for every app node (container, systemd unit and the multi-node test).

Sync workers: on 2 cores they gave the steadiest figures (gthread was erratic; see STACK.md).
Each worker holds a database connection pool, so PostgreSQL's max_connections must cover
nodes x workers x (pool size 5 + overflow 10).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))  # one or two per core
worker_class = "sync"
preload_app = True  # content loaded and validated once, before forking
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5  # the proxy keeps connections open to the node
max_requests = 5000  # recycle workers now and then (bounded memory); jitter avoids all at once
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # the proxy keeps the access log
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
