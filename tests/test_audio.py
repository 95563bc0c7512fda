"""Pre-made read-aloud audio: which words are rendered, where the files go, a school's recording
winning over the robot, and the route that serves them."""

from __future__ import annotations

import pytest

from pupil_app import audio, cli
from pupil_app.content import load_content

from .content_factory import REAL

CONTENT = load_content(REAL)
needs_espeak = pytest.mark.skipif(audio.engine() is None,
                                  reason="espeak-ng is not installed (make test installs it as root)")


@pytest.fixture
def audio_dirs(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIO_DIR", tmp_path / "audio")
    monkeypatch.setitem(app.config, "RECORDINGS_DIR", tmp_path / "recordings")
    return tmp_path


def test_pupil_strings_are_the_pupil_pages_and_every_lesson_screen_in_that_language(app):
    welsh = audio.pupil_strings(app, "cy")
    english = audio.pupil_strings(app, "en")
    screen = CONTENT.modules["ks1-content"].screens[0].text
    assert audio.normalise(screen) in english
    assert audio.normalise(screen) not in welsh  # the Welsh catalogue's words, not the English ones
    assert "Tell an adult" in english and "Tell an adult" not in welsh
    assert "Incident log" not in english  # staff pages are not read to children
    assert not any("%(" in s for s in english)  # sentences with a child's name are spoken by the device only


def test_unknown_language_long_text_and_missing_words_are_a_404(client, audio_dirs):
    assert client.get("/audio/xx?text=Hello").status_code == 404
    assert client.get("/audio/en?text=" + "a" * 2001).status_code == 404
    assert client.get("/audio/en?text=Nobody+made+this").status_code == 404
    assert client.get("/audio/en").status_code == 404


def test_a_schools_recording_wins_over_the_made_file(app, client, audio_dirs):
    words = "Tap your name"
    key = audio.audio_key(words)
    (audio_dirs / "audio" / "cy").mkdir(parents=True)
    (audio_dirs / "audio" / "cy" / f"{key}.ogg").write_bytes(b"OggS-robot")
    r = client.get("/audio/cy", query_string={"text": "  Tap your\n name "})  # the page's whitespace does not matter
    assert r.status_code == 200 and r.mimetype == "audio/ogg" and r.data == b"OggS-robot"
    (audio_dirs / "recordings" / "cy").mkdir(parents=True)
    (audio_dirs / "recordings" / "cy" / f"{key}.mp3").write_bytes(b"ID3-teacher")
    r = client.get("/audio/cy", query_string={"text": words})
    assert r.status_code == 200 and r.mimetype == "audio/mpeg" and r.data == b"ID3-teacher"


@needs_espeak
def test_render_makes_small_files_once_and_lists_them_for_schools(app, client, audio_dirs):
    words = audio.normalise(CONTENT.modules["ks1-content"].screens[0].text)
    first = audio.render(app, "cy", only=[words])
    again = audio.render(app, "cy", only=[words])
    assert (first.made, again.made, again.kept) == (1, 0, 1)
    assert 0 < first.bytes < 60_000  # one sentence: kilobytes, not a megabyte
    index = (audio_dirs / "audio" / "cy" / "index.tsv").read_text(encoding="utf-8")
    assert f"{audio.audio_key(words)}\t{words}" in index
    r = client.get("/audio/cy", query_string={"text": words})
    assert r.status_code == 200 and r.mimetype in ("audio/ogg", "audio/wav") and len(r.data) == first.bytes


def test_without_espeak_the_command_says_why_and_makes_nothing(app, runner, audio_dirs, monkeypatch):
    monkeypatch.setattr(audio, "engine", lambda: None)
    result = runner.invoke(cli.content_audio, [])
    assert result.exit_code == 0 and "espeak-ng is not installed" in result.output
    assert not (audio_dirs / "audio").exists()
