"""Stdin lines that say whether another is ready, and batches that take only what is ready (textrnn.data.stdin)."""

from __future__ import annotations

import io
import os
import sys
import threading

import pytest

from textrnn.data.stdin import StdinLines, batches


@pytest.fixture
def pipe(monkeypatch):
    """A real pipe as stdin; yields its write end."""
    read, write = os.pipe()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.FileIO(read, "rb"))))
    with open(write, "wb", buffering=0) as writer:
        yield writer
    sys.stdin.close()


def test_ready_says_whether_a_line_can_be_read_without_waiting(pipe):
    lines = StdinLines()
    assert not lines.ready()  # nothing written yet: reading would wait
    pipe.write(b"one\ntwo\n")
    assert lines.ready() and next(lines) == "one"
    assert lines.ready() and next(lines) == "two"  # already read from the pipe, not yet given
    assert not lines.ready()
    pipe.write(b"thr")
    pipe.write(b"ee\r\nfour")  # a line in two writes, CRLF, and a last line without its end
    pipe.close()
    assert next(lines) == "three" and next(lines) == "four"
    assert lines.ready() and list(lines) == []


def test_a_line_longer_than_one_read_comes_whole(pipe):
    lines = StdinLines()
    data = b"\xef\xbb\xbf" + b"x" * 200_000 + "\u00e9\n".encode()
    writer = threading.Thread(target=lambda: (pipe.write(data), pipe.close()))  # more than a pipe holds
    writer.start()
    assert list(lines) == ["x" * 200_000 + "\u00e9"]  # the BOM dropped, as from a file
    writer.join()


def test_a_batch_ends_at_the_first_line_not_yet_there(pipe):
    lines = StdinLines()
    pipe.write(b"a\nb\nc\n")
    chunks = batches(lines, 2)
    assert next(chunks) == ["a", "b"]  # full
    assert next(chunks) == ["c"]  # the pipe is open but has nothing more: no waiting for a second line
    pipe.write(b"d\n")
    pipe.close()
    assert list(chunks) == [["d"]]


def test_without_ready_batches_are_full():
    assert list(batches(iter("abcde"), 2)) == [["a", "b"], ["c", "d"], ["e"]]
    assert list(batches([], 3)) == []


def test_stdin_that_is_not_a_file_is_read_whole(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x\ny\n")))
    lines = StdinLines()
    assert lines.ready() and list(lines) == ["x", "y"]
