"""Pre-made read-aloud audio, for devices with no speech voice in the page's language.

``flask content audio`` renders every pupil-facing string of each language's catalogue (the app's
pupil pages and all content) to a small audio file with espeak-ng (Debian), offline: Ogg Opus at
16 kbit/s when opusenc (Debian's opus-tools) is there, else 8-bit WAV at 11 kHz. Files are named
by a hash of the exact words the page reads, so the browser asks for ``/audio/<lang>?text=...``
and gets the file of those words, or a 404 (the read-aloud then goes on with the next sentence).

A school's own recording always wins: drop ``<key>.mp3`` (or .ogg, .m4a, .wav) into
``instance/recordings/<lang>/``; ``instance/audio/<lang>/index.tsv`` lists every key with its words.
"""

from __future__ import annotations

import array
import hashlib
import re
import shutil
import subprocess
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.support import Translations
from flask import Flask

# espeak-ng voice for each page language (Debian 12's espeak-ng has them all).
VOICES = {"en": "en-gb", "cy": "cy", "pl": "pl", "ur": "ur", "ar": "ar", "ro": "ro", "bn": "bn", "pa": "pa"}
RECORDING_TYPES = {".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".m4a": "audio/mp4", ".wav": "audio/wav"}
MADE_TYPES = {".ogg": "audio/ogg", ".wav": "audio/wav"}
MAX_TEXT = 2000
KEY_RE = re.compile(r"^[0-9a-f]{20}$")
PLACEHOLDER_RE = re.compile(r"%(\([a-z_]+\))?[sd]")

# Where pupil-facing strings come from (catalogue locations); staff pages are left out.
PUPIL_SOURCES = ("content/", "pupil_app/templates/pupil.html", "pupil_app/templates/_speech.html",
                 "pupil_app/templates/error.html", "pupil_app/learning/", "pupil_app/auth/templates/auth/",
                 "pupil_app/pledge/templates/pledge/", "pupil_app/concerns/templates/concerns/",
                 "pupil_app/concerns/labels.py", "pupil_app/offline/")
STAFF_SOURCES = ("pupil_app/pledge/templates/pledge/staff/", "pupil_app/pledge/templates/pledge/admin/",
                 "pupil_app/pledge/templates/pledge/parent/", "staff_sign_in.html", "concerns/inbox.html",
                 "concerns/detail.html", "concerns/incident_log.html", "concerns/log_concern.html",
                 "concerns/new_incident.html", "concerns/logged.html", "concerns/_summary.html")


def normalise(text: str) -> str:
    """The words as the page's script reads them: whitespace collapsed, trimmed."""
    return re.sub(r"\s+", " ", text or "").strip()


def audio_key(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:20]


def audio_dir(app: Flask) -> Path:
    return Path(app.config.get("AUDIO_DIR") or Path(app.instance_path) / "audio")


def recordings_dir(app: Flask) -> Path:
    return Path(app.config.get("RECORDINGS_DIR") or Path(app.instance_path) / "recordings")


def find(app: Flask, lang: str, text: str) -> tuple[Path, str] | None:
    """The file for these words in this language: a school's recording first, then the made one."""
    if lang not in app.config["LANGUAGES"] or not text or len(text) > MAX_TEXT:
        return None
    key = audio_key(text)
    for suffix, mimetype in RECORDING_TYPES.items():
        path = recordings_dir(app) / lang / f"{key}{suffix}"
        if path.is_file():
            return path, mimetype
    for suffix, mimetype in MADE_TYPES.items():
        path = audio_dir(app) / lang / f"{key}{suffix}"
        if path.is_file():
            return path, mimetype
    return None


def _pupil_facing(filename: str) -> bool:
    return filename.startswith(PUPIL_SOURCES) and not any(s in filename for s in STAFF_SOURCES)


def _pupil_msgids(root: Path) -> list[str]:
    """Our pupil-facing strings, found where Babel finds them (babel.cfg), with their files."""
    with (root / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[str, None] = {}
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    for filename, _line, message, _comments, _context in extract_from_dir(root, method_map, options_map,
                                                                          keywords=keywords):
        if isinstance(message, str) and _pupil_facing(filename):
            found[message] = None
    return list(found)


def pupil_strings(app: Flask, lang: str) -> list[str]:
    """Every pupil-facing sentence of a language as pages show it (no placeholders: those hold names)."""
    translations = Translations.load(str(Path(app.root_path) / "translations"), [lang])
    out: dict[str, None] = {}
    for msgid in _pupil_msgids(Path(app.root_path).parent):
        text = normalise(translations.ugettext(msgid))
        if text and not PLACEHOLDER_RE.search(text) and len(text) <= MAX_TEXT:
            out[text] = None
    return list(out)


def _shrink_wav(source_path: Path, target_path: Path) -> None:
    """Without an encoder: espeak-ng's 16-bit 22 kHz mono becomes 8-bit 11 kHz (a quarter of the size)."""
    with wave.open(str(source_path), "rb") as source:
        params = source.getparams()
        samples = array.array("h", source.readframes(params.nframes))
    pairs = ((samples[i] + samples[i + 1]) // 2 for i in range(0, len(samples) - 1, 2))  # average: a low-pass
    with wave.open(str(target_path), "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(1)
        target.setframerate(params.framerate // 2)
        target.writeframes(bytes((s >> 8) + 128 for s in pairs))


def _encode(binary: str, lang: str, text: str, speed: int, target_stem: Path) -> Path:
    raw = target_stem.with_suffix(".raw.wav")
    try:
        subprocess.run([binary, "-v", VOICES.get(lang, lang), "-s", str(speed), "-w", str(raw), "--", text],
                       check=True, capture_output=True, timeout=60)
        opus = shutil.which("opusenc")
        if opus:
            target = target_stem.with_suffix(".ogg")
            partial = target_stem.with_suffix(".part.ogg")
            subprocess.run([opus, "--quiet", "--speech", "--bitrate", "16", str(raw), str(partial)],
                           check=True, capture_output=True, timeout=60)
        else:
            target = target_stem.with_suffix(".wav")
            partial = target_stem.with_suffix(".part.wav")
            _shrink_wav(raw, partial)
        partial.replace(target)
        return target
    finally:
        raw.unlink(missing_ok=True)


@dataclass
class Rendered:
    lang: str
    made: int
    kept: int
    bytes: int


def engine() -> str | None:
    return shutil.which("espeak-ng")


def render(app: Flask, lang: str, speed: int = 140, workers: int = 2, only: list[str] | None = None) -> Rendered:
    """Make the files a language still lacks (existing ones are kept) and rewrite its index.

    ``only``: just these sentences (tests, or a school re-making a few).
    """
    binary = engine()
    if binary is None:
        raise RuntimeError("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
    folder = audio_dir(app) / lang
    folder.mkdir(parents=True, exist_ok=True)
    index, todo = [], []
    for text in (only if only is not None else pupil_strings(app, lang)):
        key = audio_key(text)
        index.append(f"{key}\t{text}")
        if not any((folder / f"{key}{suffix}").is_file() for suffix in MADE_TYPES):
            todo.append((key, text))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # each job waits on its own espeak-ng process
        list(pool.map(lambda job: _encode(binary, lang, job[1], speed, folder / job[0]), todo))
    made, kept = len(todo), len(index) - len(todo)
    (folder / "index.tsv").write_text("key\twords\n" + "\n".join(index) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for suffix in MADE_TYPES for p in folder.glob(f"*{suffix}"))
    return Rendered(lang, made, kept, size)
