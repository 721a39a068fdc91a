"""The wheel carries the CLI under its own name, the corpora, the bundled models and the entry point."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out),
                    str(REPO)], check=True, capture_output=True, text=True)
    (path,) = out.glob("textrnn-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_has_the_cli_under_its_own_name(wheel):
    names = wheel.namelist()
    assert "textrnn_cli/app.py" in names
    assert not any(n.startswith("cli/") for n in names), "the generic top-level name `cli` must not be installed"
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "textrnn = textrnn_cli.app:main" in wheel.read(entry).decode()


def test_wheel_carries_corpora_and_bundled_models(wheel):
    names = set(wheel.namelist())
    assert "textrnn_corpora/corpora.json" in names
    for corpus in ("everyday-english/food-and-eating.txt", "sms-spam-like/messages.tsv", "reviews/reviews.tsv",
                   "en-fr/pairs-a.tsv", "everyday-english/README.md"):
        assert f"textrnn_corpora/{corpus}" in names, corpus
    bundled = [d.name for d in (REPO / "textrnn" / "pretrained").iterdir() if (d / "config.json").is_file()]
    assert bundled, "no bundled model in textrnn/pretrained"
    for name in bundled:
        for f in ("config.json", "vocab.json", "model.safetensors"):
            if f == "vocab.json" and not (REPO / "textrnn" / "pretrained" / name / f).exists():
                continue  # translation models have vocab-source/-target.json instead
            assert f"textrnn/pretrained/{name}/{f}" in names, (name, f)
        assert not any(n.startswith(f"textrnn/pretrained/{name}/resume") for n in names)


def test_installed_command_matches_python_dash_m():
    import shutil

    exe = shutil.which("textrnn", path=str(Path(sys.executable).parent))
    assert exe, "the textrnn console command is not installed beside this Python"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    assert out == subprocess.run([sys.executable, "-m", "textrnn", "--version"], capture_output=True, text=True,
                                 check=True).stdout
