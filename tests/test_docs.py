"""The documentation: a short README with its set-up commands up front, docs that stand on
their own (no path outside the repository) and repository paths that exist."""

import re
import subprocess
from pathlib import Path

from conftest import ROOT

INSTALL = 'python3 -m pip install -e ".[workflow,test]"'
TEST = "python3 -m pytest"
# a repository path in backticks starts with one of these folders or is one of these files
FOLDERS = (
    "docs/",
    "config/",
    "src/",
    "rules/",
    "scripts/",
    "benchmarks/",
    "tests/",
    "profiles/",
    "envs/",
    "report/",
    ".ci/",
)
FILES = ("Snakefile", "pyproject.toml", "README.md")
NOT_A_PATH = ("<", "{", "*", "…", "$")  # and whitespace


def tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [ROOT / name for name in out.split("\0") if name]


def test_readme_is_short_with_its_set_up_commands_up_front():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines"
    head = lines[:40]
    assert any(INSTALL in line for line in head), "the install command in the first 40 lines"
    # the test command as a line of its own inside a code block (.ci/run runs exactly that)
    inside, found = False, False
    for line in head:
        if line.startswith("```"):
            inside = not inside
        elif inside and line.strip() == TEST:
            found = True
    assert found, f"`{TEST}` alone on a line of a code block in the first 40 lines"


def test_no_file_points_outside_the_repository():
    team_notes = re.compile(re.escape("../" + "shared") + "|" + re.escape("shared" + "/reference"))
    found = []
    for path in tracked():
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue
        text = data.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if team_notes.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def mentioned_paths(markdown: Path) -> list[tuple[str, Path]]:
    """(as written, where it resolves) for each repository path that ``markdown`` names in
    backticks (from the repository root) or links to (from the file's folder)."""
    text = re.sub(r"^[ \t]*```.*?^[ \t]*```", "", markdown.read_text(), flags=re.M | re.S)
    found = []
    for name in re.findall(r"`([^`]+)`", text):
        if any(c in name for c in NOT_A_PATH) or re.search(r"\s", name):
            continue
        name = re.sub(r"(::\w+|:\d+)$", "", name.split("#")[0])
        if name.startswith(FOLDERS) or name in FILES:
            found.append((name, ROOT / name))
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        target = target.split("#")[0]
        if not target or re.match(r"[a-z]+:", target):  # an anchor, a URL, mailto:
            continue
        found.append((target, markdown.parent / target))
    return found


def test_every_path_the_docs_mention_exists():
    missing = []
    for markdown in tracked("*.md"):
        for name, path in mentioned_paths(markdown):
            if not path.exists():
                missing.append(f"{markdown.relative_to(ROOT)}: {name}")
    assert not missing, "\n".join(missing)


def test_the_path_check_sees_paths():
    """The check above reads backticks and links, and leaves out what is not a path."""
    found = dict(mentioned_paths(ROOT / "README.md"))
    assert "config/README.md" in found
    assert not any(name.startswith("results/") for name in found)
