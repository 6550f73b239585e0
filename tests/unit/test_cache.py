"""The check cache: every part of the key invalidates it; only valid receipts count."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from rpmkit import profiles, receipt, rpm
from rpmkit.check import cache
from rpmkit.check.plan import CheckPlan
from rpmkit.checks import Check
from rpmkit.images import RuntimeImage
from rpmkit.install.stage import Limits
from rpmkit.report.text import Report
from rpmkit.verify import Expectations
from rpmkit.verify.health import Probe
from tests.unit.handoff_helpers import receipt_for, write_rpm

RUNTIME = RuntimeImage("rpmkit/offline-runtime:abc", "sha256:1")
OFFLINE = profiles.get("offline")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(receipt.KEY_ENV, raising=False)


@pytest.fixture
def plan(tmp_path: Path) -> CheckPlan:
    staged = rpm.read(write_rpm(tmp_path / "dist"))
    tests = tmp_path / "infra"
    tests.mkdir()
    (tests / "test_x.py").write_text("def test_x(host):\n    assert True\n")
    return CheckPlan((staged,), "hello-world", Expectations(probe=Probe()), app_tests=tests)


def _other_rpm(p: CheckPlan) -> CheckPlan:
    other = rpm.read(write_rpm(p.rpms[0].path.parent / "o", payload=b"rebuilt"))
    return dataclasses.replace(p, rpms=(other,))


def _upgrade_from(p: CheckPlan) -> CheckPlan:
    return dataclasses.replace(p, upgrade_from=p.rpms)


def _settle(p: CheckPlan) -> CheckPlan:
    return dataclasses.replace(p, expect=dataclasses.replace(p.expect, settle=5.0))


def _probe(p: CheckPlan) -> CheckPlan:
    return dataclasses.replace(p, expect=dataclasses.replace(p.expect, probe=Probe(path="/h")))


def _ports(p: CheckPlan) -> CheckPlan:
    return dataclasses.replace(p, expect=dataclasses.replace(p.expect, ports=(8000,)))


def _no_boot(p: CheckPlan) -> CheckPlan:
    return dataclasses.replace(p, boot=False)


def _limits(p: CheckPlan) -> CheckPlan:
    return dataclasses.replace(p, limits=Limits(memory_mib=512))


def _app_tests_changed(p: CheckPlan) -> CheckPlan:
    assert p.app_tests is not None
    (p.app_tests / "test_x.py").write_text("def test_x(host):\n    assert False\n")
    return p


def _repos(p: CheckPlan) -> CheckPlan:
    from rpmkit.install.repos import Repo

    return dataclasses.replace(p, repos=(Repo("team", "https://repo.example.com/rpms"),))


def _keep_repos(p: CheckPlan) -> CheckPlan:
    return dataclasses.replace(p, keep_repos=True)


CHANGES: list[Callable[[CheckPlan], CheckPlan]] = [
    _other_rpm, _upgrade_from, _settle, _probe, _ports, _no_boot, _limits, _app_tests_changed,
    _repos, _keep_repos,
]  # fmt: skip


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__)
def test_each_part_of_the_plan_is_in_the_key(
    plan: CheckPlan, change: Callable[[CheckPlan], CheckPlan]
) -> None:
    before = cache.key(plan, OFFLINE, RUNTIME)
    assert cache.key(change(plan), OFFLINE, RUNTIME) != before


def test_the_image_tag_profile_and_version_are_in_the_key(
    plan: CheckPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = cache.key(plan, OFFLINE, RUNTIME)
    assert cache.key(plan, OFFLINE, RuntimeImage("rpmkit/offline-runtime:def", "x")) != before
    assert cache.key(plan, OFFLINE, RuntimeImage(RUNTIME.tag, "sha256:rebuilt")) == before
    assert cache.key(plan, OFFLINE, dataclasses.replace(RUNTIME, stand_in=True)) != before
    assert cache.key(plan, profiles.get("al2023"), RUNTIME) != before
    monkeypatch.setattr(cache, "__version__", "9.9.9")
    assert cache.key(plan, OFFLINE, RUNTIME) != before


def _cache_a_pass(plan: CheckPlan) -> str:
    cache_key = cache.key(plan, OFFLINE, RUNTIME)
    made = dataclasses.replace(receipt_for(plan.rpms[0].path), cache_key=cache_key)
    receipt.write(made, receipt.path_for(plan.rpms[0].path))
    report = Report("hello-world-1.0.0-1.noarch", "offline", (
        Check("install", "installed", True),
    ), {"total": 1.0})  # fmt: skip
    cache.store(cache_key, report)
    return cache_key


def test_a_passing_receipt_with_the_key_answers(plan: CheckPlan) -> None:
    key = _cache_a_pass(plan)
    found = cache.lookup(plan, key)
    assert found is not None
    assert found.ok
    assert cache.lookup(plan, "0" * 64) is None


def test_an_edited_receipt_or_a_changed_rpm_does_not_answer(plan: CheckPlan) -> None:
    key = _cache_a_pass(plan)
    path = receipt.path_for(plan.rpms[0].path)
    path.write_text(path.read_text().replace('"settle": 5.0', '"settle": 50.0'))
    assert cache.lookup(plan, key) is None
    key = _cache_a_pass(plan)
    rebuilt = rpm.read(write_rpm(plan.rpms[0].path.parent, payload=b"another build"))
    assert cache.lookup(dataclasses.replace(plan, rpms=(rebuilt,)), key) is None


def test_with_a_key_only_keyed_receipts_count(
    plan: CheckPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _cache_a_pass(plan)  # unkeyed
    monkeypatch.setenv(receipt.KEY_ENV, "s3cret")
    assert cache.lookup(plan, key) is None
    key = _cache_a_pass(plan)  # now written with the key
    assert cache.lookup(plan, key) is not None


def test_an_answer_older_than_the_gate_accepts_is_checked_again(plan: CheckPlan) -> None:
    key = _cache_a_pass(plan)
    assert cache.lookup(plan, key) is not None
    assert cache.lookup(plan, key, max_age=30.0) is None  # the receipt is a minute old
