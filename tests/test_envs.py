"""The conda environments (``envs/*.yaml``, for ``snakemake --sdm conda``) hold what their rules'
scripts import, and build from any working directory."""

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

# import name -> package name where the two differ
PACKAGE_OF = {
    "yaml": "pyyaml",
    "Bio": "biopython",
    "Levenshtein": "levenshtein",
    "keras_tuner": "keras-tuner",
    "qiime_default_reference": "qiime-default-reference",
}
# imported only where the optional backend or tool is chosen, never by a default run
OPTIONAL = {"torch", "jax", "snakemake"}
# in an env though no script imports them: the interpreter, tools the rules call
NOT_IMPORTED = {"python", "pip", "mafft"}


def rule_envs() -> dict[str, tuple[str, str]]:
    """Rule name -> (its conda env file, its script), from ``rules/*.smk``."""
    found = {}
    for smk in sorted((ROOT / "rules").glob("*.smk")):
        for block in re.split(r"^rule ", smk.read_text(), flags=re.M)[1:]:
            name = block.split(":", 1)[0].strip()
            env = re.search(r'conda:\s*"\.\./(envs/[^"]+)"', block)
            script = re.search(r'script:\s*"\.\./(scripts/[^"]+)"', block)
            if env and script:
                found[name] = (env.group(1), script.group(1))
    return found


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth of its code (deferred imports included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def third_party(script: Path) -> set[str]:
    """Top-level third-party modules a script needs, through the ``neuroseed`` modules it
    imports and theirs."""
    todo, seen, outside = [script], set(), set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top == "neuroseed":
                module = ROOT / "src" / Path(*name.split(".")).with_suffix(".py")
                package = ROOT / "src" / Path(*name.split(".")) / "__init__.py"
                todo += [p for p in (module, package) if p.exists()]
                if package.exists() and "pkgutil.iter_modules" in package.read_text():
                    todo += sorted(package.parent.glob("*.py"))  # it imports all its modules
            elif top not in sys.stdlib_module_names and top != "__future__":
                outside.add(top)
    return outside - OPTIONAL


def needs(path: Path) -> set[str]:
    """Package names of the third-party modules ``path`` needs (:func:`third_party`)."""
    return {PACKAGE_OF.get(m, m).lower().replace("_", "-") for m in third_party(path)}


def env_packages(env: dict) -> set[str]:
    """Package names (no versions, lower case) of a conda env file, pip ones included."""
    names = set()
    for dep in env["dependencies"]:
        for entry in dep["pip"] if isinstance(dep, dict) else [dep]:
            names.add(re.split(r"[<>=!\[ ]", entry.strip(), maxsplit=1)[0].lower())
    return names


ENVS = sorted({env for env, _ in rule_envs().values()})


def test_every_rule_with_a_script_has_an_env():
    assert len(rule_envs()) >= 20 and ENVS


@pytest.mark.parametrize("env_file", ENVS)
def test_an_env_holds_what_its_rules_import_and_nothing_local(env_file):
    text = (ROOT / env_file).read_text()
    env = yaml.safe_load(text)
    packages = env_packages(env)
    # a path is resolved from the copy Snakemake makes under .snakemake/conda/, not from here
    assert not [p for p in packages if p.startswith(("-e", ".", "/"))], env_file
    assert "python" in packages and env["channels"][-1] == "nodefaults"
    needed = set()
    for rule, (env_of_rule, script) in rule_envs().items():
        if env_of_rule != env_file:
            continue
        rule_needs = needs(ROOT / script)
        assert rule_needs <= packages, (
            f"{env_file} lacks {sorted(rule_needs - packages)} for {rule}"
        )
        needed |= rule_needs
    assert packages - needed - NOT_IMPORTED == set(), f"{env_file}: no rule imports these"


def pyproject_packages(*extras: str) -> set[str]:
    """Package names of the core dependencies plus the given extras."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    entries = project["dependencies"] + [
        d for e in extras for d in project["optional-dependencies"][e]
    ]
    return env_packages({"dependencies": entries})


def test_the_core_install_runs_the_command_and_the_workflow_extra_the_rest():
    core = pyproject_packages()
    # the Greengenes data package is imported only where a Greengenes source is read (a deferred
    # import in neuroseed.sources that the command never runs: the next test runs it without)
    assert needs(ROOT / "src/neuroseed/cli.py") - {"qiime-default-reference"} <= core
    assert "snakemake" not in core
    everything = pyproject_packages("workflow")
    for _, script in rule_envs().values():
        assert needs(ROOT / script) <= everything, script


def test_the_command_runs_without_the_workflow_packages():
    """As after ``pip install neuroseed`` (no extras): the workflow-only packages unimportable."""
    import subprocess

    blocked = ["snakemake", "pandas", "matplotlib", "seaborn", "keras_tuner", "requests"]
    blocked += ["qiime_default_reference"]
    code = (
        f"import sys; sys.modules.update(dict.fromkeys({blocked!r}))\n"
        "from neuroseed.cli import main\n"
        "sys.exit(main(['search', '--help']))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "--index" in out.stdout, out.stderr[-2000:]
