"""The shape of the package: one seam around Docker, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

import rpmkit

PACKAGE = Path(rpmkit.__file__).parent
SEAM = PACKAGE / "engine"


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_only_the_engine_seam_imports_docker() -> None:
    offenders = []
    for path in _modules():
        if SEAM in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(PACKAGE)}: {n}" for n in names if n.split(".")[0] == "docker"
            ]
    assert offenders == []


def test_only_the_engine_seam_builds_a_docker_command_line() -> None:
    # An argument list starting with "docker" (the CLI) anywhere else is a second seam.
    offenders = []
    for path in _modules():
        if SEAM in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.List) and node.elts:
                first = node.elts[0]
                if isinstance(first, ast.Constant) and first.value == "docker":
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_no_import_cycles() -> None:
    # grimp counts imports inside functions and under TYPE_CHECKING too.
    graph = grimp.build_graph("rpmkit")
    cycles = set()
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain:
                cycles.add(" -> ".join((module, *chain)))
    assert sorted(cycles) == []


def test_no_command_imports_another() -> None:
    from rpmkit.cli import COMMANDS

    commands = {target.split(":")[0] for target in COMMANDS.values()}
    graph = grimp.build_graph("rpmkit")
    crossings = sorted(
        f"{module} -> {imported}"
        for module in commands
        for imported in graph.find_modules_directly_imported_by(module)
        if imported in commands
    )
    assert crossings == []


# Tests of the whole product rather than of one module: catalogues and the repository's shape.
ACROSS_MODULES = {"bad_inputs", "secrets", "layout", "docs", "ci_examples"}


def test_a_modules_unit_tests_are_found_by_its_name() -> None:
    # tests/unit/test_<module>.py, test_<package>_<module>.py, or test_<module>_<topic>.py.
    names: set[str] = set()
    for path in _modules():
        parts = [p for p in path.relative_to(PACKAGE).with_suffix("").parts if p != "__init__"]
        if parts:
            names |= {parts[-1], "_".join(parts)}
    unit = Path(__file__).parent
    strays = []
    for test in sorted(unit.glob("test_*.py")):
        topic = test.stem.removeprefix("test_")
        if topic in ACROSS_MODULES:
            continue
        if not any(topic == n or topic.startswith(f"{n}_") for n in names):
            strays.append(test.name)
    assert strays == []


HEAVY = ("docker", "requests", "pydantic", "jinja2", "testinfra", "pytest")


def _imported_by(code: str) -> set[str]:
    """The heavy modules a fresh interpreter has imported after running `code`."""
    import subprocess
    import sys

    found = f"' '.join(m for m in {HEAVY!r} if m in sys.modules)"
    probe = f"{code}\nimport sys\nprint({found}, file=sys.stderr)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return set(done.stderr.split())


def test_help_imports_none_of_the_heavy_modules() -> None:
    # Start-up time is part of the answer: help is read often and must come at once.
    code = (
        "from rpmkit.cli import main\n"
        "for argv in (['--help'], ['check', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass"
    )
    assert _imported_by(code) == set()


def test_checking_bare_rpms_imports_no_config_template_or_testinfra_module() -> None:
    # pydantic and jinja2 are for an app's config and spec, testinfra and pytest for the
    # app's own tests: a check of RPM files needs none of them (the engine needs docker).
    code = "import rpmkit.commands.check, rpmkit.check.run, rpmkit.verify, rpmkit.receipt"
    assert _imported_by(code) <= {"docker", "requests"}


def test_help_lists_each_command_with_its_own_first_line() -> None:
    import click

    from rpmkit.cli import COMMANDS, SUMMARIES, cli

    ctx = click.Context(cli)
    assert set(SUMMARIES) == set(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        assert command.get_short_help_str(limit=1000) == SUMMARIES[name], name
