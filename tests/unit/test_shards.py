"""`rpmkit matrix` and `run --all --shard`: shards cut from sorted paths, in the CI formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rpmkit import cli
from rpmkit.apps import shards
from rpmkit.apps.discover import App
from rpmkit.errors import ConfigError


def apps(n: int) -> list[App]:
    return [App(f"app{i:03d}", Path(f"/repo/app{i:03d}"), f"app{i:03d}") for i in range(n)]


def test_shards_are_consecutive_balanced_and_cover_every_app_once() -> None:
    found = apps(10)
    cut = shards.split(list(reversed(found)), 4)  # the order given does not matter
    assert [s.label for s in cut] == ["1/4", "2/4", "3/4", "4/4"]
    assert [len(s.apps) for s in cut] == [3, 3, 2, 2]
    assert [a for s in cut for a in s.apps] == found
    assert shards.pick(found, 2, 4) == cut[1]


def test_more_shards_than_apps_leaves_the_last_ones_empty() -> None:
    cut = shards.split(apps(2), 3)
    assert [len(s.apps) for s in cut] == [1, 1, 0]


@pytest.mark.parametrize(
    ("text", "expected"), [("1/1", (1, 1)), ("3/4", (3, 4)), (" 2 / 5 ", (2, 5))]
)
def test_shard_labels_are_one_based(text: str, expected: tuple[int, int]) -> None:
    assert shards.parse(text) == expected


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "x", "1", "1/2/3", "-1/2", "a/b", ""])
def test_a_bad_shard_label_is_one_line(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        shards.parse(text)
    assert "\n" not in info.value.message
    assert "I/N" in info.value.message or "between 1 and N" in info.value.message


def test_one_job_per_app_packs_beyond_the_ci_limit_with_a_note() -> None:
    jobs, note = shards.plan(apps(300), None, "github")
    assert len(jobs) == 256
    assert note is not None
    assert "256" in note
    assert "300 apps" in note
    jobs, note = shards.plan(apps(300), None, "gitlab")
    assert len(jobs) == 200
    assert note is not None
    jobs, note = shards.plan(apps(300), None, "lines")
    assert len(jobs) == 300
    assert note is None


def test_explicit_shards_beyond_the_limit_are_refused() -> None:
    with pytest.raises(ConfigError, match="at most 200 jobs"):
        shards.plan(apps(300), 201, "gitlab")
    jobs, _ = shards.plan(apps(300), 256, "github")
    assert len(jobs) == 256
    jobs, note = shards.plan(apps(3), 10, "github")  # never an empty job
    assert [s.label for s in jobs] == ["1/3", "2/3", "3/3"]
    assert note == "--shards 10: 3 apps, so 3 jobs (one per app)"


def test_github_matrix_is_json_for_fromjson_with_one_include_per_job() -> None:
    jobs, _ = shards.plan(apps(5), 2, "github")
    matrix = json.loads(shards.render(jobs, "github"))
    assert list(matrix) == ["include"]
    assert matrix["include"] == [
        {"shard": "1/2", "slug": "1-of-2", "apps": "app000 app001 app002", "count": 3},
        {"shard": "2/2", "slug": "2-of-2", "apps": "app003 app004", "count": 2},
    ]


def test_gitlab_matrix_is_a_parallel_matrix_block_of_single_values() -> None:
    odd = [App("1.10", Path("/r/0a"), "0a"), App("yes", Path("/r/0b"), "0b"), *apps(3)]
    jobs, _ = shards.plan(odd, 3, "gitlab")
    block = yaml.safe_load(shards.render(jobs, "gitlab"))
    entries = block["parallel"]["matrix"]
    assert list(block) == ["parallel"]
    # Each entry holds one value per variable: one job each, no cartesian product.
    assert all(isinstance(v, str) for entry in entries for v in entry.values())
    assert entries[0] == {"RPMKIT_SHARD": "1/3", "RPMKIT_APPS": "1.10 yes"}
    assert [e["RPMKIT_SHARD"] for e in entries] == ["1/3", "2/3", "3/3"]


def test_matrix_command_lists_the_apps_run_all_finds(tmp_path: Path) -> None:
    for name in ("web", "api", "worker"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "rpmkit.toml").write_text(f'name = "{name}"\nversion = "1.0"\n')
    (tmp_path / ".gitignore").write_text("build/\n")
    (tmp_path / "build" / "copy").mkdir(parents=True)
    (tmp_path / "build" / "copy" / "rpmkit.toml").write_text('name = "copy"\n')
    runner = CliRunner()
    result = runner.invoke(cli.cli, ["matrix", str(tmp_path), "--format", "lines"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["1/3 api", "2/3 web", "3/3 worker"]
    result = runner.invoke(cli.cli, ["matrix", str(tmp_path), "--shards", "2"])
    assert json.loads(result.output)["include"][0]["apps"] == "api web"


def test_shard_goes_with_all_and_is_checked_before_anything_runs(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli.cli, ["run", "--all", str(tmp_path), "--shard", "5/4"])
    assert result.exit_code == 2
    assert "--shard" in result.output
    result = runner.invoke(cli.cli, ["run", str(tmp_path), "--shard", "1/4"])
    assert isinstance(result.exception, ConfigError)  # exit 2 through cli.main
    assert "--shard goes with --all" in str(result.exception)
