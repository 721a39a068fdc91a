"""Package discovery under the installed names: cli/ installs as textrnn_cli, corpora/ as textrnn_corpora.

pyproject.toml's `packages.find` names packages after their folders (`cli.commands`), so it cannot give
the installed names on its own; find_packages is run under each folder and its finds are prefixed.
Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

INSTALLED_AS = {"textrnn": "textrnn", "textrnn_cli": "cli", "textrnn_corpora": "corpora"}


def packages() -> list[str]:
    """Each installed top-level name and every package found below its folder."""
    return [name for top, folder in INSTALLED_AS.items()
            for name in [top, *(f"{top}.{sub}" for sub in find_packages(folder))]]


setup(packages=packages())
