"""The install script and the parsing of what it prints (no Docker needed)."""

from __future__ import annotations

from rpmkit import install, profiles


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
    repo = "--repofrompath=rpmkit,/var/tmp/rpmkit-repo"
    assert f"dnf -y --nogpgcheck '--disablerepo=*' {repo}" in script
    assert 'install "$@"' in script


def test_each_profile_has_an_install_script() -> None:
    for name in profiles.names():
        script = install.install_script(profiles.get(name), boot=True)
        assert profiles.get(name).package_manager.name in script


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
