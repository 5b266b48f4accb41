"""Python Language: Execute Python Script, with the classic `azureml_main` entry point.

User code never runs in the worker's own process: it runs in a child Python (`-I`, isolated) with CPU-time,
address-space and file-size limits, a wall-clock limit, a fresh temporary directory as working directory and
HOME (removed afterwards), and an environment built from scratch, so none of the studio's secrets
(SECRET_KEY, DATABASE_URL...) reach it. Data crosses as Parquet files. The engine refuses the module unless
ATELIER_ALLOW_PYTHON_SCRIPT is set; the module checks too.

The child is a small supervisor that starts the script's interpreter and outlives it: on Linux it is a child
subreaper, so every process the script leaves behind, even a daemon in a session of its own (which a process
group kill misses), is re-parented to it, and it kills them all when the script ends, whatever the reason.
The worker itself never becomes a subreaper. RLIMIT_NPROC can't bound the forks: it counts every process of
the user, the worker's own included.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .base import Context, Module, ModuleError, SchemaContext
from .datatable import Column, DataTable, Kind, Schema
from .params import Text
from .ports import InputPort, OutputPort, PortType
from .registry import registry

CPU_SECONDS = 300  # RLIMIT_CPU of the child
MEMORY_BYTES = 2 * 1024**3  # RLIMIT_AS of the child
FILE_BYTES = 1024**3  # RLIMIT_FSIZE: the largest file the child may write
WALL_SECONDS = 600  # wall-clock limit; the script and everything it started are killed after it
GRACE_SECONDS = 2  # how long the supervisor gets to kill the script's processes before its group is killed
POLL_SECONDS = 0.2
OUTPUT_BYTES = 1_000_000  # printed output kept per stream
CHILD_PATH = "/usr/local/bin:/usr/bin:/bin"

DEFAULT_SCRIPT = '''# The script MUST contain a function named azureml_main
# which is the entry point for this module.

# imports up here can be used to
import pandas as pd

# The entry point function can contain up to two input arguments:
#   Param<dataframe1>: a pandas.DataFrame
#   Param<dataframe2>: a pandas.DataFrame
# Return value must be a pandas.DataFrame, or a sequence whose first item is one.
def azureml_main(dataframe1 = None, dataframe2 = None):
    return dataframe1,
'''

# Runs in the child: load the inputs, call azureml_main, then write the result, or what went wrong as JSON.
RUNNER = r'''
import json, sys, traceback
from pathlib import Path

work = Path(sys.argv[1])


def report(kind, error, frames):
    lines = traceback.format_list(frames[-3:]) + traceback.format_exception_only(type(error), error)
    line = error.lineno if isinstance(error, SyntaxError) else (frames[-1].lineno if frames else None)
    (work / "error.json").write_text(json.dumps({"kind": kind, "line": line, "summary": f"{type(error).__name__}: "
                                                 f"{error}", "traceback": "".join(lines).rstrip()}))


import pandas as pd

frames = [pd.read_parquet(work / f"in{i}.parquet") if (work / f"in{i}.parquet").exists() else None for i in (1, 2)]
try:
    namespace = {"__name__": "__main__"}
    exec(compile((work / "script.py").read_text(), "script.py", "exec"), namespace)
    if not callable(namespace.get("azureml_main")):
        raise NameError("The script defines no function azureml_main(dataframe1=None, dataframe2=None)")
    result = namespace["azureml_main"](*frames)
except BaseException as error:
    user = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == "script.py"]
    report("memory" if isinstance(error, MemoryError) else "script", error, user)
    sys.exit(0)
sys.stdout.flush()
if isinstance(result, (tuple, list)) and result:
    result = result[0]
if not isinstance(result, pd.DataFrame):
    kind = type(result).__name__
    report("result", TypeError(f"azureml_main must return a DataFrame or a tuple starting with one; got {kind}"), [])
    sys.exit(0)
try:
    result.columns = [str(column) for column in result.columns]
    result.to_parquet(work / "out.parquet", index=False)
except BaseException as error:
    report("result", error, [])
'''


# The child: start the runner, wait for it (or for SIGTERM, sent on the wall clock or a cancelled run), then
# SIGKILL and reap every process left below this one and exit as the runner did. argv: the runner's code, work.
SUPERVISOR = r'''
import ctypes, os, signal, sys, time, traceback

linux = sys.platform.startswith("linux")
if linux and ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def descendants():
    """Every process below this one, from the parent pids in /proc."""
    children = {}
    for entry in os.listdir("/proc") if linux else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                stat = file.read()
        except OSError:
            continue
        children.setdefault(int(stat[stat.rfind(b")") + 2:].split()[1]), []).append(int(entry))
    found, todo = [], [os.getpid()]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def clear():
    """Kill and reap until no child is left: as a subreaper, the orphans of the killed ones come here."""
    while True:
        for pid in descendants():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        time.sleep(0.01)


supervisor = os.getpid()
events = {signal.SIGCHLD, signal.SIGTERM}
signal.pthread_sigmask(signal.SIG_BLOCK, events)
runner = os.fork()
if runner == 0:
    try:
        if linux:
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the supervisor
        if os.getppid() == supervisor:
            for number in (signal.SIGPIPE, signal.SIGXFSZ):
                signal.signal(number, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, events)
            os.execv(sys.executable, [sys.executable, "-I", "-u", "-c", sys.argv[1], sys.argv[2]])
    except BaseException:
        traceback.print_exc()
    os._exit(127)
code = None
while code is None:
    if signal.sigwait(events) == signal.SIGTERM:
        os.kill(runner, signal.SIGKILL)
        os.waitpid(runner, 0)
        code = -signal.SIGTERM
        continue
    try:  # reap the runner if it ended, and the orphans that did, so they don't pile up as zombies
        while (ended := os.waitpid(-1, os.WNOHANG))[0]:
            if ended[0] == runner:
                code = os.waitstatus_to_exitcode(ended[1])
    except ChildProcessError:
        pass
clear()
if code < 0:  # die of the runner's signal, so the worker can say why it stopped
    if -code != signal.SIGKILL:
        signal.signal(-code, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {-code})
    os.kill(os.getpid(), -code)
os._exit(code if code >= 0 else 128 - code)
'''


def child_limits() -> None:
    """In the child before exec: resource limits, and death with its parent on Linux."""
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def child_environment(work: Path) -> dict[str, str]:
    """Built from nothing: the parent's environment (and its secrets) is never passed on."""
    return {"PATH": CHILD_PATH, "HOME": str(work), "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def start_child(work: Path) -> subprocess.Popen[bytes]:
    """The supervisor, leading a session of its own; the limits it gets are inherited by the script."""
    with open(work / "stdout.txt", "wb") as stdout, open(work / "stderr.txt", "wb") as stderr:
        return subprocess.Popen([sys.executable, "-I", "-c", SUPERVISOR, RUNNER, str(work)], cwd=work,
                                env=child_environment(work), stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                start_new_session=True, preexec_fn=child_limits, close_fds=True)


def wait_for(process: subprocess.Popen[bytes], ctx: Context) -> int:
    """Wait for the child; on the wall-clock limit or a cancelled run, stop it and what the script started."""
    started = time.monotonic()
    try:
        while not ended(process, POLL_SECONDS):
            waited = time.monotonic() - started
            if waited >= WALL_SECONDS:
                raise ModuleError(f"The Python script ran for more than {WALL_SECONDS} s and was stopped",
                                  parameter="python_script")
            ctx.progress(min(0.9, waited / WALL_SECONDS))
    except BaseException:
        stop(process)
        raise
    finally:
        kill_group(process)
    return process.wait()


def ended(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """Whether the child has exited, waiting up to `seconds`. It isn't reaped, so its pid, which is also its
    process group's id, can't be reused before kill_group."""
    deadline = time.monotonic() + seconds
    while os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM asks the supervisor to kill every process below it; SIGKILL would orphan them to init instead."""
    try:
        os.kill(process.pid, signal.SIGTERM)  # not process.send_signal: it would reap the child
    except ProcessLookupError:
        pass
    ended(process, GRACE_SECONDS)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill whatever is left in the child's process group (all of it, if the supervisor didn't answer), and reap."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def failure_message(report: Mapping[str, Any]) -> str:
    where = f" at line {report['line']} of the script" if report.get("line") else ""
    if report["kind"] == "memory":
        return f"The Python script ran out of memory (limit {MEMORY_BYTES // 2**20} MiB){where}"
    if report["kind"] == "result":
        return f"The Python script's result can't be used as a dataset: {report['summary']}"
    return f"The Python script failed{where}: {report['summary']}\n{report['traceback']}"


def exit_message(code: int) -> str:
    """Why a child that left no result stopped, from its exit status."""
    if code == -signal.SIGXCPU:
        return f"The Python script used more than {CPU_SECONDS} s of CPU time and was stopped"
    if code == -signal.SIGKILL:
        return (f"The Python script was killed: it used more than {CPU_SECONDS} s of CPU time or ran out of "
                f"memory (limit {MEMORY_BYTES // 2**20} MiB)")
    if code == -signal.SIGXFSZ:
        return f"The Python script wrote a file larger than {FILE_BYTES // 2**20} MiB and was stopped"
    if code in (-signal.SIGSEGV, -signal.SIGABRT):
        return (f"The Python script crashed (signal {-code}); it may have run out of memory "
                f"(limit {MEMORY_BYTES // 2**20} MiB)")
    return f"The Python script stopped without a result (exit code {code})"


def printed(work: Path) -> pd.DataFrame:
    """The Python device: each printed line with the stream it went to."""
    rows = []
    for stream in ("stdout", "stderr"):
        path = work / f"{stream}.txt"
        if path.exists():
            with open(path, "rb") as file:
                rows += [(stream, line) for line in file.read(OUTPUT_BYTES).decode("utf-8", "replace").splitlines()]
    return pd.DataFrame(rows, columns=["stream", "text"]).astype("str")


def run_script(script: str, frames: list[pd.DataFrame | None], ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the script in a child process in a temporary directory; the result and the printed output."""
    with tempfile.TemporaryDirectory(prefix="atelier-script-", ignore_cleanup_errors=True) as directory:
        work = Path(directory)
        (work / "script.py").write_text(script)
        for index, frame in enumerate(frames, start=1):
            if frame is not None:
                frame.to_parquet(work / f"in{index}.parquet", index=False)
        code = wait_for(start_child(work), ctx)
        if (work / "error.json").exists():
            raise ModuleError(failure_message(json.loads((work / "error.json").read_text())), parameter="python_script")
        if code != 0 or not (work / "out.parquet").exists():
            raise ModuleError(exit_message(code), parameter="python_script")
        return pd.read_parquet(work / "out.parquet"), printed(work)


@registry.register
class ExecutePythonScript(Module):
    name = "Execute Python Script"
    category = "Python Language"
    description = "Executes a Python script from an Azure Machine Learning experiment."
    inputs = [InputPort("dataframe1", PortType.DATA_TABLE, optional=True, label="Dataset1"),
              InputPort("dataframe2", PortType.DATA_TABLE, optional=True, label="Dataset2")]
    outputs = [OutputPort("result_dataset", PortType.DATA_TABLE, label="Result Dataset"),
               OutputPort("python_device", PortType.DATA_TABLE, label="Python device")]
    params = {"python_script": Text("Python script", DEFAULT_SCRIPT, language="python", allow_empty=False)}
    requires_setting = "ATELIER_ALLOW_PYTHON_SCRIPT"

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        if not ctx.settings.get(self.requires_setting):
            raise ModuleError("Execute Python Script is disabled on this installation "
                              "(set ATELIER_ALLOW_PYTHON_SCRIPT=1 to enable it)")
        tables = [inputs.get(name) for name in ("dataframe1", "dataframe2")]
        frames = [table.frame if isinstance(table, DataTable) else None for table in tables]
        result, device = run_script(params["python_script"], frames, ctx)
        roles = tables[0].roles if isinstance(tables[0], DataTable) else {}
        try:
            return {"result_dataset": DataTable(result, roles), "python_device": DataTable(device)}
        except ValueError as error:
            raise ModuleError(f"The Python script's result can't be used as a dataset: {error}",
                              parameter="python_script") from None

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"result_dataset": None,
                "python_device": [Column("stream", Kind.STRING), Column("text", Kind.STRING)]}
