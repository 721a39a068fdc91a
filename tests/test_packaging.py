"""The wheel carries the CLI under its own name, the corpora, the bundled models and the entry point."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """Built from a copy without build/ and *.egg-info: setuptools would reuse a stale build/lib and hide a
    file the package configuration leaves out."""
    src, out = tmp_path_factory.mktemp("src") / "textrnn", tmp_path_factory.mktemp("wheel")
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out),
                    str(src)], check=True, capture_output=True, text=True)
    (path,) = out.glob("textrnn-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_has_the_cli_under_its_own_name(wheel):
    names = wheel.namelist()
    assert "textrnn_cli/app.py" in names
    assert not any(n.startswith("cli/") for n in names), "the generic top-level name `cli` must not be installed"
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "textrnn = textrnn_cli.app:main" in wheel.read(entry).decode()


INSTALLED_AS = {"textrnn": "textrnn", "cli": "textrnn_cli", "corpora": "textrnn_corpora"}


def source_files(folder: str, pattern: str) -> list[Path]:
    return sorted(p for p in (REPO / folder).rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)


def installed_name(path: Path) -> str:
    folder, *rest = path.relative_to(REPO).parts
    return "/".join([INSTALLED_AS[folder], *rest])


@pytest.mark.parametrize("folder", ["textrnn", "cli", "corpora"])
def test_wheel_has_every_python_file(wheel, folder):
    names = set(wheel.namelist())
    missing = [installed_name(p) for p in source_files(folder, "*.py") if installed_name(p) not in names]
    assert source_files(folder, "*.py") and not missing, missing


def test_wheel_carries_every_corpus_file(wheel):
    names = set(wheel.namelist())
    missing = [installed_name(p) for p in source_files("corpora", "*") if installed_name(p) not in names]
    assert not missing, missing
    assert "textrnn_corpora/everyday-english/food-and-eating.txt" in names


def test_wheel_carries_every_bundled_model_file(wheel):
    names = set(wheel.namelist())
    models = [d for d in (REPO / "textrnn" / "pretrained").iterdir() if (d / "config.json").is_file()]
    assert models, "no bundled model in textrnn/pretrained"
    files = [f for d in models for f in d.iterdir() if f.is_file()]  # model cards (README.md) included
    missing = [installed_name(f) for f in files if installed_name(f) not in names]
    assert not missing, missing
    assert not any("/resume/" in n for n in names)


def test_installed_command_matches_python_dash_m():
    import shutil

    exe = shutil.which("textrnn", path=str(Path(sys.executable).parent))
    assert exe, "the textrnn console command is not installed beside this Python"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    assert out == subprocess.run([sys.executable, "-m", "textrnn", "--version"], capture_output=True, text=True,
                                 check=True).stdout
