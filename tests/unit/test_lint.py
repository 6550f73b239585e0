"""rpmlint output: parsing, accept rules (check + path + reason), rpmkit's policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rpmkit import toml
from rpmkit.build import lint, lint_policy
from rpmkit.build.lint_policy import Rule
from rpmkit.errors import BuildError

# Real rpmlint 2.4 output (offline builder), trimmed.
OUTPUT = """\
============================ rpmlint session starts ============================
rpmlint: 2.4.0
configuration:
    /usr/lib/python3/dist-packages/rpmlint/configdefaults.toml
checks: 26, packages: 2

web.x86_64: E: non-executable-script /opt/web/venv/lib/x.py 644 /usr/bin/env python
web.x86_64: W: no-documentation
web.spec:12: W: mixed-use-of-spaces-and-tabs (spaces: line 3, tab: line 12)
web.x86_64: W: unstripped-binary-or-object /opt/web/venv/lib/_speedups.so
web.x86_64: I: checking-url https://example.com (timeout 10 seconds)
web.x86_64: E: files-duplicated-waste 886371
 1 packages and 1 specfiles checked; 2 errors, 3 warnings, 2 badness; has taken 3.1 s
"""


def test_parse() -> None:
    messages = lint.parse(OUTPUT)
    assert [(m.where, m.level, m.check) for m in messages] == [
        ("web.x86_64", "E", "non-executable-script"),
        ("web.x86_64", "W", "no-documentation"),
        ("web.spec:12", "W", "mixed-use-of-spaces-and-tabs"),
        ("web.x86_64", "W", "unstripped-binary-or-object"),
        ("web.x86_64", "I", "checking-url"),
        ("web.x86_64", "E", "files-duplicated-waste"),
    ]
    assert messages[0].detail == "/opt/web/venv/lib/x.py 644 /usr/bin/env python"
    assert messages[1].detail == ""
    assert str(messages[2]) == OUTPUT.splitlines()[8]


VENV = [rule.for_package("web") for rule in lint_policy.VENV_RULES]


def test_evaluate_without_rules() -> None:
    result = lint.evaluate(OUTPUT, [])
    assert [m.check for m in result.errors] == ["non-executable-script", "files-duplicated-waste"]
    assert len(result.warnings) == 3
    assert result.accepted == ()
    assert result.output == OUTPUT


def test_a_rule_accepts_its_check_on_its_paths_only() -> None:
    rule = Rule("non-executable-script", "/opt/web/venv/**", "third-party", "rpmlint.accept[0]")
    result = lint.evaluate(OUTPUT, [rule])
    assert [(a.message.check, a.rule) for a in result.accepted] == [("non-executable-script", rule)]
    assert [m.check for m in result.errors] == ["files-duplicated-waste"]
    elsewhere = Rule("non-executable-script", "/opt/web/app/**", "x", "rpmlint.accept[0]")
    assert len(lint.evaluate(OUTPUT, [elsewhere]).errors) == 2


def test_a_finding_naming_no_file_is_never_accepted() -> None:
    rule = Rule("files-duplicated-waste", "/**", "x", "rpmlint.accept[0]")
    result = lint.evaluate(OUTPUT, [rule])
    assert "files-duplicated-waste" in [m.check for m in result.errors]


def test_warnings_are_accepted_by_the_same_rules() -> None:
    rule = Rule("unstripped-binary-or-object", "/opt/web/venv/lib/*.so", "wheel", "rpmkit")
    result = lint.evaluate(OUTPUT, [rule])
    assert [a.message.check for a in result.accepted] == ["unstripped-binary-or-object"]
    assert len(result.warnings) == 2


def test_the_venv_rules_accept_third_party_files_and_nothing_of_the_app() -> None:
    output = "".join(
        f"web.x86_64: E: {line}\n"
        for line in (
            "non-executable-script /opt/web/venv/lib/python3.11/site-packages/bottle.py 644 "
            "/usr/bin/env python",
            "zero-length /opt/web/venv/lib/python3.11/site-packages/numpy/core/_dtype.pyi",
            "binary-or-shlib-defines-rpath /opt/web/venv/lib/python3.11/site-packages/PIL/"
            "_imaging.so (RUNPATH: $ORIGIN/../pillow.libs)",
            # the app's own files are the author's to fix
            "non-executable-script /opt/web/app/manage.py 644 /usr/bin/env python",
            "zero-length /opt/web/app/templates/empty.html",
            # an RPATH to the build machine is not a wheel's $ORIGIN layout
            "binary-or-shlib-defines-rpath /opt/web/venv/lib/x.so (RPATH: /home/ci/lib)",
            # another package's venv
            "zero-length /opt/other/venv/lib/x.pyi",
        )
    )
    result = lint.evaluate(output, VENV)
    assert len(result.accepted) == 3
    assert {a.rule.origin for a in result.accepted} == {"rpmkit"}
    assert [file_of(m) for m in result.errors] == [
        "/opt/web/app/manage.py",
        "/opt/web/app/templates/empty.html",
        "/opt/web/venv/lib/x.so",
        "/opt/other/venv/lib/x.pyi",
    ]


def file_of(message: lint.Message) -> str:
    return lint.file_of(message)[0]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/opt/web/venv/**", "/opt/web/venv/lib/a/b.py", True),
        ("/opt/web/venv/**", "/opt/web/venvy/x", False),
        ("/var/lib/web", "/var/lib/web", True),
        ("/var/lib/web", "/var/lib/web/x", False),
        ("/etc/web/*.conf", "/etc/web/a.conf", True),
        ("/etc/web/*.conf", "/etc/web/sub/a.conf", False),
        ("/etc/web/?.conf", "/etc/web/a.conf", True),
        ("/opt/web.1/x", "/opt/webx1/x", False),  # '.' is literal
    ],
)
def test_path_patterns(pattern: str, path: str, matches: bool) -> None:
    assert bool(lint_policy.glob_regex(pattern).fullmatch(path)) is matches


def test_declared_modes_become_rules() -> None:
    rules = lint_policy.declared(
        [("/var/lib/web", "0750"), ("/var/log/web", "0755")],
        [("/etc/web/secret.conf", "0640"), ("/usr/libexec/web/run", "0750"),
         ("/etc/web/web.conf", "0644")],
    )  # fmt: skip
    assert [(r.check, r.path) for r in rules] == [
        ("non-standard-dir-perm", "/var/lib/web"),
        ("non-readable", "/etc/web/secret.conf"),
        ("non-readable", "/usr/libexec/web/run"),
        ("non-standard-executable-perm", "/usr/libexec/web/run"),
    ]
    assert rules[0].reason == "the config declares this directory with mode 0750"
    output = "web.x86_64: E: non-standard-dir-perm /var/lib/web 750\n"
    assert len(lint.evaluate(output, rules).accepted) == 1


@pytest.mark.parametrize("series", ["1.x", "2.x"])
def test_known_checks_per_series(series: str) -> None:
    names = lint_policy.known_checks(series)
    assert {"non-executable-script", "non-standard-dir-perm", "no-binary"} <= names
    assert "no-such-check" not in names


def test_series_differ() -> None:
    # rpmlint 2.x added this check; 1.x never reports it.
    assert "static-library-without-debuginfo" in lint_policy.known_checks("2.x")
    assert "static-library-without-debuginfo" not in lint_policy.known_checks("1.x")
    rules = list(lint_policy.VENV_RULES)
    assert len(lint_policy.for_series(rules, "1.x")) == len(rules) - 1
    assert lint_policy.unknown([Rule("no-such-check", "/x", "r", "o")], "2.x")


@pytest.mark.parametrize(
    "profile_toml", sorted((Path(__file__).parents[2] / "images").glob("*/profile.toml"))
)
def test_every_profile_names_a_known_rpmlint_series(profile_toml: Path) -> None:
    series = toml.load(profile_toml)["rpmlint"]
    assert lint_policy.known_checks(series)


def test_every_venv_rule_is_documented() -> None:
    manual = (Path(__file__).parents[2] / "docs" / "build.md").read_text()
    for rule in lint_policy.VENV_RULES:
        assert f"`{rule.check}`" in manual, rule.check


def test_no_errors_passes() -> None:
    lint.check(lint.LintResult((), tuple(lint.parse(OUTPUT)[1:2]), (), OUTPUT), "web")


def test_an_error_fails_naming_the_first_and_how_to_accept_one() -> None:
    with pytest.raises(BuildError) as info:
        lint.check(lint.evaluate(OUTPUT, []), "web-1.0-1")
    error = info.value
    assert error.message == (
        "rpmlint found 2 error(s) in web-1.0-1, first non-executable-script on "
        "/opt/web/venv/lib/x.py"
    )
    assert "[rpmlint] accept (check, path, reason)" in (error.hint or "")
    assert "files-duplicated-waste" in (error.details or "")


def test_accepted_findings_are_summarised_and_recorded() -> None:
    rule = Rule("non-executable-script", "/opt/web/venv/**", "third-party", "rpmkit")
    output = "".join(
        f"web.x86_64: E: non-executable-script /opt/web/venv/{i}.py 644 /usr/bin/env python\n"
        for i in range(3)
    )
    result = lint.evaluate(output, [rule])
    assert lint.accepted_summary(result.accepted) == [
        "E: non-executable-script /opt/web/venv/0.py (and 2 more): third-party (accepted by rpmkit)"
    ]
    record = lint.record(result.accepted).splitlines()
    assert record[0] == "# rpmlint: 3 finding(s) accepted, each with its rule"
    assert record[1] == (
        "web.x86_64: E: non-executable-script /opt/web/venv/0.py 644 /usr/bin/env python  "
        "[accepted (rpmkit): third-party]"
    )
    assert len(record) == 4
    assert lint.record(()) == "# rpmlint: no finding accepted\n"


def test_command() -> None:
    assert lint.command("/t/web.spec", ["/t/a.rpm"]) == ["rpmlint", "/t/web.spec", "/t/a.rpm"]
    assert lint.command("/t/web.spec", ["/t/a.rpm"], "/t/c.toml")[1:3] == ["--config", "/t/c.toml"]


def test_run_reads_the_output_and_notices_a_crash() -> None:
    result = lint.run(lambda argv: (64, OUTPUT), "/s.spec", ["/a.rpm"], [])
    assert result.accepted == ()
    assert len(result.errors) == 2
    with pytest.raises(BuildError, match=r"rpmlint did not run \(exit 1\)") as info:
        lint.run(lambda argv: (1, "Traceback ...\nImportError: rpm"), "/s.spec", [], [])
    assert "ImportError" in (info.value.details or "")


def test_summary_shows_each_check_once() -> None:
    messages = lint.parse(
        "".join(f"web.x86_64: W: files-duplicate /opt/web/{i} /opt/web/x{i}\n" for i in range(30))
        + "web.x86_64: W: no-documentation\n"
    )
    lines = lint.summary(messages).splitlines()
    assert lines == [
        "web.x86_64: W: files-duplicate /opt/web/0 /opt/web/x0  (and 29 more files-duplicate)",
        "web.x86_64: W: no-documentation",
    ]
    many = lint.parse("".join(f"web.x86_64: W: check-{i}\n" for i in range(25)))
    assert lint.summary(many, limit=20).splitlines()[-1].startswith("... and 5 more check(s)")


def _policy_accepts(line: str) -> bool:
    return any(re.search(f, line) for f in lint.LAYOUT_FILTERS)


def test_policy_is_an_rpmlint_config(tmp_path: Path) -> None:
    (tmp_path / "rpmkit.toml").write_text(lint.POLICY)
    assert toml.load(tmp_path / "rpmkit.toml") == {"Filters": list(lint.LAYOUT_FILTERS)}


@pytest.mark.parametrize(
    "line",
    [
        "web.x86_64: E: dir-or-file-in-opt /opt/web",
        "web.x86_64: E: dir-or-file-in-opt /opt/web/venv/lib/python3.11/site-packages/a b.xml",
        "my.app.noarch: E: dir-or-file-in-opt /opt/my.app/app/main.py",
        "web.x86_64: E: wrong-script-interpreter /opt/web/venv/bin/flask /opt/web/venv/bin/python3",
        "web.spec: W: invalid-url Source0: web-1.0.tar.gz",
        "web.spec: W: invalid-url Source1: web-1.0-wheels.tar",
        # init = "sysv": Fedora's rpmlint rejects any init script.
        "web.x86_64: E: deprecated-init-script web",
        # An app named like a translation subpackage.
        "bottle-app.noarch: E: no-dependency-on locales-app",
        "shop-api.x86_64: E: no-dependency-on locales-api",
    ],
)
def test_policy_accepts_the_apps_own_layout(line: str) -> None:
    assert _policy_accepts(line)


@pytest.mark.parametrize(
    "line",
    [
        # Another package's directory, or /opt itself, is still an error.
        "web.x86_64: E: dir-or-file-in-opt /opt/other/file",
        "web.x86_64: E: dir-or-file-in-opt /opt/webby/file",
        "web.x86_64: E: dir-or-file-in-usr-local /usr/local/bin/web",
        "web.x86_64: E: wrong-script-interpreter /opt/web/app/run.py /usr/local/bin/python3",
        "web.x86_64: E: wrong-script-interpreter /opt/web/venv/bin/x /opt/other/venv/bin/python3",
        "web.spec: W: invalid-url Source2: https://example.com/patch.tar.gz",
        "web.x86_64: E: non-executable-script /opt/web/venv/lib/x.py 644 /usr/bin/env python",
        "web.x86_64: E: systemd-shadowed-initscript web",
        "web.x86_64: E: deprecated-boot-script boot.web",
        "shop-api.x86_64: E: no-dependency-on locales-de",
        "shop-api.x86_64: E: no-dependency-on libfoo",
    ],
)
def test_policy_accepts_nothing_else(line: str) -> None:
    assert not _policy_accepts(line)
