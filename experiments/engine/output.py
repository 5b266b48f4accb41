"""A node's output log, as the classic studio's "View output log" showed it: what the module printed (stdout,
stderr), the Python warnings it raised and the lines it logged through `ctx.log`, in the order they came.

The executor captures per node with `captured(output)`: sys.stdout and sys.stderr are swapped for writers into
the node's log (contextlib), and warnings are shown into it (warnings.catch_warnings restores the filters and
`showwarning` afterwards). A run executes on one worker process (Celery prefork child) one node at a time, so
process-wide redirection is per node. The log is bounded: past `limit` bytes nothing more is kept and a note
says it was cut, so a module that prints in a loop can't fill the database.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from typing import Any, TextIO

STREAMS = ("stdout", "stderr", "warning", "log")
NOTE = "atelier"  # the stream of what Atelier itself adds (the cut note)


class NodeOutput:
    """The entries of one node's log: [{"stream", "text"}], consecutive writes to one stream merged."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.entries: list[dict[str, str]] = []
        self.size = 0
        self.cut = False

    def write(self, stream: str, text: str) -> None:
        if not text or self.cut:
            return
        room = self.limit - self.size
        data = text.encode("utf-8", "replace")
        if len(data) > room:
            text, self.cut = data[:room].decode("utf-8", "ignore"), True
        self.size += len(text.encode("utf-8", "replace"))
        if text:
            self._append(stream, text)
        if self.cut:
            note = f"\n[The output log was cut at {self.limit // 1024} KiB; what came after is not kept.]\n"
            self._append(NOTE, note)

    def line(self, stream: str, text: str) -> None:
        """A whole line (a log message, a warning): starts on a line of its own."""
        self.write(stream, text if text.endswith("\n") else text + "\n")

    def _append(self, stream: str, text: str) -> None:
        if self.entries and self.entries[-1]["stream"] == stream:
            self.entries[-1]["text"] += text
        else:
            self.entries.append({"stream": stream, "text": text})


class _Writer(io.TextIOBase):
    """A text stream whose writes go to one stream of a node's log."""

    def __init__(self, output: NodeOutput, stream: str) -> None:
        self.output = output
        self.stream = stream

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.output.write(self.stream, str(text))
        return len(text)


@contextlib.contextmanager
def captured(output: NodeOutput) -> Iterator[None]:
    """Everything printed or warned inside goes to `output` (and not to the worker's own log)."""

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        output.line("warning", warnings.formatwarning(message, category, filename, lineno, line).rstrip("\n"))

    stdout: Any = _Writer(output, "stdout")
    stderr: Any = _Writer(output, "stderr")
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), warnings.catch_warnings():
        warnings.showwarning = show  # catch_warnings puts the worker's back afterwards
        yield


def as_text(entries: list[dict[str, str]]) -> str:
    """The log as one plain text, each entry marked with its stream (for a download)."""
    parts = []
    for entry in entries:
        body = entry["text"] if entry["text"].endswith("\n") else entry["text"] + "\n"
        parts.append("".join(f"[{entry['stream']}] {line}\n" for line in body.splitlines()))
    return "".join(parts)
