"""How a job script ends on an error: one line on the console, the traceback in the rule's log."""

import subprocess
import sys

import pytest

from neuroseed.jobs import prefer_checkout

JOB = """
import errno
from types import SimpleNamespace
from neuroseed import NeuroseedError
from neuroseed.jobs import run

def main(smk):
    raise {exc}

run(main, SimpleNamespace(log=[{log!r}], rule="some_rule"))
"""


@pytest.mark.parametrize(
    "exc, line",
    [
        ('NeuroseedError("in.fasta: FASTA file is empty")', "in.fasta: FASTA file is empty"),
        (
            'OSError(errno.ENOSPC, "No space left on device", "results/x/model.keras")',
            "results/x/model.keras: No space left on device",
        ),
        ('OSError(errno.EIO, "Input/output error")', "Input/output error"),
    ],
)
def test_a_failing_job_prints_one_line_naming_the_file(tmp_path, exc, line):
    """As a job script ends: exit 1, one line on the console, the details in the rule's log."""
    log = tmp_path / "logs" / "rule.log"
    code = JOB.format(exc=exc, log=str(log))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"error in rule some_rule: {line}"]
    assert line.split(": ")[-1] in log.read_text()


def test_prefer_checkout_puts_src_first_once(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/other:/x/src")
    prefer_checkout("/x/src")
    prefer_checkout("/x/src")  # the Snakefile is parsed again in cluster jobs
    import os

    assert os.environ["PYTHONPATH"] == "/x/src:/other"
