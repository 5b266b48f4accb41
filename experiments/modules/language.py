"""Python Language: Execute Python Script, with the classic `azureml_main` entry point.

User code never runs in the worker's own process: it runs in a child Python with CPU-time, memory and
wall-clock limits, a fresh temporary directory, and an environment that holds none of the studio's
secrets. Data crosses as Parquet files. The module is off unless ATELIER_ALLOW_PYTHON_SCRIPT is set.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .base import Cancelled, Context, Module, ModuleError
from .datatable import DataTable
from .params import Text
from .ports import InputPort, OutputPort, PortType
from .registry import registry

CPU_SECONDS = 300
MEMORY_BYTES = 4 * 1024**3
WALL_SECONDS = 600
POLL_SECONDS = 0.5

DEFAULT_SCRIPT = '''# The script MUST contain a function named azureml_main, which is the entry point for this module.
# dataframe1 and dataframe2 are the two inputs (pandas DataFrames, or None when not connected).
import pandas as pd


def azureml_main(dataframe1=None, dataframe2=None):
    # Return value must be a pandas.DataFrame, or a sequence whose first item is one.
    return dataframe1,
'''

# Runs in the child: load inputs, call azureml_main, write the result or a traceback of the user's code.
RUNNER = r'''
import contextlib, io, sys, traceback
from pathlib import Path
import pandas as pd

work = Path(sys.argv[1])
source = (work / "script.py").read_text()
frames = [pd.read_parquet(work / f"in{i}.parquet") if (work / f"in{i}.parquet").exists() else None for i in (1, 2)]
output = io.StringIO()
try:
    namespace = {"__name__": "azureml_script"}
    with contextlib.redirect_stdout(output):
        exec(compile(source, "script.py", "exec"), namespace)
        if "azureml_main" not in namespace:
            raise NameError("The script defines no azureml_main function")
        result = namespace["azureml_main"](*frames)
    if isinstance(result, (tuple, list)) and result:
        result = result[0]
    if not isinstance(result, pd.DataFrame):
        kind = type(result).__name__
        raise TypeError(f"azureml_main must return a DataFrame (or a tuple whose first item is one); got {kind}")
    result.to_parquet(work / "out.parquet")
except BaseException as error:
    frames_ = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == "script.py"]
    where = f" (line {frames_[-1].lineno} of the script)" if frames_ else ""
    if isinstance(error, SyntaxError):
        where = f" (line {error.lineno} of the script)"
    (work / "error.txt").write_text(f"{type(error).__name__}: {error}{where}")
(work / "stdout.txt").write_text(output.getvalue())
'''


def child_limits() -> None:
    """In the child before exec: its own session, resource limits, and death with its parent (Linux)."""
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run_script(script: str, frames: list[pd.DataFrame | None], ctx: Context) -> tuple[pd.DataFrame, str]:
    with tempfile.TemporaryDirectory(prefix="atelier-script-") as directory:
        work = Path(directory)
        (work / "script.py").write_text(script)
        for index, frame in enumerate(frames, start=1):
            if frame is not None:
                frame.to_parquet(work / f"in{index}.parquet")
        code = wait_for(start_child(work), ctx)
        stdout = (work / "stdout.txt").read_text() if (work / "stdout.txt").exists() else ""
        if (work / "error.txt").exists():
            failure = (work / "error.txt").read_text()
            raise ModuleError(f"The Python script failed: {failure}", parameter="python_script")
        if code != 0 or not (work / "out.parquet").exists():
            raise ModuleError(limit_message(code), parameter="python_script")
        return pd.read_parquet(work / "out.parquet"), stdout


def start_child(work: Path) -> subprocess.Popen[bytes]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-I", "-c", RUNNER, str(work)], cwd=work, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=child_limits)


def wait_for(process: subprocess.Popen[bytes], ctx: Context) -> int:
    """Wait for the child, killing its whole group on the wall-clock limit or a cancelled run."""
    waited = 0.0
    try:
        while True:
            try:
                return process.wait(timeout=POLL_SECONDS)
            except subprocess.TimeoutExpired:
                waited += POLL_SECONDS
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


def limit_message(code: int) -> str:
    if code == -signal.SIGXCPU or code == -signal.SIGKILL:
        return f"The Python script used more than {CPU_SECONDS} s of CPU time and was stopped"
    return (f"The Python script stopped without a result (exit code {code}); it may have run out of memory "
            f"(limit {MEMORY_BYTES // 2**20} MiB)")


@registry.register
class ExecutePythonScript(Module):
    name = "Execute Python Script"
    category = "Python Language"
    description = "Runs a Python script on the inputs: azureml_main(dataframe1, dataframe2) returns a DataFrame."
    inputs = [InputPort("dataframe1", PortType.DATA_TABLE, optional=True),
              InputPort("dataframe2", PortType.DATA_TABLE, optional=True)]
    outputs = [OutputPort("result_dataset", PortType.DATA_TABLE), OutputPort("python_device", PortType.DATA_TABLE)]
    params = {"python_script": Text("Python script", DEFAULT_SCRIPT, language="python", allow_empty=False)}
    requires_setting = "ATELIER_ALLOW_PYTHON_SCRIPT"

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        if not ctx.settings.get(self.requires_setting):
            raise ModuleError("Execute Python Script is disabled on this installation "
                              "(set ATELIER_ALLOW_PYTHON_SCRIPT=1 to enable it)")
        tables = [inputs.get(name) for name in ("dataframe1", "dataframe2")]
        frames = [table.frame if isinstance(table, DataTable) else None for table in tables]
        result, stdout = run_script(params["python_script"], frames, ctx)
        device = pd.DataFrame({"stream": "stdout", "text": stdout.splitlines()}, columns=["stream", "text"])
        roles = tables[0].roles if isinstance(tables[0], DataTable) else {}
        try:
            return {"result_dataset": DataTable(result, roles), "python_device": DataTable(device.astype(object))}
        except ValueError as error:
            raise ModuleError(f"The script's result is not a valid dataset: {error}") from None
