"""Routes for every device: read-aloud audio files, the service worker, the offline page."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for

from .. import audio
from ..access import public

bp = Blueprint("offline", __name__, template_folder="templates")


@bp.get("/audio/<lang>")
@public
def audio_file(lang: str):
    """The pre-made (or school-recorded) audio of ``?text=`` in ``lang``; 404 when there is none."""
    found = audio.find(current_app, lang, request.args.get("text", ""))
    if found is None:
        abort(404)
    path, mimetype = found
    response = send_file(path, mimetype=mimetype, max_age=86400, conditional=True)
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.get("/sw.js")
@public
def service_worker():
    """The service worker, at the site root so it looks after every page; it precaches the files
    every pupil page needs."""
    static = Path(current_app.static_folder)
    files = ["css/app.css", "css/languages.css", "js/pupil.js", "js/tell.js", "js/offline.js"]
    files += sorted(f"icons/{p.name}" for p in (static / "icons").glob("*.svg"))
    urls = [url_for("static", filename=f) for f in files] + [url_for("main.picture", name="worry-calm.svg")]
    # The files' and content's last change names the caches: a deploy brings a new worker and fresh files.
    changed = max(p.stat().st_mtime_ns for folder in (static, current_app.config["CONTENT_DIR"])
                  for p in Path(folder).rglob("*") if p.is_file())
    version = hashlib.sha256(str(changed).encode()).hexdigest()[:12]
    script = (f"self.__version = {json.dumps(version)};\nself.__precache = {json.dumps(urls)};\n"
              + (static / "js" / "sw.js").read_text(encoding="utf-8"))
    response = current_app.response_class(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
@public
def offline_page():
    """The calm page the service worker shows, offline, for anything it has not kept."""
    return render_template("offline/offline.html")
