"""The ``tidings`` command."""

from __future__ import annotations

from tidings.cli.main import app


def main() -> None:
    app()
