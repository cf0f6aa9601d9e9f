"""Atomic writes: the target holds the old content or the new, never a mix or nothing."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from lucidnet.io import atomic
from lucidnet.io.atomic import atomic_path, atomic_write_bytes


def leftovers(folder: Path, keep: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != keep)


def test_write_creates_then_replaces(tmp_path: Path) -> None:
    target = tmp_path / "model.bin"
    atomic_write_bytes(target, b"first")
    assert target.read_bytes() == b"first"
    atomic_write_bytes(str(target), b"second, longer")
    assert target.read_bytes() == b"second, longer"
    assert leftovers(tmp_path, "model.bin") == []


def test_writer_raising_midway_leaves_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "model.bin"
    target.write_bytes(b"the good old file")
    with pytest.raises(RuntimeError, match="disk on fire"), atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.exists()
        with open(tmp, "wb") as f:
            f.write(b"half of a new fi")
        raise RuntimeError("disk on fire")
    assert target.read_bytes() == b"the good old file"
    assert leftovers(tmp_path, "model.bin") == []


def test_interrupt_also_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "model.bin"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_bytes(b"partial")
        raise KeyboardInterrupt
    assert not target.exists()
    assert leftovers(tmp_path, "model.bin") == []


def test_failed_replace_leaves_target_untouched(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")

    def refuse(src: object, dst: object) -> None:
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError, match="simulated crash"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path, "model.bin") == []


def test_file_is_fsynced_before_the_rename(tmp_path: Path, monkeypatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(src: object, dst: object) -> None:
        events.append("replace")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    atomic_write_bytes(tmp_path / "x", b"data")
    assert events.index("fsync") < events.index("replace")


def test_missing_folder_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "no" / "such" / "folder.bin", b"x")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_permissions_follow_umask_or_the_replaced_file(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh"
        atomic_write_bytes(fresh, b"x")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644  # not mkstemp's 0o600
        private = tmp_path / "private"
        private.write_bytes(b"old")
        private.chmod(0o600)
        atomic_write_bytes(private, b"new")
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    finally:
        os.umask(old_umask)
