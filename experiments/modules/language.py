"""Python Language: Execute Python Script, with the classic `azureml_main` entry point.

User code never runs in the worker's own process: it runs in a child Python (`-I`, isolated) with CPU-time,
address-space and file-size limits, a wall-clock limit enforced by killing its process group, a fresh
temporary directory as working directory and HOME (removed afterwards), and an environment built from
scratch, so none of the studio's secrets (SECRET_KEY, DATABASE_URL...) reach it. Data crosses as Parquet
files. The engine refuses the module unless ATELIER_ALLOW_PYTHON_SCRIPT is set; the module checks too.
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

from .base import Cancelled, Context, Module, ModuleError, SchemaContext
from .datatable import Column, DataTable, Kind, Schema
from .params import Text
from .ports import InputPort, OutputPort, PortType
from .registry import registry

CPU_SECONDS = 300  # RLIMIT_CPU of the child
MEMORY_BYTES = 2 * 1024**3  # RLIMIT_AS of the child
FILE_BYTES = 1024**3  # RLIMIT_FSIZE: the largest file the child may write
WALL_SECONDS = 600  # wall-clock limit; the child's process group is killed after it
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
    with open(work / "stdout.txt", "wb") as stdout, open(work / "stderr.txt", "wb") as stderr:
        return subprocess.Popen([sys.executable, "-I", "-u", "-c", RUNNER, str(work)], cwd=work,
                                env=child_environment(work), stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                start_new_session=True, preexec_fn=child_limits, close_fds=True)


def wait_for(process: subprocess.Popen[bytes], ctx: Context) -> int:
    """Wait for the child, killing its whole group on the wall-clock limit or a cancelled run."""
    started = time.monotonic()
    try:
        while True:
            try:
                return process.wait(timeout=POLL_SECONDS)
            except subprocess.TimeoutExpired:
                waited = time.monotonic() - started
                if waited >= WALL_SECONDS:
                    kill_group(process)
                    raise ModuleError(f"The Python script ran for more than {WALL_SECONDS} s and was stopped",
                                      parameter="python_script") from None
                ctx.progress(min(0.9, waited / WALL_SECONDS))
    except Cancelled:
        kill_group(process)
        raise


def kill_group(process: subprocess.Popen[bytes]) -> None:
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
