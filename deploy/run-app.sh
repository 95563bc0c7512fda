#!/bin/sh
# One app node: gunicorn with the production config. The container image, the systemd unit and the
# multi-node test (tests/test_multinode.py) all start a node with exactly this command.
# GUNICORN_BIND (default 0.0.0.0:8000) and WEB_CONCURRENCY (workers, default 2) come from the environment.
set -eu
cd "$(dirname "$0")/.."
export FLASK_CONFIG="${FLASK_CONFIG:-production}"
exec gunicorn --config deploy/gunicorn.conf.py wsgi:app
