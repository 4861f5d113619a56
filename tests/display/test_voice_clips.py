"""The generated clips, and serving them: an office's own recording first, a broken one never."""

from __future__ import annotations

import logging
import wave

import pytest

from display.voice import synth
from display.voice.vocabulary import COMMON, WORDS
from harness import builders
from server.app import create_app
from server.config import TestingConfig
from server.database import Base
from server.extensions import db
from tests.conftest import close
from tests.voice import built_clips


@pytest.fixture(scope="module", autouse=True)
def _clips() -> None:
    built_clips()


@pytest.fixture
def app(sqlite_url, tmp_path):
    """The app with its instance folder (where offices keep recordings) in ``tmp_path``."""
    result = create_app(
        TestingConfig, {"SQLALCHEMY_DATABASE_URI": sqlite_url, "INSTANCE": tmp_path}
    )
    with result.app_context():
        Base.metadata.create_all(db.engine)
        builders.office(db.session, "amol")
        db.session.commit()
    yield result
    close(result)


@pytest.fixture
def recordings(tmp_path):
    """Office amol's Persian recordings folder."""
    folder = tmp_path / "voice" / "amol" / "fa"
    folder.mkdir(parents=True)
    return folder


def get(client, path: str):
    """The response, its body read and the file behind it closed."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def generated(key: str) -> bytes:
    return (synth.GENERATED / f"{key}.wav").read_bytes()


def all_clips():
    return [(clip_set, name) for clip_set, words in WORDS.items() for name in words]


def duration(path) -> float:
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


@pytest.mark.parametrize(("clip_set", "name"), all_clips(), ids="/".join)
def test_every_clip_is_a_mono_wav_of_a_plausible_length(clip_set, name):
    path = synth.GENERATED / clip_set / f"{name}.wav"
    with wave.open(str(path)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 22050)
        assert audio.readframes(audio.getnframes())
    seconds = duration(path)
    if name == "chime":
        assert 0.3 <= seconds <= 2
    elif clip_set == COMMON:
        assert 0.1 <= seconds <= 1
    else:
        assert 0.1 <= seconds <= 2.5, f"{clip_set}/{name} lasts {seconds:.2f} s"


def test_a_second_build_makes_nothing_again():
    report = synth.build()
    assert report.made == [] and report.kept == sum(len(words) for words in WORDS.values())


def test_a_missing_clip_is_made_again(tmp_path):
    dest = tmp_path / "generated"
    assert len(synth.build(dest).made) == sum(len(words) for words in WORDS.values())
    (dest / "fa" / "n7.wav").unlink()
    (dest / "en" / "stale.wav").write_bytes(b"left from an older vocabulary")
    report = synth.build(dest)
    assert (report.made, report.removed) == (["fa/n7"], ["en/stale"])


def test_a_generated_clip_is_served_under_its_version_for_good(client):
    version = synth.versions()["fa/n7"]
    response = get(client, f"/voice/amol/fa/n7?v={version}")
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.data == generated("fa/n7")
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert response.cache_control.immutable


def test_an_unversioned_address_is_checked_again_each_time(client):
    response = get(client, "/voice/amol/common/chime")
    assert response.status_code == 200
    assert response.cache_control.no_cache and not response.cache_control.immutable


def test_an_office_recording_is_served_instead_of_the_generated_clip(client, recordings):
    mine = recordings / "n7.wav"
    with wave.open(str(mine), "wb") as audio:
        audio.setnchannels(1), audio.setsampwidth(2), audio.setframerate(16000)
        audio.writeframes(b"\x00\x01" * 8000)
    response = get(client, "/voice/amol/fa/n7")
    assert response.data == mine.read_bytes()
    assert get(client, "/voice/amol/en/n7").data == generated("en/n7")


def test_an_office_may_record_in_mp3_or_ogg(client, recordings):
    (recordings / "number.mp3").write_bytes(b"ID3\x04" + b"\x00" * 200)
    (recordings / "please_go.ogg").write_bytes(b"OggS" + b"\x00" * 200)
    assert get(client, "/voice/amol/fa/number").mimetype == "audio/mpeg"
    assert get(client, "/voice/amol/fa/please_go").mimetype == "audio/ogg"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("n7.wav", b"RIFF\x00\x00not a wave"),
        ("n7.wav", b""),
        ("n7.mp3", b"<html>not found</html>"),
        ("n7.ogg", b"ID3 is not Ogg"),
    ],
)
def test_a_broken_recording_falls_back_to_the_generated_clip_and_is_logged_once(
    client, recordings, caplog, name, content
):
    (recordings / name).write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="display.voice.recordings"):
        for _ in range(3):
            response = get(client, "/voice/amol/fa/n7")
            assert response.data == generated("fa/n7")
    assert len([r for r in caplog.records if name in r.getMessage()]) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/voice/amol/fa/n1000",
        "/voice/amol/fa/chime",
        "/voice/amol/de/n7",
        "/voice/amol/fa/..%2Fen%2Fn7",
        "/voice/amol/fa/n7.wav",
        "/voice/babol/fa/n7",
        "/voice/AMOL!/fa/n7",
    ],
)
def test_an_unknown_clip_or_office_is_404(client, path):
    assert get(client, path).status_code == 404
