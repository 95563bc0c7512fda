#!/bin/sh
# The alert sender: a long-running process that sends the DSL alert emails queued in pending_mail.
# Several may run (each alert is claimed atomically and sent once). Same image/venv as the app.
set -eu
cd "$(dirname "$0")/.."
export FLASK_CONFIG="${FLASK_CONFIG:-production}" FLASK_APP=wsgi.py
exec flask concerns sender
