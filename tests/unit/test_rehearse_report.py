"""The rehearsal's report: what counts against the budget, what is owed to a kill, the formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema

from rpmkit.rehearse import report as rehearse_report
from rpmkit.rehearse.chaos import Chaos
from rpmkit.rehearse.config import Rehearse
from rpmkit.rehearse.fleet import BakedImage
from rpmkit.rehearse.load import Kill, Sample
from rpmkit.rehearse.run import Event, Rehearsal
from rpmkit.report import document as report_doc
from rpmkit.report import junit
from rpmkit.verify.disposable import Change
from tests.junit_xml import cases, problems

SCHEMA = json.loads(
    (Path(report_doc.__file__).parent / "schemas" / "report-1.schema.json").read_text()
)

OLD = BakedImage("sha256:old", ("shop-1.0-1.noarch",))
NEW = BakedImage("sha256:new", ("shop-1.1-1.noarch",))
PHASES = {"steady": (0.0, 10.0), "swap": (10.0, 12.0), "after": (12.0, 15.0)}


def traffic(failures: Sequence[Sample] = ()) -> tuple[Sample, ...]:
    """A request every 0.1 s, all answered, plus `failures`."""
    samples = [
        Sample(f"ok-{i}", i / 10, 0.01, 200, "", "old1" if i < 120 else "new1") for i in range(150)
    ]
    return tuple(sorted([*samples, *failures], key=lambda s: s.start))


def rehearsal(**changes: Any) -> Rehearsal:
    base: dict[str, Any] = dict(
        app="shop",
        profile="offline",
        settings=Rehearse(),
        old=OLD,
        new=NEW,
        samples=traffic(),
        phases=PHASES,
        events=(Event(0.0, "load started"),),
        chaos=(),
        kills=(),
        writes={"old1": (), "old2": (), "new1": (), "new2": ()},
        timings={"bake": 1.0, "start": 1.5, "swap": 1.2, "total": 20.0},
        swap={"healthy": 1.0, "switched": 1.0, "detached": 1.2, "removed": 2.0},
        seed=7,
    )
    base.update(changes)
    return Rehearsal(**base)


def fail(start: float, server: str, status: int | None = 503, seconds: float = 0.01) -> Sample:
    error = "" if status is not None else "closed without an answer"
    return Sample(f"f-{start}-{server}", start, seconds, status, error, server)


def test_a_clean_rehearsal_passes_and_shows_the_swap_time() -> None:
    rr = rehearse_report.build(rehearsal(), budget=0)
    assert rr.ok, rr.report.checks
    text = rehearse_report.render(rr)
    assert "PASS  swap       switched the balancer to the new group" in text
    assert "swap took 1.20s" in text
    assert "PASS  swap       no failed request during the swap  (20 requests, 0 failed)" in text
    assert "load: 150 requests in 15.0s (10.0/s from 4 clients), 150 ok, 0 failed" in text
    assert text.endswith(
        "PASS: shop-1.0-1.noarch -> shop-1.1-1.noarch rehearsed on offline (seed 7)"
    )


def test_failures_at_the_kill_are_listed_and_not_counted() -> None:
    kill = Kill("old2", at=4.0, until=5.5)
    chaos = Chaos("steady", "old2", 4.0, 1.4, "old3", 3.0)
    lost = [fail(3.95, "old2", seconds=0.1), fail(5.0, "old2", None, 1.0)]
    rr = rehearse_report.build(
        rehearsal(samples=traffic(lost), kills=(kill,), chaos=(chaos,)), budget=0
    )
    assert rr.ok
    assert rr.at_kill == tuple(lost)
    assert rr.counted == ()
    text = rehearse_report.render(rr)
    assert (
        "PASS  chaos      an instance killed under load: the others carried the traffic  "
        "(killed old2 at 4.00s; 2 failed on it at the kill (the balancer marked it down "
        "after 1.40s); 0 failed elsewhere)"
    ) in text
    assert "PASS  chaos      a replacement came into service  (old3, 3.00s after the kill)" in text
    assert "(102 requests, 0 failed; 2 at the kill)" in text
    assert "failed at the kill (not counted):" in text
    assert "0 failed, budget 0; 2 at the kill not counted" in text


def test_a_failure_elsewhere_during_the_kill_fails_the_chaos_line() -> None:
    kill = Kill("old2", at=4.0, until=5.5)
    chaos = Chaos("steady", "old2", 4.0, 1.4, "old3", 3.0)
    rr = rehearse_report.build(
        rehearsal(samples=traffic([fail(4.5, "old1")]), kills=(kill,), chaos=(chaos,)), budget=0
    )
    assert not rr.ok
    failed = [c for c in rr.report.checks if not c.ok]
    assert [c.stage for c in failed] == ["chaos", "steady", "budget"]
    assert rr.failed_stage == "chaos"


def test_failures_beyond_the_budget_fail_with_their_count_and_times() -> None:
    crash = [fail(12.5 + i / 10, "new1", 502) for i in range(5)] + [fail(13.2, "<NOSRV>")]
    rr = rehearse_report.build(rehearsal(samples=traffic(crash)), budget=0)
    assert not rr.ok
    assert rr.failed_stage == "after"
    text = rehearse_report.render(rr)
    assert (
        "FAIL  after      no failed request after the swap  (36 requests, 6 failed between" in text
    )
    assert "12.50s -   13.21s  6 failed: 502 x5, 503 x1  (on <NOSRV> x1, new1 x5)" in text
    assert "FAIL  budget     failed requests within the error budget  (6 failed, budget 0)" in text
    assert "failed requests (counted):" in text
    assert "FAIL at after:" in text


def test_failures_within_the_budget_warn() -> None:
    rr = rehearse_report.build(rehearsal(samples=traffic([fail(2.0, "old1")])), budget=1)
    assert rr.ok
    steady = next(c for c in rr.report.checks if c.stage == "steady")
    assert steady.warning
    assert not steady.ok


def test_state_kept_on_an_instance_fails_and_names_the_path() -> None:
    data = (Change("/opt/shop/data.db", "added"),)
    writes = {"old1": data, "old2": data, "new1": data, "new2": ()}
    rr = rehearse_report.build(rehearsal(writes=writes), budget=0)
    assert rr.failed_stage == "disposable"
    check = rr.report.checks[-1]
    assert check.detail == (
        "written outside disposable paths: /opt/shop/data.db (new1, old1, old2)"
    )
    assert "old1: added /opt/shop/data.db" in check.evidence


def test_a_run_stopped_by_a_new_group_that_never_got_healthy() -> None:
    r = rehearsal(
        phases={"steady": (0.0, 10.0), "swap": (10.0, 10.0)},
        swap={},
        stopped_at="swap",
        problem="the new group never came into service; the old group kept serving",
        evidence="new1: http://127.0.0.1:1/health_check answered 503",
    )
    rr = rehearse_report.build(r, budget=0)
    assert rr.failed_stage == "swap"
    assert "FAIL  swap       the new group never came into service" in rehearse_report.render(rr)


def test_json_and_junit(tmp_path: Path) -> None:
    kill = Kill("old2", at=4.0, until=5.5)
    chaos = Chaos("steady", "old2", 4.0, 1.4, "old3", 3.0)
    samples = traffic([fail(4.1, "old2"), fail(13.0, "new1", 502)])
    rr = rehearse_report.build(rehearsal(samples=samples, kills=(kill,), chaos=(chaos,)), budget=0)
    entry = report_doc.app_entry(rr.report, "shop", 0.0, 20.0, failed_stage=rr.failed_stage)
    entry["rehearsal"] = rehearse_report.rehearsal_dict(rr)
    doc = json.loads(json.dumps(report_doc.document("rehearse", [entry], 0.0, 21.0)))
    jsonschema.validate(doc, SCHEMA)
    app = doc["apps"][0]
    assert app["verdict"] == "fail"
    assert app["failed_stage"] == "after"
    data = app["rehearsal"]
    assert data["seed"] == 7
    assert data["settings"]["clients"] == 4
    assert data["swap"]["detached"] == 1.2
    assert data["load"]["sent"] == 152
    assert data["load"]["failed"] == 2
    assert [(f["server"], f["at_kill"]) for f in data["failed"]] == [
        ("new1", False),
        ("old2", True),
    ]
    assert data["chaos"][0]["replacement"] == "old3"
    path = tmp_path / "r.xml"
    path.write_bytes(junit.render(doc))
    assert problems(path) == []
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("name") == "shop"  # the app, not its versions
    assert suite.get("failures") == "2"  # after, budget
    names = [c.get("name") for c in cases(path)]
    assert "chaos.killed-under-load" in names
    assert "budget.error-budget" in names
    assert not any("1.0" in (n or "") for n in names)


def test_a_stop_fails_the_test_that_stage_would_have_passed() -> None:
    passed = rehearse_report.build(rehearsal(), budget=0)
    stopped = rehearse_report.build(
        rehearsal(
            phases={"steady": (0.0, 10.0), "swap": (10.0, 10.0)},
            swap={},
            stopped_at="swap",
            problem="the new group never came into service",
        ),
        budget=0,
    )
    passed_ids = {c.id for c in passed.report.checks}
    failed = [c for c in stopped.report.checks if not (c.ok or c.warning)]
    assert [c.id for c in failed] == ["swap.new-group-in-service"]
    assert failed[0].id in passed_ids
