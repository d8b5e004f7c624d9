"""Stored files (materials, filing documents) are durable once acknowledged:
the bytes, the name and any folder made for it are synced before ``put``
returns, so a crash right after cannot leave a database row naming a file
that is gone."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tidings.storage import LocalStorage


def test_put_writes_the_bytes_under_new_folders(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "files")
    asyncio.run(store.put("tenant-1/aim/ab/cd.png", b"\x89PNG data"))
    assert asyncio.run(store.get("tenant-1/aim/ab/cd.png")) == b"\x89PNG data"
    leftovers = [p.name for p in (tmp_path / "files/tenant-1/aim/ab").iterdir() if p.name.startswith(".upload-")]
    assert leftovers == []


def test_put_syncs_the_file_its_folder_and_folders_it_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "files").mkdir()
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    store = LocalStorage(tmp_path / "files")
    asyncio.run(store.put("t/new/x.bin", b"abc"))
    root = str(tmp_path / "files")
    assert any(p.startswith(f"{root}/t/new/.upload-") for p in synced), synced  # the bytes
    # the folder holding the new name, and the parents of both folders made for it
    assert {f"{root}/t/new", f"{root}/t", root} <= set(synced), synced


def test_put_refuses_keys_outside_the_root(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    with pytest.raises(ValueError):
        asyncio.run(store.put("../escape", b"x"))
