"""Every command the README shows in a `console` block runs as written and exits 0.

The commands run the `textrnn` beside this Python, or the one in $TEXTRNN_BIN_DIR when it is set: CI points
it at a virtual environment where the built wheel is installed (not editable), so that a file missing from
the wheel fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SHARED_DATA

# Shown in the Quickstart, and run by CI itself rather than by a test inside that run.
NOT_HERE = ("pip install", "python -m pytest")
BIN_DIR = Path(os.environ.get("TEXTRNN_BIN_DIR") or Path(sys.executable).parent)


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n(.*?)```", text, flags=re.S)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def test_readme_shows_the_quickstart():
    commands = readme_commands()
    assert commands[:3] == ['pip install -e ".[dev]" "torch==2.13.*"', 'textrnn predict "I love eating"', "python -m pytest"]


def test_the_textrnn_under_test_is_installed_outside_the_clone(tmp_path):
    """Under CI's wheel leg the commands must not import the clone's sources."""
    if "TEXTRNN_BIN_DIR" not in os.environ:
        pytest.skip("TEXTRNN_BIN_DIR not set: the commands run the editable install beside this Python")
    code = "import textrnn_cli.render, textrnn.tasks; print(textrnn_cli.render.__file__)"
    where = subprocess.run([str(BIN_DIR / "python"), "-c", code], cwd=tmp_path, capture_output=True, text=True,
                           check=True).stdout.strip()
    assert REPO not in Path(where).resolve().parents, where


@pytest.mark.slow
def test_every_readme_command_works(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "corpora").symlink_to(REPO / "corpora")  # the README's paths are relative to a clone
    (tmp_path / "shared").symlink_to(SHARED_DATA.parent)
    env = {**os.environ, "PATH": f"{BIN_DIR}{os.pathsep}{os.environ['PATH']}"}
    for command in readme_commands():
        if command.startswith(NOT_HERE) or ("../shared/data" in command and not SHARED_DATA.is_dir()):
            continue
        result = subprocess.run(command, shell=True, cwd=work, env=env, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, f"{command}\n{result.stderr}"
        assert result.stdout.strip(), f"{command} printed nothing"
        assert "Traceback" not in result.stderr, command
