"""Atomic file writes: a reader sees the old file or the new one, never half of one.

A leaf utility (it imports nothing of lucidnet), used by every layer that writes files:
model files, training checkpoints and histories, pictures and reports.

The recipe: write a temporary file in the target's folder, flush it, ``os.fsync`` it,
``os.replace`` it onto the target (an atomic rename on POSIX and Windows), then fsync the
folder so that the rename itself survives a power cut. On any failure the temporary
file is removed and the target is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes"]

PathLike = str | os.PathLike[str]


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it atomically becomes ``path``.

    Write the new content to the yielded path (with any library that writes to a path).
    When the ``with`` block ends normally, the temporary file is fsynced and moved onto
    ``path`` with ``os.replace``; when the block raises (KeyboardInterrupt included), the
    temporary file is deleted and ``path`` is untouched.

    Parameters
    ----------
    path : str or os.PathLike
        The final file. Its folder must exist.

    Yields
    ------
    pathlib.Path
        An empty file in the same folder (so the final rename never crosses file
        systems), named ``.{name}.{random}.tmp``.

    Notes
    -----
    The new file gets the permissions of the file it replaces, or the usual
    ``0o666 & ~umask`` for a new file (``tempfile.mkstemp`` would leave it 0o600).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("all or nothing")
    >>> target.read_text()
    'all or nothing'
    """
    target = Path(path)
    tmp = _create_temp_file(target)
    try:
        yield tmp
        _copy_mode(target, tmp)
        _fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`).

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace. Its folder must exist.
    data : bytes
        The complete new content.
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()


def _create_temp_file(target: Path) -> Path:
    """Create an empty, not yet used file ``.{name}.{random}.tmp`` beside ``target``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask applies, as for open(path, "w")
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"Could not create a temporary file beside {str(target)!r}.")


def _copy_mode(target: Path, tmp: Path) -> None:
    """Give the new file the permissions of the file it replaces, if there is one."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return
    os.chmod(tmp, mode)


def _fsync_file(tmp: Path) -> None:
    fd = os.open(tmp, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable; not possible on every platform (Windows), so best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
