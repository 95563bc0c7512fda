#!/bin/sh
# The release step: run the database migrations ONCE per release, before the new app nodes start.
# Never run by the nodes themselves (two nodes migrating at once would race). Also checks the content
# files, so a broken content release stops here rather than on every node.
set -eu
cd "$(dirname "$0")/.."
export FLASK_CONFIG="${FLASK_CONFIG:-production}" FLASK_APP=wsgi.py
flask content check
flask db upgrade
