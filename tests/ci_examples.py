"""The rpmkit commands of the example CI jobs in examples/ci/, as their shells run them."""

from __future__ import annotations

import re
from pathlib import Path

from rpmkit.cli import COMMANDS

CI_DIR = Path(__file__).resolve().parents[1] / "examples" / "ci"
JOBS = (CI_DIR / "github-actions.yml", CI_DIR / "gitlab-ci.yml")
# Every app of a monorepo, fanned out over shards: GitHub's matrix, GitLab's `parallel`.
FANOUT = (CI_DIR / "github-fanout.yml", CI_DIR / "gitlab-fanout.yml")
_COMMAND = re.compile(rf"(?:^|[\s\"'])(rpmkit\s+(?:{'|'.join(COMMANDS)})\b.*?)\s*$")


def rpmkit_commands(job: Path) -> list[str]:
    """Every `rpmkit ...` command line of a job file, in order (comments skipped)."""
    found = []
    for line in job.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        match = _COMMAND.search(line)
        if match:
            found.append(match[1])
    return found
