"""Every command the README shows in a `console` block runs as written and exits 0."""

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


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n(.*?)```", text, flags=re.S)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def test_readme_shows_the_quickstart():
    commands = readme_commands()
    assert commands[:3] == ['pip install -e ".[dev]" "torch==2.13.*"', 'textrnn predict "I love eating"', "python -m pytest"]


@pytest.mark.slow
def test_every_readme_command_works(tmp_path):
    if not SHARED_DATA.is_dir():
        pytest.skip("the README's examples read ../shared/data")
    work = tmp_path / "work"
    work.mkdir()
    (work / "corpora").symlink_to(REPO / "corpora")  # the README's paths are relative to a clone
    (tmp_path / "shared").symlink_to(SHARED_DATA.parent)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for command in readme_commands():
        if command.startswith(NOT_HERE):
            continue
        result = subprocess.run(command, shell=True, cwd=work, env=env, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, f"{command}\n{result.stderr}"
        assert result.stdout.strip(), f"{command} printed nothing"
        assert "Traceback" not in result.stderr, command
