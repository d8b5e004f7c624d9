"""The ``tidings`` command."""

from __future__ import annotations


def main() -> None:
    from tidings.cli.common import guarded
    from tidings.cli.main import app

    guarded(app)
