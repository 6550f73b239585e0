"""The summary line, as GitHub Actions and GitLab CI want it."""

from __future__ import annotations

from typing import Any

from rpmkit.report import annotate


def app(name: str, ok: bool, failed: tuple[str, ...] = ()) -> dict[str, Any]:
    checks = [{"id": "install.installed", "verdict": "pass"}]
    checks += [{"id": i, "verdict": "fail"} for i in failed]
    checks.append({"id": "boot.systemd-running", "verdict": "warn"})
    return {
        "name": name,
        "verdict": "pass" if ok else "fail",
        "failed_stage": None if ok else "verify",
        "error": None,
        "checks": checks,
    }


def doc(command: str, *apps: dict[str, Any]) -> dict[str, Any]:
    ok = all(a["verdict"] == "pass" for a in apps)
    return {"command": command, "verdict": "pass" if ok else "fail", "seconds": 1.234,
            "apps": list(apps)}  # fmt: skip


def test_one_line_names_the_app_the_stage_and_the_failed_checks() -> None:
    assert annotate.summary(doc("check", app("hello", True))) == (
        "rpmkit check: PASS hello: 2 checks, 1 warnings in 1.23s"
    )
    failing = doc("run", app("hello", False, ("verify.unit-active:hello.service", "health.http")))
    assert annotate.summary(failing) == (
        "rpmkit run: FAIL hello at verify: 2 of 4 checks failed "
        "(verify.unit-active:hello.service, health.http) in 1.23s"
    )
    many = doc("run --all", app("a", True), app("b", False, ("x.y",)), app("c", False, ("x.y",)))
    assert annotate.summary(many) == (
        "rpmkit run --all: FAIL 2 of 3 apps (b at verify, c at verify) in 1.23s"
    )


def test_github_gets_an_escaped_error_command_only_for_a_failure() -> None:
    github = {"GITHUB_ACTIONS": "true"}
    failing = doc("check", app("hello", False, ("verify.port-listening:80",)))
    failing["apps"][0]["name"] = "50%\nsure"
    line = annotate.summary_line(failing, github)
    assert line.startswith("::error title=rpmkit check failed::rpmkit check: FAIL 50%25%0Asure")
    assert "\n" not in line
    assert not annotate.summary_line(doc("check", app("hello", True)), github).startswith("::")
    assert not annotate.summary_line(failing, {}).startswith("::")


def test_gitlab_sections_fold_the_report_when_it_passed() -> None:
    gitlab = {"GITLAB_CI": "true"}
    start, end = annotate.section("rpmkit_hello world", "rpmkit check: hello", True, gitlab)
    assert start.startswith("\x1b[0Ksection_start:")
    assert ":rpmkit_hello_world[collapsed=true]\r\x1b[0Krpmkit check: hello" in start
    assert end.startswith("\x1b[0Ksection_end:")
    assert end.endswith(":rpmkit_hello_world\r\x1b[0K")
    opened, _ = annotate.section("x", "x", False, gitlab)
    assert "[collapsed=true]" not in opened
    assert annotate.section("x", "x", True, {}) == ("", "")
