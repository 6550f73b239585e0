"""Shards: the apps of `run --all` split into N jobs a CI system runs side by side.

rpmkit schedules nothing across machines: a shard is the unit a CI system
distributes (a GitHub Actions matrix job, a GitLab `parallel` job). Shard I
of N (1-based, like GitLab's CI_NODE_INDEX) is decided from the apps' sorted
paths alone, so `rpmkit matrix` and every `rpmkit run --all --shard I/N` on
any runner agree without talking to each other: the apps, sorted by their
folder relative to the searched one, are cut into N consecutive runs whose
sizes differ by at most one.

The CI systems' limits: GitHub Actions runs at most 256 jobs from one matrix
("A matrix will generate a maximum of 256 jobs per workflow run", GitHub's
workflow syntax documentation); GitLab at most 200 per `parallel:matrix`
("The maximum number of permutations in a single matrix is 200") and 200
for `parallel: N`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rpmkit.apps.discover import App
from rpmkit.errors import ConfigError

LIMITS = {"github": 256, "gitlab": 200}
FORMATS = ("github", "gitlab", "lines")
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `total` (1-based) and its apps, in path order."""

    index: int
    total: int
    apps: tuple[App, ...]

    @property
    def label(self) -> str:
        """`I/N`, as `run --all --shard` takes it."""
        return f"{self.index}/{self.total}"

    @property
    def slug(self) -> str:
        """`I-of-N`: the label where a slash is not allowed (artifact and file names)."""
        return f"{self.index}-of-{self.total}"


def parse(text: str) -> tuple[int, int]:
    """`I/N` as (I, N), 1 <= I <= N; ConfigError (one line) for anything else."""
    match = _SHARD.match(text)
    if not match:
        raise ConfigError(f"--shard {text!r}: give I/N, e.g. 2/4 (shard 2 of 4, counted from 1)")
    index, total = int(match[1]), int(match[2])
    if total < 1 or not 1 <= index <= total:
        raise ConfigError(
            f"--shard {text!r}: I must be between 1 and N (N at least 1), e.g. 1/{max(total, 1)}"
        )
    return index, total


def split(apps: Sequence[App], total: int) -> list[Shard]:
    """The apps, sorted by path, cut into `total` consecutive shards (sizes differ by <= 1).

    A shard can be empty when there are fewer apps than shards.
    """
    ordered = sorted(apps, key=lambda a: a.relative)
    size, extra = divmod(len(ordered), total)
    shards = []
    start = 0
    for i in range(total):
        end = start + size + (1 if i < extra else 0)
        shards.append(Shard(i + 1, total, tuple(ordered[start:end])))
        start = end
    return shards


def pick(apps: Sequence[App], index: int, total: int) -> Shard:
    """Shard `index` of `total`."""
    return split(apps, total)[index - 1]


def plan(apps: Sequence[App], shards: int | None, ci: str) -> tuple[list[Shard], str | None]:
    """The jobs of a matrix for CI system `ci`, and a note when the apps had to be packed.

    Without `shards`, one job per app, packed into the system's limit when there
    are more apps than it allows (the note says so). An explicit `shards` over
    the limit is refused: ConfigError. More shards than apps gives one per app.
    """
    limit = LIMITS.get(ci)
    note = None
    if shards is not None:
        if limit is not None and shards > limit:
            raise ConfigError(
                f"--shards {shards}: {_NAMES[ci]} runs at most {limit} jobs from one matrix; "
                f"give --shards {limit} or fewer (each job then checks several apps)"
            )
        total = min(shards, len(apps))
        if total < shards:
            note = f"--shards {shards}: {len(apps)} apps, so {total} jobs (one per app)"
    else:
        total = len(apps)
        if limit is not None and total > limit:
            note = (
                f"{total} apps packed into {limit} jobs: {_NAMES[ci]} runs at most {limit} "
                "jobs from one matrix"
            )
            total = limit
    return split(apps, max(total, 1)), note


_NAMES = {"github": "GitHub Actions", "gitlab": "GitLab CI"}


def render(shards: Sequence[Shard], fmt: str) -> str:
    """The matrix as text: `github` JSON for fromJSON, a `gitlab` parallel:matrix block, or
    `lines` (`I/N app app ...`, one job a line).

    GitHub: `{"include": [{"shard": "1/2", "slug": "1-of-2", "apps": "a b", "count": 2}]}`.
    GitLab: `parallel:` / `matrix:` with one entry per job, its RPMKIT_SHARD and RPMKIT_APPS
    (one value each, so each entry is one job).
    """
    if fmt == "github":
        include = [
            {"shard": s.label, "slug": s.slug, "apps": " ".join(a.name for a in s.apps),
             "count": len(s.apps)}
            for s in shards
        ]  # fmt: skip
        return json.dumps({"include": include}, separators=(",", ":"))
    if fmt == "gitlab":
        lines = ["parallel:", "  matrix:"]
        for s in shards:
            # JSON strings are YAML flow scalars: names stay strings, whatever they look like.
            lines.append(f"    - RPMKIT_SHARD: {json.dumps(s.label)}")
            lines.append(f"      RPMKIT_APPS: {json.dumps(' '.join(a.name for a in s.apps))}")
        return "\n".join(lines)
    if fmt == "lines":
        return "\n".join(" ".join([s.label, *(a.name for a in s.apps)]) for s in shards)
    raise ValueError(f"unknown matrix format {fmt!r}")
