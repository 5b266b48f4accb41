"""Execute Python Script: results, printed output, and the child process's isolation and limits."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from experiments.modules import language
from experiments.modules.base import Cancelled, Context, ModuleError
from experiments.modules.datatable import DataTable, Role
from experiments.modules.language import DEFAULT_SCRIPT, ExecutePythonScript

ENABLED = Context(settings={"ATELIER_ALLOW_PYTHON_SCRIPT": True})


def table() -> DataTable:
    return DataTable(pd.DataFrame({"a": [1, 2, 3], "label": ["x", "y", "x"]}), {"label": Role.LABEL})


def run(script: str | None = None, ctx: Context = ENABLED, **inputs: Any) -> dict[str, Any]:
    params, problems = ExecutePythonScript.clean_params({} if script is None else {"python_script": script})
    assert not problems, problems
    return ExecutePythonScript().execute(inputs, params, ctx)


def script(*body: str) -> str:
    return "def azureml_main(dataframe1=None, dataframe2=None):\n" + "".join(f"    {line}\n" for line in body)


def failure(text: str, **inputs: Any) -> ModuleError:
    with pytest.raises(ModuleError) as error:
        run(text, **inputs)
    assert error.value.parameter == "python_script"
    return error.value


def test_the_default_script_is_the_classic_template_and_returns_its_input():
    assert "def azureml_main(dataframe1 = None, dataframe2 = None):\n    return dataframe1,\n" in DEFAULT_SCRIPT
    result = run(dataframe1=table())["result_dataset"]
    pd.testing.assert_frame_equal(result.frame, table().frame)
    assert result.roles == {"label": Role.LABEL}


def test_a_script_transforms_both_inputs():
    second = DataTable(pd.DataFrame({"a": [10, 20, 30]}))
    result = run(script("out = dataframe1.assign(total=dataframe1['a'] + dataframe2['a'])", "return out, 'ignored'"),
                 dataframe1=table(), dataframe2=second)["result_dataset"]
    assert result.frame.to_dict("list") == {"a": [1, 2, 3], "label": ["x", "y", "x"], "total": [11, 22, 33]}


def test_printed_output_is_captured_in_the_python_device():
    device = run(script("import sys", "print('rows:', len(dataframe1))", "print('careful', file=sys.stderr)",
                        "return dataframe1"), dataframe1=table())["python_device"].frame
    assert device.to_dict("list") == {"stream": ["stdout", "stderr"], "text": ["rows: 3", "careful"]}


def test_the_child_sees_none_of_the_parents_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgres://user:password@db/atelier")
    result = run(script("import os, pandas as pd", "names = sorted(os.environ)",
                        "return pd.DataFrame({'name': names, 'value': [os.environ[n] for n in names]})"))[
        "result_dataset"].frame
    environment = dict(zip(result["name"], result["value"], strict=True))
    assert "SECRET_KEY" not in environment and "DATABASE_URL" not in environment
    assert not any("do-not-leak" in value or "password" in value for value in environment.values())
    assert set(environment) <= {"PATH", "HOME", "LANG", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"}


def test_the_script_runs_in_a_fresh_temporary_directory_that_is_removed():
    frame = run(script("import os, pandas as pd", "open('scratch.txt', 'w').write('x')",
                       "return pd.DataFrame({'cwd': [os.getcwd()], 'home': [os.environ['HOME']]})"))[
        "result_dataset"].frame
    cwd = frame["cwd"].iloc[0]
    assert frame["home"].iloc[0] == cwd and "atelier-script-" in cwd
    assert not os.path.exists(cwd)


def test_an_error_in_the_script_names_its_line_and_shows_the_traceback():
    error = failure(script("total = 0", "return dataframe1 / total['nope']"), dataframe1=table())
    message = str(error)
    assert message.startswith("The Python script failed at line 3 of the script: TypeError: ")
    assert 'File "script.py", line 3, in azureml_main' in message
    assert "return dataframe1 / total['nope']" in message


def test_a_syntax_error_names_its_line():
    error = failure("import pandas\n\ndef azureml_main(dataframe1=None, dataframe2=None)\n    return dataframe1\n")
    assert str(error).startswith("The Python script failed at line 3 of the script: SyntaxError: ")


def test_the_result_must_be_a_data_frame():
    error = failure(script("return 42"))
    assert str(error) == ("The Python script's result can't be used as a dataset: TypeError: azureml_main must "
                          "return a DataFrame or a tuple starting with one; got int")
    error = failure("x = 1\n")
    assert "defines no function azureml_main" in str(error)


def test_an_endless_script_is_stopped_by_the_wall_clock_limit(monkeypatch):
    monkeypatch.setattr(language, "WALL_SECONDS", 2)
    error = failure(script("import time", "while True: time.sleep(0.05)"))
    assert str(error) == "The Python script ran for more than 2 s and was stopped"


def test_a_busy_script_is_stopped_by_the_cpu_limit(monkeypatch):
    monkeypatch.setattr(language, "CPU_SECONDS", 2)
    error = failure(script("while True: pass"))
    assert str(error) == "The Python script used more than 2 s of CPU time and was stopped"


def test_a_memory_bomb_is_stopped(monkeypatch):
    monkeypatch.setattr(language, "MEMORY_BYTES", 1024**3)
    error = failure(script("hog = bytearray(8 * 1024 ** 3)", "return dataframe1"))
    assert str(error) == "The Python script ran out of memory (limit 1024 MiB) at line 2 of the script"


def test_the_module_refuses_to_run_unless_enabled():
    with pytest.raises(ModuleError, match="disabled on this installation"):
        run(ctx=Context(), dataframe1=table())
    assert ExecutePythonScript.requires_setting == "ATELIER_ALLOW_PYTHON_SCRIPT"


def test_an_empty_script_is_a_parameter_problem():
    _, problems = ExecutePythonScript.clean_params({"python_script": "  "}, "n1")
    assert [p.message for p in problems] == [
        "The 'Python script' parameter of Execute Python Script (node n1) must be a non-empty text; got '  '."]


def test_an_input_without_rows_reaches_the_script_with_its_columns():
    empty = DataTable(pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype="str")}))
    result = run(script("print(list(dataframe1.columns), len(dataframe1), dataframe2)", "return dataframe1"),
                 dataframe1=empty)
    assert result["result_dataset"].columns == ["a", "b"] and result["result_dataset"].frame.empty
    assert result["python_device"].frame["text"].tolist() == ["['a', 'b'] 0 None"]


def daemon(pid_file: Path, *then: str) -> str:
    """A script that double-forks a daemon into a session of its own (it writes its pid, then sleeps 60 s)."""
    return script("import os, time", "child = os.fork()", "if child == 0:", "    os.setsid()",
                  "    if os.fork() == 0:", f"        open({str(pid_file) + '.tmp'!r}, 'w').write(str(os.getpid()))",
                  f"        os.rename({str(pid_file) + '.tmp'!r}, {str(pid_file)!r})", "        time.sleep(60)",
                  "    os._exit(0)", "os.waitpid(child, 0)", f"while not os.path.exists({str(pid_file)!r}):",
                  "    time.sleep(0.01)", *then)


def alive(pid: int) -> bool:
    """Whether the process runs: a zombie (dead, not reaped yet) does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def assert_gone(pid_file: Path) -> None:
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)  # don't leave it behind for a minute
        pytest.fail(f"the script's daemon (pid {pid}) outlived the module")


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the child subreaper is Linux's")


