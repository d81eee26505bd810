"""Publishing a run's folder atomically: the old complete set of files or the new one.

A run writes ``result.h5``, the XDMF files, ``figures/`` and ``report.html``. They belong
together (the XDMF files point into ``result.h5`` by its shape), so they are published
together:

1. Before anything is computed, the target folder is checked: it must be absent, empty,
   or a folder tissue_sim published earlier (holding only its own files); a folder with
   other files is refused (InputError), because it is replaced whole.
2. Everything is written into a private staging folder made with
   :func:`tempfile.mkdtemp` *beside* the target (same file system, mode 0700, a name no
   one can predict or plant a symlink at): ``.<name>.tmp-<pid>-<random>``.
3. The staging folder is swapped with the target in one step:
   ``renameat2(RENAME_EXCHANGE)`` on Linux exchanges the two folders atomically; the
   old set is then in the staging folder and is deleted. Where the exchange is not
   available (another OS or file system) the target is first renamed to
   ``.<name>.old-<pid>-<random>`` and the staging folder renamed into place; a kill
   between the two renames leaves no target but the complete old set under that name,
   which the next run (or :func:`recover`) renames back.
4. The next run in the same parent folder removes stale staging folders of the same
   target whose process is gone.

A kill at any moment therefore leaves the target holding either the old complete set
or the new complete set, never a mixture; ``tissue-sim verify DIR`` checks a folder.

Test hook (documented, for the interruption tests only): when the environment variable
``TISSUE_SIM_TEST_KILL_AT`` names a point passed to :func:`kill_point` (``after-result``,
``after-xdmf``, ``after-figures``, ``before-publish``, ``after-exchange``,
``after-publish``), the process sends itself SIGKILL there.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from tissue_sim.errors import InputError, brief

__all__ = [
    "KILL_POINTS",
    "MARKER_NAME",
    "RUN_FILES",
    "check_target",
    "kill_point",
    "publish",
    "recover",
    "remove_stale",
    "staged_directory",
]

#: The file that marks a folder published by tissue_sim.
MARKER_NAME: Final = ".tissue-sim-run"
#: What a run folder may hold (a folder with anything else is not replaced).
RUN_FILES: Final = frozenset(
    {
        "result.h5",
        "result.xdmf",
        "biology.xdmf",
        "figures",
        "report.html",
        "status.json",
        "error.txt",
        MARKER_NAME,
    }
)
#: The named points of the interruption test hook.
KILL_POINTS: Final = (
    "after-result",
    "after-xdmf",
    "after-figures",
    "before-publish",
    "after-exchange",
    "after-publish",
)
_HOOK: Final = "TISSUE_SIM_TEST_KILL_AT"
_RENAME_EXCHANGE: Final = 2
_AT_FDCWD: Final = -100


def kill_point(name: str) -> None:
    """Test hook: SIGKILL this process if ``TISSUE_SIM_TEST_KILL_AT`` equals ``name``."""
    if os.environ.get(_HOOK) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _is_ours(entry: str) -> bool:
    return entry in RUN_FILES or (entry.startswith(".") and ".tmp-" in entry)


def check_target(target: str | Path) -> Path:
    """Check that ``target`` may be replaced by a run folder; return it as an absolute path.

    Raises
    ------
    InputError
        If it is a file, a symbolic link, or a folder holding files that are not a
        run's.
    """
    path = Path(os.path.abspath(target))
    if path.is_symlink():
        raise InputError("output folder is a symbolic link; give the folder itself", file=str(path))
    if path.exists() and not path.is_dir():
        raise InputError("output folder exists and is not a folder", file=str(path))
    if path.is_dir():
        others = sorted(entry for entry in os.listdir(path) if not _is_ours(entry))
        if others:
            raise InputError(
                f"output folder holds files that are not a run's ({brief(others)}); a run "
                "replaces its whole folder: give a new or empty folder, or an earlier run's",
                file=str(path),
            )
    return path


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(entry: str) -> int | None:
    for tag in (".tmp-", ".old-"):
        if tag in entry:
            text = entry.split(tag, 1)[1].split("-", 1)[0]
            return int(text) if text.isdigit() else None
    return None


def recover(target: str | Path) -> bool:
    """Put back the old complete set if a kill fell between the two fallback renames.

    Returns
    -------
    bool
        Whether a folder was renamed back to ``target``.
    """
    path = Path(os.path.abspath(target))
    if path.exists():
        return False
    parent = path.parent
    if not parent.is_dir():
        return False
    for entry in sorted(os.listdir(parent)):
        if entry.startswith(f".{path.name}.old-"):
            pid = _owner_pid(entry)
            if pid is not None and _pid_alive(pid) and pid != os.getpid():
                continue
            os.rename(parent / entry, path)
            return True
    return False


def remove_stale(target: str | Path) -> list[Path]:
    """Delete staging and old folders of ``target`` left by processes that are gone.

    Returns
    -------
    list of Path
        The folders removed.
    """
    path = Path(os.path.abspath(target))
    recover(path)
    parent = path.parent
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    for entry in os.listdir(parent):
        if not entry.startswith((f".{path.name}.tmp-", f".{path.name}.old-")):
            continue
        pid = _owner_pid(entry)
        if pid is not None and pid != os.getpid() and _pid_alive(pid):
            continue  # another run of the same target is writing it now
        leftover = parent / entry
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


def _exchange(first: Path, second: Path) -> bool:
    """Atomically exchange two paths (Linux ``renameat2``); False where unsupported."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return False
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = function(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def publish(staging: Path, target: Path) -> None:
    """Replace ``target`` by the complete folder ``staging`` (see the module docstring)."""
    kill_point("before-publish")
    if not target.exists():
        os.rename(staging, target)
    elif _exchange(staging, target):
        kill_point("after-exchange")
        shutil.rmtree(staging, ignore_errors=True)  # now the old set
    else:
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-{os.getpid()}-", dir=target.parent))
        os.rmdir(old)
        os.rename(target, old)
        os.rename(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    kill_point("after-publish")


@contextlib.contextmanager
def staged_directory(target: str | Path) -> Iterator[Path]:
    """Yield a private staging folder beside ``target``; publish it there on success.

    On an exception (or a kill) nothing is published and ``target`` keeps its old set;
    the staging folder is removed (after a kill: by the next run).

    Raises
    ------
    InputError
        If ``target`` may not be replaced (:func:`check_target`).
    """
    path = check_target(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-{os.getpid()}-", dir=path.parent))
    try:
        yield staging
        marker = {"format": 1, "files": sorted(os.listdir(staging))}
        (staging / MARKER_NAME).write_text(json.dumps(marker), encoding="utf-8")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
        check_target(path)  # nobody put other files there meanwhile
        publish(staging, path)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
