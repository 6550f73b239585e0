"""The bad-input catalogue: every option and config field, every kind of bad value that applies.

The cases are generated from the click commands and the pydantic models
(`tests/bad_inputs.py`); `python bench/bad_inputs.py` prints how many there
are and how many were handled cleanly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rpmkit.config import AppConfig
from tests import bad_inputs

CASES = bad_inputs.all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_cleanly(case: bad_inputs.Case, tmp_path: Path) -> None:
    outcome = bad_inputs.run_case(case, tmp_path)
    assert not outcome.problems(case), outcome.problems(case)


def test_every_command_and_option_is_in_the_catalogue() -> None:
    ids = {c.id for c in CASES}
    for path, command in bad_inputs.commands():
        for param in command.params:
            if bad_inputs.kinds_for(param):
                name = getattr(param, "opts", [param.human_readable_name])[0]
                assert any(i.startswith(f"{' '.join(path)} {name} ") for i in ids), (path, name)


def test_every_config_field_is_in_the_catalogue() -> None:
    ids = " ".join(c.id for c in CASES)
    for name in AppConfig.model_fields:
        assert f"config {name}" in ids, name
    # Nested sections too: each of their fields is reached.
    for section in ("services[0].command", "health_check.load_balancer.interval", "bake.command"):
        assert f"config {section} " in ids, section


def test_the_catalogue_tells_a_pass_from_a_fail(tmp_path: Path) -> None:
    # The same machinery accepts a valid input and a prose field in any language.
    accepted = [c for c in CASES if c.expect == "accept"]
    assert accepted
    case = bad_inputs.Case("valid", ("spec", "{app}"), ())
    outcome = bad_inputs.run_case(case, tmp_path / "valid")
    assert outcome.code == 0, outcome.err
    assert "Name:           catalogue" in outcome.out
    # And a case that does not name what is wrong is not clean.
    bad = bad_inputs.Case("unnamed", ("spec", "{app}/missing"), ("--no-such-name",))
    assert bad_inputs.run_case(bad, tmp_path / "unnamed").problems(bad)


# A few cases as a user meets them: a separate process, real argv (which cannot hold NUL).
AS_PROCESSES = [
    "check --health-port out-of-range-high",
    "check --health-path trailing-newline",
    "check --expect-status out-of-range-low",
    "build --index-url trailing-backslash",
    "gate --max-age non-ascii",
    "rehearse --steady-seconds nan",
    "config services[0].command trailing-backslash",
    "config requirements symlink-escape",
]


@pytest.mark.parametrize("case_id", AS_PROCESSES)
def test_bad_input_as_a_separate_process(case_id: str, tmp_path: Path) -> None:
    (case,) = [c for c in CASES if c.id == case_id]
    places = bad_inputs.workspace(tmp_path, case)
    argv = []
    for arg in case.argv:
        for key, value in places.items():
            arg = arg.replace(key, value)
        argv.append(arg)
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "HOME": str(tmp_path / "home"),
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",  # reaching it would name no option
    }
    before = set(tmp_path.rglob("*"))
    proc = subprocess.run(
        [sys.executable, "-m", "rpmkit", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    outcome = bad_inputs.Outcome(
        proc.returncode,
        proc.stdout,
        proc.stderr,
        sorted(str(p) for p in set(tmp_path.rglob("*")) - before),
    )
    assert not outcome.problems(case), outcome.problems(case)