@linux_only
def test_a_daemon_in_a_session_of_its_own_does_not_outlive_the_script(tmp_path):
    pid_file = tmp_path / "daemon.pid"
    result = run(daemon(pid_file, "return dataframe1"), dataframe1=table())
    assert result["result_dataset"].frame.equals(table().frame)
    assert_gone(pid_file)
    flag = ctypes.c_int(-1)
    assert ctypes.CDLL(None).prctl(37, ctypes.byref(flag)) == 0  # PR_GET_CHILD_SUBREAPER
    assert flag.value == 0, "only the supervisor child may be a subreaper, never the worker"


@linux_only
def test_a_daemon_does_not_outlive_a_script_that_fails(tmp_path):
    pid_file = tmp_path / "daemon.pid"
    error = failure(daemon(pid_file, "raise ValueError('nope')"))
    assert "ValueError: nope" in str(error)
    assert_gone(pid_file)


@linux_only
def test_a_daemon_does_not_outlive_the_wall_clock_limit(monkeypatch, tmp_path):
    monkeypatch.setattr(language, "WALL_SECONDS", 2)
    pid_file = tmp_path / "daemon.pid"
    error = failure(daemon(pid_file, "while True: time.sleep(0.05)"))
    assert str(error) == "The Python script ran for more than 2 s and was stopped"
    assert_gone(pid_file)


@linux_only
def test_a_daemon_does_not_outlive_a_cancelled_run(tmp_path):
    pid_file = tmp_path / "daemon.pid"

    def cancel_once_started(fraction: float) -> None:
        if pid_file.exists():
            raise Cancelled()

    ctx = Context(settings=ENABLED.settings, report_progress=cancel_once_started)
    with pytest.raises(Cancelled):
        run(daemon(pid_file, "while True: time.sleep(0.05)"), ctx=ctx)
    assert_gone(pid_file)


@linux_only
def test_a_script_that_starts_a_session_itself_is_stopped_by_the_wall_clock_limit(monkeypatch, tmp_path):
    monkeypatch.setattr(language, "WALL_SECONDS", 2)
    pid_file = tmp_path / "script.pid"
    error = failure(script("import os, time", "os.setsid()", f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))",
                           "while True: time.sleep(0.05)"))
    assert str(error) == "The Python script ran for more than 2 s and was stopped"
    assert_gone(pid_file)
