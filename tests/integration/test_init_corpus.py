"""Six kinds of web app go through `rpmkit init --yes` and `rpmkit run` to PASS, unedited.

The apps are tests/init_corpus.py's. Their wheels are downloaded once, for
all of them, into one wheelhouse that every `rpmkit run --wheelhouse` reads:
the corpus costs one download, not six. The RPM's architecture is asserted
both ways: noarch when every wheel is pure Python, the machine's when one
ships compiled code.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from rpmkit.build import spec, wheelhouse
from tests.init_corpus import KINDS
from tests.integration.conftest import rpmkit_cli

pytestmark = [pytest.mark.docker, pytest.mark.slow]
PYTHON = "3.11"  # the offline profile's (Debian bookworm)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the folder of the six apps, one wheelhouse holding every app's wheels)."""
    root = tmp_path_factory.mktemp("corpus")
    union = []
    for kind, (write, expected) in KINDS.items():
        app = write(root / kind)
        for line in (app / "requirements.txt").read_text().splitlines():
            if line.startswith("-r "):
                union += (app / line[3:]).read_text().splitlines()
            elif line:
                union.append(line)
        union += list(expected.extra)
    requirements = root / "all-requirements.txt"
    requirements.write_text("\n".join(sorted(set(union))) + "\n")
    house = root / "wheels"
    cmd = wheelhouse.download_command(requirements, house, wheelhouse.target(PYTHON))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, house


@pytest.mark.parametrize("kind", list(KINDS))
def test_init_then_run_passes(corpus: tuple[Path, Path], kind: str) -> None:
    root, house = corpus
    app = root / kind
    expected = KINDS[kind][1]

    made = rpmkit_cli("init", str(app), "--yes")
    assert made.returncode == 0, made.stderr
    text = (app / "rpmkit.toml").read_text()
    assert f"command = {json.dumps(expected.command)}\n" in text

    start = time.monotonic()
    proc = rpmkit_cli("run", str(app), "--profile", "offline", "--wheelhouse", str(house))
    seconds = time.monotonic() - start
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    verdict = re.search(r"^PASS: (\S+)-[^-\s]+-[^-\s]+\.(\w+) on offline$", proc.stdout, re.M)
    assert verdict, proc.stdout
    assert re.search(
        rf"^PASS\s+health\s+health check\s+\(http://\S+{re.escape(expected.health)} answered 200",
        proc.stdout,
        re.M,
    ), proc.stdout
    assert re.search(rf"^PASS\s+verify\s+port {expected.port} listening", proc.stdout, re.M)
    arch = verdict[2]
    assert arch == ("noarch" if expected.noarch else spec.build_arch()), proc.stdout
    print(f"{kind}: init + run {seconds:.1f}s ({arch})")
