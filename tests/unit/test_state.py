"""What the old version wrote, compared by digest, and the old scriptlet named as the cause."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from rpmkit.install import state

SCRIPTS = """\
preinstall scriptlet (using /bin/sh):
getent passwd app >/dev/null || useradd -r app
preuninstall scriptlet (using /bin/sh):
if [ $1 -eq 0 ] ; then
    systemctl --no-reload disable --now app.service >/dev/null 2>&1 || :
fi
systemctl disable app.service
postuninstall scriptlet (using /bin/sh):
[ $1 -eq 0 ] && rm -rf /var/lib/app-cache
case "$1" in
  0) userdel app ;;
esac
rm -rf /var/lib/app
"""


def test_uninstall_scriptlets_are_split_by_rpm_s_headers() -> None:
    scripts = state.uninstall_scriptlets(SCRIPTS)
    assert set(scripts) == {"%preun", "%postun"}
    assert "getent passwd app >/dev/null || useradd -r app" not in scripts["%preun"]


def test_unguarded_leaves_out_what_tests_the_argument() -> None:
    scripts = state.uninstall_scriptlets(SCRIPTS)
    assert state.unguarded(scripts["%preun"]) == ["systemctl disable app.service"]
    assert state.unguarded(scripts["%postun"]) == ["rm -rf /var/lib/app"]


def test_blame_names_the_unguarded_removal_of_a_parent_directory() -> None:
    scripts = state.uninstall_scriptlets(SCRIPTS)
    cause = state.blame(scripts, state.removal_pattern(["/var/lib/app/instance-id"]))
    assert "`%postun: rm -rf /var/lib/app`" in cause
    assert "$1 = 1" in cause


def test_blame_ignores_removals_of_other_directories() -> None:
    scripts = state.uninstall_scriptlets(
        "postuninstall scriptlet (using /bin/sh):\nrm -rf /var/lib/other\n"
    )
    assert state.blame(scripts, state.removal_pattern(["/var/lib/app/data"])) == ""
    # A shared directory above the data is no package's own.
    assert "/var/lib" not in state.removal_pattern(["/var/lib/app/data"]).replace(
        "/var/lib/app", ""
    )


def test_a_file_recreated_with_the_same_size_is_replaced() -> None:
    before = state.Record(
        {"/var/lib/app/id": "F " + "a" * 64, "/var/lib/app/keep": "F " + "b" * 64}
    )
    after = {"/var/lib/app/id": "F " + "c" * 64, "/var/lib/app/keep": "F " + "b" * 64}
    assert state.lost(before, after) == ([], ["/var/lib/app/id"])


def test_state_check_names_path_cause_and_where_state_belongs() -> None:
    before = state.Record({"/var/lib/app/id": "F " + "a" * 64, "/srv/app/upload": "D"})
    scripts = state.uninstall_scriptlets(SCRIPTS)
    check = state.state_check(before, {"/var/lib/app/id": "F " + "c" * 64}, scripts)
    assert not check.ok
    assert check.stage == "upgrade"
    assert "gone: /srv/app/upload" in check.detail
    assert "replaced (recreated or rewritten): /var/lib/app/id" in check.detail
    assert "rm -rf /var/lib/app" in check.detail
    assert "belongs outside the instance" in check.detail


def test_state_check_passes_when_everything_is_there() -> None:
    before = state.Record({"/var/lib/app/id": "F " + "a" * 64})
    assert state.state_check(before, dict(before.entries), {}).ok
    assert state.state_check(state.Record({}), {}, {}).ok


def test_described_paths_parse() -> None:
    text = f"F {'a' * 64}\t/var/lib/app/id\nD -\t/var/lib/app/dir\nL ../x\t/var/lib/app/link\n"
    assert state.parse_described(text) == {
        "/var/lib/app/id": f"F {'a' * 64}",
        "/var/lib/app/dir": "D",
        "/var/lib/app/link": "L ../x",
    }


def test_describe_script_digests_files_and_names_dirs_and_links(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("state\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "l").symlink_to("f")
    paths = [str(tmp_path / n) for n in ("f", "d", "l", "gone")]
    out = subprocess.run(
        ["sh", "-c", state.describe_script(), "sh", *paths], capture_output=True, text=True
    ).stdout
    found = state.parse_described(out)
    assert found == {
        paths[0]: "F " + hashlib.sha256(b"state\n").hexdigest(),
        paths[1]: "D",
        paths[2]: "L f",
    }
