"""The command's standard error: its own lines, not TensorFlow's native start-up notices."""

import subprocess
import sys
import textwrap

from neuroseed import console

NATIVE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796443925.317103   11324 port.cc:153] oneDNN custom operations are on.",
    "E0000 00:00:1796443930.386031   11324 cuda_platform.cc:52] failed call to cuInit: (303)",
    "W0000 00:00:1758131437.322781 3722519 computation_placer.cc:177] already registered.",
]


def _child(body: str) -> subprocess.CompletedProcess:
    code = "import os, sys\nfrom neuroseed.console import native_lines_hidden\n"
    code += textwrap.dedent(body).format(native=NATIVE)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_native_lines_are_hidden_and_everything_else_passes():
    proc = _child(
        """
        with native_lines_hidden():
            for line in {native}:
                os.write(2, (line + "\\n").encode())
            os.write(2, b"F0000 00:00:1.0 1 x.cc:1] Check failed: fatal\\n")
            os.write(2, b"a native line of another kind\\n")
            print("neuroseed: our own line", file=sys.stderr)
            os.write(2, b"last words without a newline")
        print("neuroseed: after", file=sys.stderr)
        os.write(2, b"I0000 00:00:1.0 1 x.cc:1] shown again outside\\n")
        """
    )
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr.splitlines()
    assert not any(line in err for line in NATIVE)
    assert set(err) == {
        "F0000 00:00:1.0 1 x.cc:1] Check failed: fatal",
        "a native line of another kind",
        "neuroseed: our own line",
        "last words without a newlineneuroseed: after",  # as a terminal shows them
        "I0000 00:00:1.0 1 x.cc:1] shown again outside",
    }


def test_a_crash_inside_still_reaches_standard_error():
    """The filter is a process of its own: what the runtime wrote before an abort is kept."""
    proc = _child(
        """
        with native_lines_hidden():
            os.write(2, b"F0000 00:00:1.0 1 x.cc:1] Check failed: before the abort\\n")
            os.abort()
        """
    )
    assert proc.returncode != 0
    assert "Check failed: before the abort" in proc.stderr


def test_disabled_passes_everything():
    proc = _child(
        """
        with native_lines_hidden(enabled=False):
            os.write(2, ({native}[1] + "\\n").encode())
        """
    )
    assert proc.stderr.strip() == NATIVE[1]


def _progress(monkeypatch, times, what, steps, total):
    """Lines ``Progress`` logs for ``steps`` done of ``total`` at the clock's ``times``."""
    clock = iter(times)
    monkeypatch.setattr(console.time, "perf_counter", lambda: next(clock))
    lines = []
    progress = console.Progress(lines.append, what, seconds=10.0)
    for done in steps:
        progress(done, total)
    return lines


def test_progress_in_a_log_is_a_line_every_few_seconds_and_the_last(monkeypatch, capsys):
    lines = _progress(monkeypatch, [0.0, 1.0, 12.0, 13.0, 14.0], "verification", (1, 2, 3, 4), 4)
    assert lines == ["verification: 2/4 (0/s, 12 s left)", "verification: 4/4 (0/s, 0 s left)"]
    assert capsys.readouterr().err == ""


def test_progress_on_a_terminal_is_redrawn_in_place_and_logged_once(monkeypatch, capsys):
    monkeypatch.setattr(console, "LIVE", True)
    lines = _progress(
        monkeypatch, [0.0, 0.5, 0.6, 1.0, 2.0], "embedding", (100, 150, 200, 400), 400
    )
    assert capsys.readouterr().err == (
        "\rneuroseed: embedding: 100/400 (200/s, 2 s left)\x1b[K"
        "\rneuroseed: embedding: 200/400 (200/s, 1 s left)\x1b[K"
    )
    assert lines == ["embedding: 400/400 (200/s, 0 s left)"]
