"""Update Resource's dry run: the deployment's sample rows scored with the new resources, in a child process.

Before this runs, the new package was checked where it stands without being built (sizes, signature, the exact
model types: experiments/modules/framework/ilearner.py). The dry run then builds the service with it and
scores the sample rows in a child forked from this process, under limits: its address space may grow by
ATELIER_DRY_RUN_MEMORY_BYTES, it may use ATELIER_DRY_RUN_SECONDS of CPU, and it is killed after as many seconds
of wall clock. A model that loops, crashes or eats memory is refused and this process is untouched.

Forking (rather than starting a fresh interpreter) keeps the PATCH fast: the child has the studio loaded and
the resources' bytes, read here, in its memory. It only computes and writes one line to a pipe: it never uses
the database, the storage or the network (connections it inherited are the parent's), and it leaves with
os._exit, so no atexit handler or finaliser acts for the parent. Needs a Unix with fork (Linux, as deployed).
"""

from __future__ import annotations

import faulthandler
import logging
import os
import resource
import select
import signal
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, NoReturn

from django.conf import settings

from experiments.engine import store

from .scoring.scorer import Scorer
from .scoring.served import resources_patched
from .scoring.wire import parse_inputs

logger = logging.getLogger(__name__)
OK = b"ok"
GRACE_SECONDS = 1.0  # beyond the CPU limit, for the child to report it


def sample_problem(deployment: Any, resources: list[dict[str, Any]]) -> str | None:
    """Why the deployment can't compile and score its sample rows with `resources` patched in, or None."""
    served: list[Mapping[str, Any]] = list(resources_patched(deployment.resources, resources))
    files = {resource["Path"]: store.read_bytes(resource["Path"]) for resource in served}
    work = partial(_score_sample, dict(deployment.graph), served, files, deployment.sample,
                   dict(deployment.input_schema))
    problem = in_child(work, seconds=settings.ATELIER_DRY_RUN_SECONDS, memory=settings.ATELIER_DRY_RUN_MEMORY_BYTES)
    if problem is not None:
        logger.warning("Dry run refused resources %s: %s", [r.get("Path") for r in resources], problem)
    return problem


def _score_sample(graph: dict[str, Any], served: list[Mapping[str, Any]], files: dict[str, bytes], sample: Any,
                  input_schema: dict[str, Any]) -> None:
    scorer = Scorer(graph, served, read=files.__getitem__, input_schema=input_schema)
    if sample:
        tables = parse_inputs({"Inputs": sample, "GlobalParameters": {}}, input_schema, swagger=False, max_rows=1000)
        scorer.score({name: rows.table() for name, rows in tables.items()}, {})


def in_child(work: Callable[[], None], *, seconds: int, memory: int) -> str | None:
    """Run `work` in a forked child within the limits: None when it returned, else what went wrong."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reader)
        _child(work, writer, seconds, memory)
    os.close(writer)
    try:
        report = _collect(reader, pid, seconds)
    finally:
        os.close(reader)
    return report


def _child(work: Callable[[], None], writer: int, seconds: int, memory: int) -> NoReturn:
    try:
        _limit(seconds, memory)
        work()
        report = OK
    except MemoryError:
        report = f"it needed more memory than a dry run may use ({memory:,} bytes, ATELIER_DRY_RUN_MEMORY_BYTES)"\
            .encode()
    except BaseException as error:  # the child reports whatever stopped it, then exits
        report = (getattr(error, "message", None) or f"{type(error).__name__}: {error}").encode()[:4096]
    try:
        os.write(writer, report)
    finally:
        os._exit(0)


def _limit(seconds: int, memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind,
    faulthandler.disable()  # and no traceback in the parent's log: the verdict says what happened
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    cpu = seconds if hard == resource.RLIM_INFINITY else min(seconds, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))
    size = _address_space()
    if size is not None:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = size + memory if hard == resource.RLIM_INFINITY else min(size + memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _address_space() -> int | None:
    """This process's virtual size (the fork's starting point: the limit is on what it adds)."""
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmSize:"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1]) * 1024


def _collect(reader: int, pid: int, seconds: int) -> str | None:
    deadline = time.monotonic() + seconds + GRACE_SECONDS
    report = b""
    while (remaining := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([reader], [], [], remaining)
        if not ready:
            break
        piece = os.read(reader, 65536)
        if not piece:
            return _verdict(report, _reaped(pid), seconds)
        report += piece
    os.kill(pid, signal.SIGKILL)
    _reaped(pid)
    return f"it did not finish within {seconds} s (ATELIER_DRY_RUN_SECONDS)"


def _reaped(pid: int) -> int:
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored)
        return 0


def _verdict(report: bytes, status: int, seconds: int) -> str | None:
    if report == OK:
        return None
    if report:
        return report.decode("utf-8", "replace")
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        return f"it used more than {seconds} s of CPU (ATELIER_DRY_RUN_SECONDS)"
    if os.WIFSIGNALED(status):
        return f"it stopped on signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"it stopped without an answer (exit status {os.WEXITSTATUS(status)})"
