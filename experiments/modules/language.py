"""Python Language: Execute Python Script, with the classic `azureml_main` entry point.

User code never runs in the worker's own process, nor with the worker's view of the machine: it runs in a child
Python (`-I`, isolated) inside a bubblewrap sandbox (framework/script_sandbox.py: its own mount, PID, network, IPC and
UTS namespaces, an unprivileged user, nothing of the studio's checkout, database, storage or network in
sight), with CPU-time, address-space, file-size and (as root) process-count limits, a wall-clock limit, a fresh
private directory as working directory and HOME (removed afterwards), and an environment built from scratch.
Data crosses as Parquet files in that directory. The engine refuses the module unless
ATELIER_ALLOW_PYTHON_SCRIPT is set; the module checks too, and refuses where the sandbox can't be had.

The script is the second process of its PID namespace, after bwrap's init, which dies with bwrap: when the
script ends, or the worker kills bwrap (wall clock, cancel), every process the script left behind, even a
daemon in a session of its own, is killed by the kernel. The worker itself never becomes a subreaper.
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

from .framework.base import Context, Module, ModuleError, SchemaContext
from .framework.datatable import Column, DataTable, Kind, Schema
from .framework.params import Text
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry
from .framework.script_sandbox import DEFAULT_UID, hand_over, prepare, sandbox_command, sandbox_problem

CPU_SECONDS = 300  # RLIMIT_CPU of the child
MEMORY_BYTES = 2 * 1024**3  # RLIMIT_AS of the child
FILE_BYTES = 1024**3  # RLIMIT_FSIZE: the largest file the child may write
WALL_SECONDS = 600  # wall-clock limit; the script and everything it started are killed after it
PROCESS_COUNT = 512  # RLIMIT_NPROC of the script's user (processes and threads; a root worker only: see below)
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
import json, os, sys, traceback
from pathlib import Path

work = Path(sys.argv[1])
os.chdir(work)  # here, not by bwrap: as root without capabilities it can't enter the script user's directory
os.environ.pop("PWD", None)  # bwrap's, and wrong after the chdir: the script gets only the environment built for it


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


def child_limits() -> None:
    """In bwrap before exec: limits the script inherits. RLIMIT_NPROC counts every process of a user, so it is
    set only where the script gets a user of its own (a root worker; root itself, bwrap, is exempt)."""
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.geteuid() == 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (PROCESS_COUNT, PROCESS_COUNT))
    if sys.platform.startswith("linux"):  # bwrap dies with the worker (its init, and so the sandbox, with it)
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def child_environment(work: Path) -> dict[str, str]:
    """Built from nothing: the parent's environment (and its secrets) is never passed on."""
    return {"PATH": CHILD_PATH, "HOME": str(work), "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def start_child(work: Path, etc: Path, uid: int) -> subprocess.Popen[bytes]:
    """bwrap, leading a session of its own, with the runner inside; the limits it gets are inherited."""
    command = sandbox_command(work, etc, ["-I", "-u", "-c", RUNNER, str(work)], uid)
    with open(work / "stdout.txt", "wb") as stdout, open(work / "stderr.txt", "wb") as stderr:
        return subprocess.Popen(command, cwd=work, env=child_environment(work), stdin=subprocess.DEVNULL,
                                stdout=stdout, stderr=stderr, start_new_session=True, preexec_fn=child_limits,
                                close_fds=True)


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
    """Kill bwrap: its init in the sandbox dies with it (--die-with-parent), and the kernel kills the rest."""
    try:
        os.kill(process.pid, signal.SIGKILL)  # not process.send_signal: it would reap the child
    except ProcessLookupError:
        pass


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill whatever is left in bwrap's process group, and reap it."""
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


def exit_message(code: int, work: Path) -> str:
    """Why a child that left no result stopped, from its exit status (bwrap reports a signal n as 128 + n)."""
    if code > 128 and code - 128 in signal.valid_signals():
        code = 128 - code
    if code == 1 and (failure := sandbox_failure(work)):
        return f"Execute Python Script's sandbox failed to start: {failure}"
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


def sandbox_failure(work: Path) -> str | None:
    """bwrap's own complaint, when it could not set the sandbox up (its messages start with 'bwrap: ')."""
    path = work / "stderr.txt"
    lines = path.read_text(errors="replace").splitlines()[:1] if path.exists() else []
    return lines[0] if lines and lines[0].startswith("bwrap: ") else None


def printed_text(work: Path, stream: str) -> str:
    """What the script printed to one stream (its first OUTPUT_BYTES)."""
    path = work / f"{stream}.txt"
    if not path.exists():
        return ""
    with open(path, "rb") as file:
        return file.read(OUTPUT_BYTES).decode("utf-8", "replace")


def printed(work: Path) -> pd.DataFrame:
    """The Python device: each printed line with the stream it went to."""
    rows = [(stream, line) for stream in ("stdout", "stderr") for line in printed_text(work, stream).splitlines()]
    return pd.DataFrame(rows, columns=["stream", "text"]).astype("str")


def script_failure(report: Mapping[str, Any]) -> ModuleError:
    """The script's error, its own traceback (frames of script.py) as the node's traceback."""
    details = f"Traceback (most recent call last):\n{report['traceback']}" if report.get("traceback") else None
    return ModuleError(failure_message(report), parameter="python_script", details=details)


def run_script(script: str, frames: list[pd.DataFrame | None], ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the script in the sandbox around a private temporary directory; the result and the printed output."""
    uid = int(ctx.settings.get("ATELIER_PYTHON_SCRIPT_UID", DEFAULT_UID))
    if problem := sandbox_problem(uid):
        raise ModuleError(f"Execute Python Script can't run on this worker: its sandbox is unavailable ({problem}). "
                          "Scripts never run outside the sandbox.")
    with tempfile.TemporaryDirectory(prefix="atelier-script-", ignore_cleanup_errors=True) as directory:
        work, etc = prepare(Path(directory), uid)
        (work / "script.py").write_text(script)
        for index, frame in enumerate(frames, start=1):
            if frame is not None:
                frame.to_parquet(work / f"in{index}.parquet", index=False)
        hand_over(work, uid)
        code = wait_for(start_child(work, etc, uid), ctx)
        for stream in ("stdout", "stderr"):  # to the node's output log, whatever the outcome
            ctx.output(stream, printed_text(work, stream))
        if (work / "error.json").exists():
            raise script_failure(json.loads((work / "error.json").read_text()))
        if code != 0 or not (work / "out.parquet").exists():
            raise ModuleError(exit_message(code, work), parameter="python_script")
        return pd.read_parquet(work / "out.parquet"), printed(work)


@registry.register
class ExecutePythonScript(Module):
    id = "execute-python-script"
    no_code_reason = "it runs a user's script in the studio's sandbox; copy the script into this function yourself"
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
