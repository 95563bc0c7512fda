# Two commands do everything on a fresh machine:
#   make run    - the app on SQLite with the demo school, at http://127.0.0.1:$(PORT)
#   make test   - the whole suite (unit, integration, browser) on SQLite, or on
#                 PostgreSQL when TEST_DATABASE_URL is set
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMPS := .make-stamps
export FLASK_APP := pupil_app
export FLASK_CONFIG ?= development
export APP_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test lint install install-dev browser proxy fonts speech audio translations extract-translations bench bench-dashboards bench-faults clean

$(STAMPS):
	mkdir -p $(STAMPS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMPS)/install: requirements.txt $(BIN)/python | $(STAMPS)
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(STAMPS)/install-dev: requirements.txt requirements-dev.txt $(STAMPS)/install | $(STAMPS)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(STAMPS)/install
install-dev: $(STAMPS)/install-dev

# axe-core for the accessibility checks: an npm dev dependency, pinned by package-lock.json.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Fonts for Urdu (Nastaliq), Arabic (Naskh) and Latin diacritics (Noto Sans): npm packages pinned by
# package-lock.json, copied into the app's static files (served by the app itself, never a CDN).
FONT_DIR := pupil_app/static/fonts
FONTS := noto-nastaliq-urdu/files/noto-nastaliq-urdu-arabic noto-naskh-arabic/files/noto-naskh-arabic-arabic \
	noto-sans/files/noto-sans-latin noto-sans/files/noto-sans-latin-ext

$(FONT_DIR)/.copied: node_modules/axe-core/axe.min.js
	mkdir -p $(FONT_DIR)
	for f in $(FONTS); do for w in 400 700; do cp node_modules/@fontsource/$$f-$$w-normal.woff2 $(FONT_DIR)/; done; done
	for p in noto-nastaliq-urdu noto-naskh-arabic noto-sans; do cp node_modules/@fontsource/$$p/LICENSE $(FONT_DIR)/$$p-OFL.txt; done
	touch $@

fonts: $(FONT_DIR)/.copied

# Debian's Chromium for the browser journeys (never a downloaded browser build).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		(apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1)) \
		|| echo "Could not install chromium: browser tests will be skipped."; \
	else echo "No /usr/bin/chromium and no root to install it: browser tests will be skipped."; fi

# Debian's espeak-ng (offline speech) and opus-tools (small files) for the pre-made read-aloud audio.
speech:
	@if command -v espeak-ng >/dev/null && command -v opusenc >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's espeak-ng and opus-tools for the read-aloud audio..."; \
		(apt-get install -y -qq espeak-ng opus-tools >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq espeak-ng opus-tools >/dev/null 2>&1)) \
		|| echo "Could not install espeak-ng: no pre-made audio (devices' own voices only)."; \
	else echo "No espeak-ng and no root to install it: no pre-made audio (devices' own voices only)."; fi

# Read-aloud audio for devices with no voice in a language: only what is missing is made.
audio: $(STAMPS)/install translations speech
	$(BIN)/flask content audio

translations: $(STAMPS)/install
	$(BIN)/pybabel -q compile -d pupil_app/translations

# Refresh the catalogues after changing strings (developers, not every run).
extract-translations: $(STAMPS)/install
	PYTHONPATH=. $(BIN)/pybabel -q extract --no-location -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -o pupil_app/translations/messages.pot .
	$(BIN)/pybabel -q update --ignore-obsolete -w 100 -i pupil_app/translations/messages.pot -d pupil_app/translations --no-fuzzy-matching

run: $(STAMPS)/install translations fonts speech
	$(BIN)/flask content check
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	@mkdir -p instance && echo "Making read-aloud audio in the background (instance/audio.log)..."
	($(BIN)/flask content audio >instance/audio.log 2>&1 &)
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Debian's nginx for the multi-node test (tests/test_multinode.py): the proxy of deploy/.
proxy:
	@if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's nginx for the multi-node test..."; \
		(apt-get install -y -qq nginx >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq nginx >/dev/null 2>&1)) \
		|| echo "Could not install nginx: the multi-node test will be skipped."; \
	else echo "No nginx and no root to install it: the multi-node test will be skipped."; fi

# Lint first: a finding fails the test command (and so CI) before the suite runs.
lint: $(STAMPS)/install-dev
	$(BIN)/ruff check pupil_app tests bench config.py wsgi.py migrations

test: lint $(STAMPS)/install-dev translations node_modules/axe-core/axe.min.js fonts browser proxy speech
	$(BIN)/python -m pytest

bench: $(STAMPS)/install-dev translations
	$(BIN)/python bench/classroom.py
	$(BIN)/python bench/concerns.py
	$(BIN)/python bench/imports.py

# The coverage dashboards on a trust of 10 schools, 5,000 pupils and 1,000,000 quiz attempts.
bench-dashboards: $(STAMPS)/install-dev translations
	$(BIN)/python bench/dashboards.py

# Redis, the mail server, the database and the data key broken on purpose under gunicorn (add --postgres).
bench-faults: $(STAMPS)/install-dev translations
	$(BIN)/python bench/faults.py

clean:
	rm -rf $(VENV) $(STAMPS) node_modules instance
