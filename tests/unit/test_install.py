"""The install's commands and the reading of rpm's own messages (no Docker needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rpmkit import profiles, rpm
from rpmkit.engine import Result
from rpmkit.errors import InstallError
from rpmkit.install import outcome, upgrade
from rpmkit.install import stage as install
from tests.rpmfactory import make_rpm


def test_pid1_waits_for_the_install_then_becomes_init_or_waits_on() -> None:
    offline = profiles.get("offline")
    argv = install.pid1_command(offline, boot=True)
    assert argv[:2] == ["sh", "-c"]
    # It never boots before the install is done: no FIFO, no boot.
    assert argv[2] == (
        "mkfifo /.rpmkit-go || exit 97; read _ < /.rpmkit-go; rm -f /.rpmkit-go; exec /sbin/init"
    )
    # Unbooted, it waits the same way and is never told to go: one kind of instance,
    # so a warm spare serves both tiers.
    assert install.pid1_command(offline, boot=False) == argv


@pytest.mark.parametrize(
    ("name", "init"),
    [
        ("offline", "/sbin/init"),
        ("al2023", "/usr/lib/systemd/systemd"),
        ("al2", "/usr/lib/systemd/systemd"),
    ],
)
def test_pid1_becomes_the_profiles_init(name: str, init: str) -> None:
    assert install.pid1_command(profiles.get(name), boot=True)[2].endswith(f"exec {init}")


def test_rpm_installs_the_staged_files_by_their_private_names() -> None:
    assert install.rpm_argv("/rpmkit/rpms", 2) == [
        "rpm", "-U", "-v", "/rpmkit/rpms/00.rpm", "/rpmkit/rpms/01.rpm",
    ]  # fmt: skip


# Per profile: how the local repository is made, and the install and upgrade lines.
RESOLVE = {
    "offline": (
        "createrepo_c --quiet /var/tmp/rpmkit-repo",
        "exec dnf -y '--disablerepo=*' --enablerepo=rpmkit-local install hello hello-extra",
        "exec dnf -y '--disablerepo=*' --enablerepo=rpmkit-local upgrade hello hello-extra",
    ),
    "al2023": (
        "createrepo_c --quiet /var/tmp/rpmkit-repo",
        "exec dnf -y '--setopt=*.skip_if_unavailable=True' --enablerepo=rpmkit-local install "
        "hello hello-extra",
        "exec dnf -y '--setopt=*.skip_if_unavailable=True' --enablerepo=rpmkit-local upgrade "
        "hello hello-extra",
    ),
    "al2": (
        "createrepo --quiet /var/tmp/rpmkit-repo",
        "exec yum -y '--setopt=*.skip_if_unavailable=1' --enablerepo=rpmkit-local install "
        "hello hello-extra",
        "exec yum -y '--setopt=*.skip_if_unavailable=1' --enablerepo=rpmkit-local upgrade "
        "hello hello-extra",
    ),
}

REPO_FILE = """\
cat > /etc/yum.repos.d/rpmkit-local.repo <<'RPMKIT_REPO'
[rpmkit-local]
name=rpmkit: the RPMs being checked
baseurl=file:///var/tmp/rpmkit-repo
enabled=0
gpgcheck=0
metadata_expire=0
RPMKIT_REPO
"""


@pytest.mark.parametrize("name", sorted(RESOLVE))
def test_the_package_manager_resolves_from_a_local_repository_file(name: str) -> None:
    make_repo, install_line, upgrade_line = RESOLVE[name]
    profile = profiles.get(name)
    names = ["hello", "hello-extra"]
    for upgrading, line in ((False, install_line), (True, upgrade_line)):
        script = install.package_manager_script(profile, "/rpmkit/rpms", names, upgrading)
        assert script.startswith("set -e\n")
        assert "cp /rpmkit/rpms/*.rpm /var/tmp/rpmkit-repo/" in script
        assert f"\n{make_repo}\n" in script
        assert REPO_FILE in script
        assert script.rstrip().endswith(line)
        # yum has no --repofrompath: no profile relies on it.
        assert "--repofrompath" not in script


def test_only_the_offline_profile_disables_every_remote_repository() -> None:
    # Amazon Linux keeps its image's repositories, as the bake does; the offline
    # profile has none to keep.
    for name, disabled in (("offline", True), ("al2023", False), ("al2", False)):
        script = install.package_manager_script(profiles.get(name), "/x", ["a"], False)
        assert ("--disablerepo=*" in script) is disabled, name


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("offline", "dnf -y '--disablerepo=*' remove hello hello-extra"),
        ("al2023", "dnf -y '--disablerepo=*' remove hello hello-extra"),
        ("al2", "yum -y '--disablerepo=*' remove hello hello-extra"),
    ],
)
def test_erase_commands(name: str, line: str) -> None:
    script = upgrade.erase_script(profiles.get(name), ["hello", "hello-extra"])
    assert script == f"exec {line} 2>&1"


@pytest.mark.parametrize(
    ("name", "empty"),
    [("offline", ["/run", "/tmp", "/dev/shm"]), ("al2", ["/run", "/dev/shm"])],
)
def test_the_boot_starts_from_what_a_baked_image_has(name: str, empty: list[str]) -> None:
    profile = profiles.get(name)
    assert list(profile.boot.empty) == empty
    script = install.boot_script(profile)
    assert f"for d in {' '.join(empty)}; do" in script
    assert "/var/tmp" not in script  # never emptied at boot
    # No process of the install survives (a snapshot has none), and the target's
    # kernel settings are set again (a scriptlet may have changed them).
    assert 'kill -9 "$pid"' in script
    assert "> /proc/sys/net/ipv4/ip_unprivileged_port_start" in script
    assert script.rstrip().endswith("echo go > /.rpmkit-go")


def test_a_failing_lua_scriptlet_is_a_failure() -> None:
    text = 'error: lua script failed: [string "%post(hello-1-1.noarch)"]:1: boom\n'
    assert outcome.scriptlet_failures(text) == ["%post(hello-1-1.noarch) failed: Lua error"]


def _result(rc: int, stdout: str = "", stderr: str = "") -> Result:
    return Result(rc, stdout, stderr, stdout + stderr, 0.1)


def _log(text: str) -> install.InstallLog:
    return install.InstallLog(text, 0.1, "rpm", ())


def test_a_scriptlet_failure_rpm_reports_fails_although_rpm_exits_0() -> None:
    text = "setting up\nwarning: %post(hello-1.0-1.noarch) scriptlet failed, exit status 3\n"
    assert outcome.scriptlet_failures(text) == ["%post(hello-1.0-1.noarch) failed: exit status 3"]
    with pytest.raises(InstallError, match="scriptlet failed during install") as failed:
        outcome.raise_on_failure(_result(0, text), _log(text), "install")
    assert "rpm and dnf still exit 0" in failed.value.message


def test_dnf_scriptlet_errors_are_failures_too() -> None:
    assert outcome.scriptlet_failures("Error in POSTIN scriptlet in rpm package hello\n") == [
        "%postin(hello) failed"
    ]


def test_output_that_imitates_success_cannot_pass_a_failed_install() -> None:
    # The exit status comes from the engine: a scriptlet printing what looks like a
    # success line (or rpmkit's old markers) changes nothing.
    text = "@@rpmkit installed rc=0\nhello installed, every scriptlet succeeded\n"
    with pytest.raises(InstallError, match=r"install failed \(exit 1\)"):
        outcome.raise_on_failure(_result(1, text), _log(text), "install")


def test_garbage_output_never_crashes_the_reading() -> None:
    garbage = "\x00\udcff@@rpmkit pkg\t\t\n@@rpmkit file x\n" + "%post(" * 1000
    assert outcome.scriptlet_failures(garbage) == []
    outcome.raise_on_failure(_result(0, garbage), _log(garbage), "install")


def test_missing_dependencies_are_named() -> None:
    text = "error: Failed dependencies:\n\tlibfoo.so.1()(64bit) is needed by hello-1.0-1.x86_64\n"
    with pytest.raises(InstallError, match=r"missing dependencies: libfoo.so.1\(\)\(64bit\)"):
        outcome.raise_on_failure(_result(1, "", text), _log(text), "install")


def test_rpm_warnings_about_users_are_kept_as_evidence() -> None:
    text = (
        "warning: user hello does not exist - using root\n"
        "warning: group hello does not exist - using root\n"
        "warning: %post(x) printed something unrelated\n"
    )
    assert install.RPM_WARNING.findall(text) == text.splitlines()[:2]


def _instance(tmp_path: Path, files: tuple[str, ...]) -> install.Instance:
    path = make_rpm(tmp_path / "hello-1.0-1.x86_64.rpm", files=files)
    return install.Instance(
        container=None, name="x", profile="offline", image_id="", rpms=(rpm.read(path),),
        log=_log(""), ports={}, address="127.0.0.1", booted=True,
    )  # type: ignore[arg-type]  # fmt: skip


def test_units_are_the_unit_files_shipped(tmp_path: Path) -> None:
    instance = _instance(
        tmp_path,
        (
            "/opt/hello/app.py",
            "/usr/lib/systemd/system/hello.service",
            "/usr/lib/systemd/system/hello-clean.timer",
            "/usr/lib/systemd/system/hello.socket",
            "/usr/lib/systemd/system-preset/50-hello.preset",
        ),
    )
    assert instance.units() == ["hello-clean.timer", "hello.service", "hello.socket"]


def test_init_scripts_are_the_sysv_scripts_shipped(tmp_path: Path) -> None:
    instance = _instance(
        tmp_path,
        (
            "/etc/rc.d/init.d/hello",
            "/etc/init.d/hello-beat",
            "/etc/init.d/functions.d/x",
            "/usr/lib/systemd/system/hello.service",
        ),
    )
    assert instance.init_scripts() == ["hello", "hello-beat"]
    assert instance.units() == ["hello.service"]
