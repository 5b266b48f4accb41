"""Execute Python Script: results, printed output, and the child process's isolation and limits."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from experiments.checks import check_python_script_sandbox
from experiments.modules import language
from experiments.modules.framework import script_sandbox
from experiments.modules.framework.base import Cancelled, Context, ModuleError
from experiments.modules.framework.datatable import DataTable, Role
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


# A process the script leaves behind is found from outside by a marker in its command line: inside the sandbox's
# PID namespace its pid means nothing here, and the test's directories are out of the script's sight.
SEEN = """import os
def seen(marker):
    for pid in os.listdir('/proc'):
        try:
            if pid.isdigit() and marker in open(f'/proc/{pid}/cmdline').read():
                return True
        except OSError:
            pass
    return False
"""


def sleeper(marker: str) -> str:
    """Python statements replacing the current process by a 60 s sleep whose command line holds `marker`."""
    return f"os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', {marker!r}])"


def daemon(marker: str, *then: str) -> str:
    """A script that double-forks a daemon into a session of its own (a 60 s sleep marked `marker`) and waits
    until it runs, then does `then`."""
    return SEEN + script("import os, sys, time", "child = os.fork()", "if child == 0:", "    os.setsid()",
                         "    if os.fork() == 0:", f"        {sleeper(marker)}", "    os._exit(0)",
                         "os.waitpid(child, 0)", f"while not seen({marker!r}):", "    time.sleep(0.01)", *then)


def marked(marker: str) -> list[int]:
    """The pids (here) of live processes whose command line holds `marker`; zombies don't count."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat, command = (entry / "stat").read_text(), (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        if marker.encode() in command and stat[stat.rfind(")") + 2] != "Z" and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def assert_gone(marker: str) -> None:
    deadline = time.monotonic() + 2
    while marked(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    if left := marked(marker):
        for pid in left:
            os.kill(pid, signal.SIGKILL)  # don't leave it behind for a minute
        pytest.fail(f"the script's process {left} outlived the module")


def stopping_once_seen(marker: str, monkeypatch: pytest.MonkeyPatch, cancel: bool = False) -> Context:
    """A context whose progress reports (every 0.2 s while the script runs) look for the marked process here;
    once it runs, the run is cancelled or the wall clock cut to 1 s. Nothing depends on how fast it starts."""

    def look(fraction: float) -> None:
        if marked(marker):
            if cancel:
                raise Cancelled()
            monkeypatch.setattr(language, "WALL_SECONDS", 1)

    return Context(settings=ENABLED.settings, report_progress=look)


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is Linux's")


@linux_only
def test_a_daemon_in_a_session_of_its_own_does_not_outlive_the_script():
    marker = f"atelier-test-{uuid.uuid4().hex}"
    result = run(daemon(marker, "return dataframe1"), dataframe1=table())
    assert result["result_dataset"].frame.equals(table().frame)
    assert_gone(marker)
    flag = ctypes.c_int(-1)
    assert ctypes.CDLL(None).prctl(37, ctypes.byref(flag)) == 0  # PR_GET_CHILD_SUBREAPER
    assert flag.value == 0, "the worker never becomes a subreaper"


@linux_only
def test_a_daemon_does_not_outlive_a_script_that_fails():
    marker = f"atelier-test-{uuid.uuid4().hex}"
    error = failure(daemon(marker, "raise ValueError('nope')"))
    assert "ValueError: nope" in str(error)
    assert_gone(marker)


@linux_only
def test_a_daemon_does_not_outlive_the_wall_clock_limit(monkeypatch):
    marker = f"atelier-test-{uuid.uuid4().hex}"
    with pytest.raises(ModuleError) as error:
        run(daemon(marker, "while True: time.sleep(0.05)"), ctx=stopping_once_seen(marker, monkeypatch))
    assert str(error.value) == "The Python script ran for more than 1 s and was stopped"
    assert_gone(marker)


@linux_only
def test_a_daemon_does_not_outlive_a_cancelled_run(monkeypatch):
    marker = f"atelier-test-{uuid.uuid4().hex}"
    with pytest.raises(Cancelled):
        run(daemon(marker, "while True: time.sleep(0.05)"), ctx=stopping_once_seen(marker, monkeypatch, cancel=True))
    assert_gone(marker)


@linux_only
def test_a_script_that_starts_a_session_itself_is_stopped_by_the_wall_clock_limit(monkeypatch):
    marker = f"atelier-test-{uuid.uuid4().hex}"
    with pytest.raises(ModuleError) as error:
        run(script("import os, sys", "os.setsid()", sleeper(marker)), ctx=stopping_once_seen(marker, monkeypatch))
    assert str(error.value) == "The Python script ran for more than 1 s and was stopped"
    assert_gone(marker)


# --- The sandbox: refused where it can't be had; a process-count limit ---------------------------------------


@pytest.fixture
def sandbox_probe() -> Iterator[None]:
    """The sandbox probe is cached per process: a test that changes what it finds starts and ends afresh."""
    script_sandbox.sandbox_problem.cache_clear()
    yield
    script_sandbox.sandbox_problem.cache_clear()


def test_without_bubblewrap_the_module_refuses_to_run(monkeypatch, sandbox_probe, tmp_path):
    monkeypatch.setattr(script_sandbox, "BWRAP", "atelier-no-such-bwrap")
    witness = tmp_path / "ran-unsandboxed"
    with pytest.raises(ModuleError) as error:
        run(script(f"open({str(witness)!r}, 'w').write('x')", "return dataframe1"), dataframe1=table())
    assert str(error.value) == (
        "Execute Python Script can't run on this worker: its sandbox is unavailable (bubblewrap is not installed "
        "(the bwrap command; Debian package bubblewrap)). Scripts never run outside the sandbox.")
    assert not witness.exists()


def test_where_namespaces_are_refused_the_module_refuses_to_run(monkeypatch, sandbox_probe, tmp_path):
    """A bwrap that can't make namespaces (user namespaces disabled, a container's seccomp profile) fails the
    probe, and the script is never run some other way."""
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(script_sandbox, "BWRAP", str(fake))
    witness = tmp_path / "ran-unsandboxed"
    with pytest.raises(ModuleError) as error:
        run(script(f"open({str(witness)!r}, 'w').write('x')", "return dataframe1"), dataframe1=table())
    assert "its sandbox is unavailable (bwrap could not start a sandbox (bwrap: No permissions to create new " \
           "namespace); are user namespaces disabled?)" in str(error.value)
    assert not witness.exists()


def test_an_enabled_module_without_its_sandbox_is_a_system_check_warning(monkeypatch, sandbox_probe, settings):
    settings.ATELIER_ALLOW_PYTHON_SCRIPT = True
    assert check_python_script_sandbox() == []
    monkeypatch.setattr(script_sandbox, "BWRAP", "atelier-no-such-bwrap")
    script_sandbox.sandbox_problem.cache_clear()
    [warning] = check_python_script_sandbox()
    assert warning.id == "experiments.W001" and "bubblewrap is not installed" in warning.msg
    settings.ATELIER_ALLOW_PYTHON_SCRIPT = False
    assert check_python_script_sandbox() == []


@pytest.mark.skipif(os.geteuid() != 0, reason="the script gets a user of its own (and RLIMIT_NPROC) under root")
def test_a_fork_bomb_meets_the_process_count_limit(monkeypatch):
    monkeypatch.setattr(language, "PROCESS_COUNT", 16)
    result = run(script("import os, time, pandas as pd", "children = []", "try:", "    for _ in range(200):",
                        "        pid = os.fork()", "        if pid == 0:", "            time.sleep(30)",
                        "            os._exit(0)", "        children.append(pid)", "except BlockingIOError as error:",
                        "    print('refused:', error.strerror)", "return pd.DataFrame({'forked': [len(children)]})"))
    assert result["result_dataset"].frame["forked"].iloc[0] < 16
    assert result["python_device"].frame["text"].tolist() == ["refused: Resource temporarily unavailable"]
