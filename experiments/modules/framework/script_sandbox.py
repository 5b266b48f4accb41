"""The sandbox Execute Python Script runs in: bubblewrap (`bwrap`, Debian package bubblewrap).

A script gets its own mount, PID, network, IPC and UTS namespaces. Its file system is an empty root holding
only /usr (read-only), the Python runtime the worker runs on (read-only: the interpreter, the standard library
and the installed libraries the module promises, pandas, numpy, scikit-learn...), a fresh /proc and a minimal
/dev, a small /dev/shm, a passwd file naming its user, and its private work directory (inputs in, result out).
The studio's checkout (.env, var/, the database, the workspace storage) is not there; the network holds only a
loopback interface of its own, so nothing (Redis, the database, the web) answers; other processes are out of
sight, so no /proc/<pid>/environ of the worker can be read.

It never runs as root: a worker running as root starts bwrap as root (no user namespace needed) and the
script drops to ATELIER_PYTHON_SCRIPT_UID with `setpriv` (no capabilities, no-new-privs, RLIMIT_NPROC then
counts its processes); any other worker gets an unprivileged user namespace in which the script is uid 65534.
The script is the PID namespace's second process, after bwrap's init: when the script ends or bwrap is killed
(wall clock, cancel), the init dies and the kernel kills every process left in the namespace.

Where the sandbox can't be had (bwrap missing, namespaces refused), `sandbox_problem` says why and the module
refuses to run: a script never runs unsandboxed.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BWRAP = "bwrap"  # looked up on PATH
SETPRIV = "/usr/bin/setpriv"  # util-linux (essential on Debian): drops root for good inside the sandbox
DEFAULT_UID = 65534  # nobody; ATELIER_PYTHON_SCRIPT_UID overrides it for a root worker
VENV_MOUNT = "/opt/atelier/venv"  # where a virtualenv runtime appears (the project's lives in the checkout)
HOSTNAME = "atelier-script"
SHM_BYTES = 64 * 2**20  # /dev/shm for multiprocessing semaphores (joblib), a tmpfs of this size
PROBE_SECONDS = 30


@dataclass(frozen=True)
class Runtime:
    """The worker's Python as the sandbox sees it: the interpreter's path inside, and what to bind read-only."""

    python: str
    binds: tuple[tuple[str, str], ...]  # (outside, inside)


def python_runtime() -> Runtime:
    """The installation at its own path (unless under /usr, bound anyway); a virtualenv at VENV_MOUNT."""
    base = sys.base_prefix
    binds = [] if Path(base).is_relative_to("/usr") else [(base, base)]
    if sys.prefix == base:
        return Runtime(sys.executable, tuple(binds))
    inside = Path(VENV_MOUNT) / Path(sys.executable).relative_to(sys.prefix)
    return Runtime(str(inside), (*binds, (sys.prefix, VENV_MOUNT)))


def as_root() -> bool:
    """A root worker can make namespaces itself; the script then drops to an unprivileged uid."""
    return os.geteuid() == 0


def directories(path: str) -> list[str]:
    """`--dir` options for a path's ancestors, so they are traversable by the script's user (bwrap would
    otherwise copy the mode of the outside ones, e.g. /root's 0700)."""
    parents = [str(parent) for parent in reversed(Path(path).parents) if str(parent) != "/"]
    return [option for parent in parents for option in ("--perms", "0755", "--dir", parent)]


def file_system(work: Path, etc: Path, runtime: Runtime) -> list[str]:
    """The sandbox's mounts: /usr and the runtime read-only, /proc, /dev, /dev/shm, etc files, the work dir."""
    options = ["--ro-bind", "/usr", "/usr"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        if os.path.islink(f"/{top}"):  # merged /usr: /lib -> usr/lib
            options += ["--symlink", os.readlink(f"/{top}"), f"/{top}"]
        elif os.path.isdir(f"/{top}"):
            options += ["--ro-bind", f"/{top}", f"/{top}"]
    options += directories("/etc/passwd")
    if os.path.exists("/etc/ld.so.cache"):
        options += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    for name in ("passwd", "group"):
        options += ["--ro-bind", str(etc / name), f"/etc/{name}"]
    for outside, inside in runtime.binds:
        options += [*directories(inside), "--ro-bind", outside, inside]
    options += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(SHM_BYTES), "--tmpfs",
                "/dev/shm"]  # noqa: S108 (a path inside the sandbox, on a tmpfs of its own)
    return [*options, *directories(str(work)), "--bind", str(work), str(work)]


def sandbox_command(work: Path, etc: Path, python_args: list[str], uid: int) -> list[str]:
    """bwrap's command line running the worker's Python with `python_args` in a sandbox around `work`."""
    runtime = python_runtime()
    argv = [runtime.python, *python_args]
    namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if as_root():
        user = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
        argv = [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs", "--", *argv]
    else:
        user = ["--unshare-user", "--disable-userns", "--uid", str(DEFAULT_UID), "--gid", str(DEFAULT_UID)]
    return [shutil.which(BWRAP) or BWRAP, *namespaces, *user, "--hostname", HOSTNAME, "--die-with-parent",
            "--new-session", *file_system(work, etc, runtime), "--", *argv]


def sandbox_uid(uid: int) -> int:
    """The uid the script runs as, as the sandbox sees it."""
    return uid if as_root() else DEFAULT_UID


def prepare(top: Path, uid: int) -> tuple[Path, Path]:
    """In a fresh private directory: `work` (the script's, owned by its user) and `etc` (passwd and group)."""
    work, etc = top / "work", top / "etc"
    work.mkdir(mode=0o700)
    etc.mkdir()
    user = sandbox_uid(uid)
    (etc / "passwd").write_text(f"root:x:0:0::/:/usr/sbin/nologin\nscript:x:{user}:{user}::{work}:/usr/sbin/nologin\n")
    (etc / "group").write_text(f"root:x:0:\nscript:x:{user}:\n")
    for path in (top, etc, etc / "passwd", etc / "group"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return work, etc


def hand_over(work: Path, uid: int) -> None:
    """Give the work directory and the inputs written there to the script's user (a root worker only)."""
    if as_root():
        for path in (work, *work.iterdir()):
            os.chown(path, uid, uid)


@functools.cache
def sandbox_problem(uid: int = DEFAULT_UID) -> str | None:
    """Why scripts can't be sandboxed here, or None when they can: found out once per process by starting a
    real sandbox that checks it isn't root."""
    if shutil.which(BWRAP) is None:
        return "bubblewrap is not installed (the bwrap command; Debian package bubblewrap)"
    if as_root() and not os.access(SETPRIV, os.X_OK):
        return f"{SETPRIV} (util-linux) is missing"
    with tempfile.TemporaryDirectory(prefix="atelier-script-probe-") as directory:
        work, etc = prepare(Path(directory), uid)
        hand_over(work, uid)
        check = "import os, sys; os.chdir(sys.argv[1]); sys.exit(os.getuid() == 0)"
        try:
            done = subprocess.run(sandbox_command(work, etc, ["-I", "-S", "-c", check, str(work)], uid),
                                  capture_output=True, text=True, timeout=PROBE_SECONDS, env={"PATH": "/usr/bin"},
                                  stdin=subprocess.DEVNULL, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bwrap could not start a sandbox: {error}"
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return f"bwrap could not start a sandbox ({reason[0]}); are user namespaces disabled?"
    return None


__all__ = ["hand_over", "prepare", "sandbox_command", "sandbox_problem", "sandbox_uid"]
