"""Routes for every device: read-aloud audio files, the service worker, the offline page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_file

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
