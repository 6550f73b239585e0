"""rpmlint output: parsing, the filters rule (errors can never be filtered), rpmkit's policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rpmkit import lint, toml
from rpmkit.errors import BuildError, ConfigError

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


def test_evaluate_without_filters() -> None:
    result = lint.evaluate(OUTPUT, [])
    assert [m.check for m in result.errors] == ["non-executable-script", "files-duplicated-waste"]
    assert len(result.warnings) == 3
    assert result.filtered == ()
    assert result.output == OUTPUT


def test_filters_by_check_name_and_by_regex() -> None:
    result = lint.evaluate(OUTPUT, ["no-documentation", r"W: unstripped-\S+ /opt/web/"])
    assert [m.check for m in result.filtered] == ["no-documentation", "unstripped-binary-or-object"]
    assert [m.check for m in result.warnings] == ["mixed-use-of-spaces-and-tabs"]


def test_a_check_name_filter_matches_that_check_only() -> None:
    output = "web.noarch: W: no-documentation-for-binary /usr/bin/web\n"
    assert lint.evaluate(output, ["no-documentation"]).filtered == ()


@pytest.mark.parametrize(
    "filters",
    [
        ["non-executable-script", "files-duplicated-waste"],
        [r".*"],
        [r"E: files-duplicated-waste", r"non-executable"],
    ],
)
def test_errors_can_never_be_filtered(filters: list[str]) -> None:
    result = lint.evaluate(OUTPUT, filters)
    assert len(result.errors) == 2
    with pytest.raises(BuildError) as info:
        lint.check(result, "web")
    assert "rpmlint found 2 error(s) in web" in info.value.message
    assert "non-executable-script /opt/web/venv/lib/x.py" in (info.value.details or "")


def test_no_errors_passes() -> None:
    lint.check(lint.LintResult((), lint.parse(OUTPUT)[1:2], (), OUTPUT), "web")


def test_bad_regex_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"rpmlint.filters\[1\]"):
        lint.compile_filters(["no-documentation", "unbalanced(["])


def test_command() -> None:
    assert lint.command("/t/web.spec", ["/t/a.rpm"]) == ["rpmlint", "/t/web.spec", "/t/a.rpm"]
    assert lint.command("/t/web.spec", ["/t/a.rpm"], "/t/c.toml")[1:3] == ["--config", "/t/c.toml"]


def test_run_reads_the_output_and_notices_a_crash() -> None:
    result = lint.run(lambda argv: (64, OUTPUT), "/s.spec", ["/a.rpm"], [])
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
    ],
)
def test_policy_accepts_nothing_else(line: str) -> None:
    assert not _policy_accepts(line)
