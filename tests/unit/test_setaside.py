"""Config files rpm set aside, read from rpm's own warnings."""

from __future__ import annotations

from rpmkit.install import setaside

OUTPUT = """\
Preparing packages...
app-1.0-1.noarch
warning: /etc/app/app.conf created as /etc/app/app.conf.rpmnew
warning: /etc/app/old.conf saved as /etc/app/old.conf.rpmsave
warning: /etc/app/main.conf saved as /etc/app/main.conf.rpmorig
warning: /etc/app/app.conf created as /etc/app/app.conf.rpmnew
"""


def test_every_set_aside_file_is_found_once_in_order() -> None:
    found = setaside.found(OUTPUT)
    assert [(s.path, s.kind) for s in found] == [
        ("/etc/app/app.conf", "rpmnew"),
        ("/etc/app/old.conf", "rpmsave"),
        ("/etc/app/main.conf", "rpmorig"),
    ]


def test_on_a_fresh_install_each_fails_naming_both_files() -> None:
    checks = setaside.checks(OUTPUT, fresh=True)
    assert len(checks) == 3
    new = checks[0]
    assert not new.ok
    assert not new.warning
    assert new.stage == "install"
    assert "/etc/app/app.conf and /etc/app/app.conf.rpmnew" in new.name
    assert "collided with a file already there" in new.detail


def test_on_an_upgrade_they_are_listed_as_evidence() -> None:
    (check,) = setaside.checks(OUTPUT, fresh=False)
    assert check.warning
    assert check.stage == "upgrade"
    assert "/etc/app/old.conf -> /etc/app/old.conf.rpmsave" in check.evidence


def test_lines_that_only_look_alike_are_not_taken() -> None:
    printed = (
        "setting up: warning: /etc/x created as /etc/x.rpmnew\n"  # not at a line's start
        "warning: /etc/y created as /etc/y.new\n"  # not rpm's suffix
    )
    assert setaside.found(printed) == []
    assert setaside.checks("", fresh=True) == []
