"""The install script and the parsing of what it prints (no Docker needed)."""

from __future__ import annotations

import pytest

from rpmkit import install, profiles, upgrade


def test_script_installs_then_execs_init_or_idles() -> None:
    offline = profiles.get("offline")
    booting = install.install_script(offline, boot=True)
    assert "rpm -U -v *.rpm" in booting
    assert booting.rstrip().endswith("exec /sbin/init")
    assert install.install_script(offline, boot=False).rstrip().endswith("exec sleep infinity")


def test_script_falls_back_to_the_package_manager_for_dependencies() -> None:
    script = install.install_script(profiles.get("offline"), boot=True)
    assert "Failed dependencies" in script
    assert "createrepo_c --quiet /var/tmp/rpmkit-repo" in script
    assert "dnf -y '--disablerepo=*' --enablerepo=rpmkit-local install \"$@\" 2>&1; rc=$?" in script


def test_each_profile_has_an_install_script() -> None:
    for name in profiles.names():
        script = install.install_script(profiles.get(name), boot=True)
        assert profiles.get(name).package_manager.name in script


# The local repository, as each profile's package manager reads it (the
# backslash-newline joins the first two lines).
REPO_FILE = """\
    mkdir -p "$(dirname /etc/yum.repos.d/rpmkit-local.repo)" && \
cat > /etc/yum.repos.d/rpmkit-local.repo <<'RPMKIT_REPO'
[rpmkit-local]
name=rpmkit: the RPMs being checked
baseurl=file:///var/tmp/rpmkit-repo
enabled=0
gpgcheck=0
metadata_expire=0
RPMKIT_REPO
"""

# Per profile: how the local repository is made, and the install and upgrade lines.
RESOLVE = {
    "offline": (
        "createrepo_c --quiet /var/tmp/rpmkit-repo",
        "dnf -y '--disablerepo=*' --enablerepo=rpmkit-local install \"$@\"",
        "dnf -y '--disablerepo=*' --enablerepo=rpmkit-local upgrade \"$@\"",
    ),
    "al2023": (
        "createrepo_c --quiet /var/tmp/rpmkit-repo",
        "dnf -y '--setopt=*.skip_if_unavailable=True' --enablerepo=rpmkit-local install \"$@\"",
        "dnf -y '--setopt=*.skip_if_unavailable=True' --enablerepo=rpmkit-local upgrade \"$@\"",
    ),
    "al2": (
        "createrepo --quiet /var/tmp/rpmkit-repo",
        "yum -y '--setopt=*.skip_if_unavailable=1' --enablerepo=rpmkit-local install \"$@\"",
        "yum -y '--setopt=*.skip_if_unavailable=1' --enablerepo=rpmkit-local upgrade \"$@\"",
    ),
}


@pytest.mark.parametrize("name", sorted(RESOLVE))
def test_install_and_upgrade_use_a_local_repository_file(name: str) -> None:
    make_repo, install_line, upgrade_line = RESOLVE[name]
    profile = profiles.get(name)
    installing = install.transaction_script(profile, install.RPM_DIR)
    upgrading = install.transaction_script(profile, "/rpmkit/upgrade", upgrade=True)
    for script, line in ((installing, install_line), (upgrading, upgrade_line)):
        assert "out=$(rpm -U -v *.rpm 2>&1); rc=$?" in script  # rpm first, always
        assert f"cp *.rpm /var/tmp/rpmkit-repo/ && {make_repo} 2>&1" in script
        assert REPO_FILE in script
        assert f"    {line} 2>&1; rc=$?" in script
        # yum has no --repofrompath: no profile relies on it.
        assert "--repofrompath" not in script
    assert installing.startswith("cd /rpmkit/rpms ||")
    assert upgrading.startswith("cd /rpmkit/upgrade ||")


def test_only_the_offline_profile_disables_every_remote_repository() -> None:
    # Amazon Linux keeps its image's repositories, as the bake does; the offline
    # profile has none to keep.
    for name, disabled in (("offline", True), ("al2023", False), ("al2", False)):
        script = install.transaction_script(profiles.get(name), install.RPM_DIR)
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
    assert script == f'{line} 2>&1; echo "@@rpmkit erased rc=$?"'


@pytest.mark.parametrize(
    ("name", "init"),
    [
        ("offline", "/sbin/init"),
        ("al2023", "/usr/lib/systemd/systemd"),
        ("al2", "/usr/lib/systemd/systemd"),
    ],
)
def test_install_script_becomes_the_profiles_init(name: str, init: str) -> None:
    script = install.install_script(profiles.get(name), boot=True)
    assert script.startswith("set -u\ncd /rpmkit/rpms || exit 90\n")
    assert script.endswith(f"exec {init}\n")


OUTPUT = """\
@@rpmkit query
@@rpmkit pkg hello\t1.0\t1\tnoarch
@@rpmkit file hello\t0\t/opt/hello/app.py
@@rpmkit file hello\t1\t/etc/nginx/conf.d/hello.conf
@@rpmkit file hello\t0\t/usr/lib/systemd/system/hello.service
@@rpmkit install rpm
rpm: RPM should not be used directly install RPM packages, use Alien instead!
rpm: However assuming you know what you are doing...
Verifying packages...
setting up
warning: %post(hello-1.0-1.noarch) scriptlet failed, exit status 3
@@rpmkit installed rc=0
"""


def test_parse_output_finds_packages_files_and_scriptlet_failures() -> None:
    outcome = install.parse_output(OUTPUT)
    assert outcome.rc == 0
    assert outcome.packages[0].nevra == "hello-1.0-1.noarch"
    assert [f.path for f in outcome.files if f.config] == ["/etc/nginx/conf.d/hello.conf"]
    assert outcome.scriptlet_failures == ("%post(hello-1.0-1.noarch) failed: exit status 3",)
    assert "Alien" not in outcome.log
    assert "setting up" in outcome.log
    assert outcome.resolved_with == "rpm"


def test_dnf_scriptlet_errors_are_failures_too() -> None:
    text = "@@rpmkit install dnf\nError in POSTIN scriptlet in rpm package hello\n"
    text += "@@rpmkit installed rc=0\n"
    outcome = install.parse_output(text)
    assert outcome.scriptlet_failures == ("%postin(hello) failed",)
    assert outcome.resolved_with == "dnf"


def test_units_are_the_unit_files_shipped() -> None:
    outcome = install.parse_output(OUTPUT)
    instance = install.Instance(
        container=None, name="x", profile="offline", image_id="", packages=outcome.packages,
        files=outcome.files, install_log="", install_seconds=0.0, ports={}, booted=True,
    )  # fmt: skip
    assert instance.units() == ["hello.service"]


def test_init_scripts_are_the_sysv_scripts_shipped() -> None:
    files = (
        install.PackageFile("hello", "/etc/rc.d/init.d", False),
        install.PackageFile("hello", "/etc/rc.d/init.d/hello", False),
        install.PackageFile("hello", "/etc/init.d/hello-beat", False),
        install.PackageFile("hello", "/etc/init.d/functions.d/x", False),
        install.PackageFile("hello", "/usr/lib/systemd/system/hello.service", False),
    )
    instance = install.Instance(
        container=None, name="x", profile="offline", image_id="", packages=(),
        files=files, install_log="", install_seconds=0.0, ports={}, booted=True,
    )  # fmt: skip
    assert instance.init_scripts() == ["hello", "hello-beat"]
    assert instance.units() == ["hello.service"]
