"""The md5s a dvc.lock entry may give a file git holds (``stale_at`` compares them): DVC 3's of
the bytes, DVC 1.x/2.x's dos2unix, and DVC 3's of the CRLF a ``core.autocrlf`` checkout wrote;
a binary file only its bytes'."""

from __future__ import annotations

import hashlib

from connectors.harvesters.dvc import _git_md5s


def _md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_a_text_file_committed_with_lf() -> None:
    got = _git_md5s(b"id\nchurned\n")
    assert got == [_md5(b"id\nchurned\n"), _md5(b"id\r\nchurned\r\n")]


def test_a_text_file_committed_with_crlf() -> None:
    got = _git_md5s(b"id\r\nchurned\r\n")
    assert got == [_md5(b"id\r\nchurned\r\n"), _md5(b"id\nchurned\n")]


def test_a_binary_file_has_only_the_md5_of_its_bytes() -> None:
    assert _git_md5s(b"\0\r\n\x01") == [_md5(b"\0\r\n\x01")]
