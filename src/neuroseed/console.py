"""What the ``neuroseed`` command shows on a terminal: its own lines, not TensorFlow's, and
the progress of long work (:class:`Progress`).

TensorFlow's C++ runtime writes its start-up notices straight to file descriptor 2 (oneDNN,
"Could not find cuda drivers", "failed call to cuInit … (303)", absl's "All log messages before
absl::InitializeLog() …"); since TensorFlow 2.19 ``TF_CPP_MIN_LOG_LEVEL`` no longer silences
them all. :func:`native_lines_hidden` sends descriptor 2 through a small filter process that drops
lines in absl's log format (``I``/``W``/``E`` + date, thread, ``file.cc:line]``) and passes every
other byte: fatal (``F``) lines and crash reports still reach the user, and, since the filter is
a process of its own, they do even when the runtime aborts. Python's own stderr (the command's
lines) bypasses the filter.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

# Progress is redrawn in place (the command on a terminal, not --quiet); otherwise, in a log
# file or a pipe, it is a line at most every few seconds. Set by the command, never by the
# library.
LIVE = False
REDRAW_SECONDS = 0.2

# absl's prefix (severity, MMDD, time, thread id, source:line) and its pre-InitializeLog notice
NATIVE_LINE = (
    rb"^(?:[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^ \]]+:\d+\] "
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR)"
)
_FILTER = f"""
import os, re, sys
native = re.compile({NATIVE_LINE!r})
rest = b""
while chunk := os.read(0, 65536):
    *lines, rest = (rest + chunk).split(b"\\n")
    kept = b"".join(line + b"\\n" for line in lines if not native.match(line))
    if kept:
        os.write(1, kept)
if rest and not native.match(rest):
    os.write(1, rest)
"""


@contextlib.contextmanager
def native_lines_hidden(enabled: bool = True) -> Iterator[None]:
    """Within the block, native log lines on descriptor 2 are dropped (nothing when not
    ``enabled``); ``sys.stderr`` keeps writing to the real standard error."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    real = os.dup(2)
    try:
        child = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _FILTER],
            stdin=subprocess.PIPE,
            stdout=real,
            stderr=real,
        )
    except OSError:  # no process to spare: the notices are noise, not worth failing for
        os.close(real)
        yield
        return
    python_stderr = sys.stderr
    if _is_descriptor_2(python_stderr):
        sys.stderr = io.TextIOWrapper(
            open(os.dup(real), "wb", buffering=0), write_through=True, errors="backslashreplace"
        )
    os.dup2(child.stdin.fileno(), 2)
    child.stdin.close()
    try:
        yield
    finally:
        if sys.stderr is not python_stderr:
            sys.stderr.close()
            sys.stderr = python_stderr
        os.dup2(real, 2)  # the filter's last writer goes: it reads the end and exits
        os.close(real)
        child.wait()


def _is_descriptor_2(stream) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):  # a test's capture, a closed stream
        return False


class Handler(logging.StreamHandler):
    """The command's log lines, on whatever ``sys.stderr`` is when a line is logged, over the
    progress line being redrawn (:data:`LIVE`)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        if LIVE:  # erase the progress line first
            self.stream.write("\r\x1b[K")
        super().emit(record)


class Progress:
    """``progress(done, total)``: on a terminal (:data:`LIVE`) one line redrawn in place,
    elsewhere a line ``log``-ged at most every ``seconds``; the last is always logged."""

    def __init__(self, log: Callable[[str], None], what: str, seconds: float = 10.0):
        self.log, self.what, self.seconds = log, what, seconds
        self.start = self.last = self.drawn = time.perf_counter()

    def _line(self, done: int, total: int, now: float) -> str:
        rate = done / max(now - self.start, 1e-9)
        eta = (total - done) / rate if rate else math.inf
        return f"{self.what}: {done}/{total} ({rate:.0f}/s, {eta:.0f} s left)"

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and LIVE:
            if now - self.drawn >= REDRAW_SECONDS:
                self.drawn = now
                sys.stderr.write(f"\rneuroseed: {self._line(done, total, now)}\x1b[K")
                sys.stderr.flush()
            return
        if done >= total or now - self.last >= self.seconds:
            self.last = now
            self.log(self._line(done, total, now))
