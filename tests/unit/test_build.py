"""The build stage's commands and container settings, built without running anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rpmkit import cli, config, labels, profiles
from rpmkit.build import stage as build
from rpmkit.errors import ConfigError


def test_rpmbuild_argv() -> None:
    argv = build.rpmbuild_argv("/tmp/rpmbuild/SPECS/web.spec")
    assert argv[:2] == ["rpmbuild", "-ba"]
    assert argv[-1] == "/tmp/rpmbuild/SPECS/web.spec"
    defines = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--define"]
    assert defines == [
        "_topdir /tmp/rpmbuild",
        "_buildhost rpmkit",
        "clamp_mtime_to_source_date_epoch 1",
        "use_source_date_epoch_as_buildtime 1",
        "source_date_epoch_from_changelog 0",
    ]
    # Every other argument is an option's value: nothing for a shell to split.
    assert len(argv) == 2 + 2 * len(defines) + 1


def test_rpmbuild_argv_topdir() -> None:
    assert "_topdir /b" in build.rpmbuild_argv("/b/SPECS/x.spec", topdir="/b")


def test_app_defines_follow_rpmkits_own() -> None:
    defines = build.macro_defines("/t", {"with_tests": "1", "dist": ".amzn2023"})
    assert defines[0] == "_topdir /t"
    assert defines[-2:] == ["with_tests 1", "dist .amzn2023"]
    argv = build.rpmbuild_argv("/t/SPECS/x.spec", defines=defines)
    assert argv[argv.index("with_tests 1") - 1] == "--define"
    assert argv[-1] == "/t/SPECS/x.spec"


@pytest.mark.parametrize("name", ["_topdir", "_buildhost", "source_date_epoch_from_changelog"])
def test_defines_cannot_undo_rpmkits_macros(name: str) -> None:
    with pytest.raises(ConfigError, match=f"defines: '{name}' is set by rpmkit itself"):
        build.macro_defines("/t", {name: "x"})


def test_container_settings_basics() -> None:
    run = labels.Run("r1", "web")
    settings = build.container_settings("rpmkit/offline-builder:abc", run, 1234, {})
    assert settings.image == "rpmkit/offline-builder:abc"
    assert settings.name == "rpmkit-web-r1-build"
    assert settings.environment["SOURCE_DATE_EPOCH"] == "1234"
    assert settings.volumes == {}
    kwargs = settings.create_kwargs()
    assert kwargs["command"] == ["sleep", "infinity"]
    # The engine stamps the run's labels from the run.
    assert kwargs["run"] == run
    assert run.labels() == {labels.RUN: "r1", labels.APP: "web", labels.OWNER: labels.owner()}
    assert kwargs["environment"] is settings.environment


def test_proxy_variables_pass_through() -> None:
    environ = {
        "HTTPS_PROXY": "http://proxy:3128",
        "no_proxy": "localhost,.corp",
        "HTTP_PROXY": "",  # set but empty: nothing to pass
        "AWS_SECRET_ACCESS_KEY": "never",
    }
    env = build.container_settings("img", labels.Run("r", "web"), 1, environ).environment
    assert env["HTTPS_PROXY"] == "http://proxy:3128"
    assert env["no_proxy"] == "localhost,.corp"
    assert "HTTP_PROXY" not in env
    assert "AWS_SECRET_ACCESS_KEY" not in env


def test_proxy_credentials_stay_on_the_host() -> None:
    environ = {
        "HTTPS_PROXY": "http://puser:pr0xy-pw@proxy.corp:3128",
        "http_proxy": "puser:pr0xy-pw@proxy.corp:3128",  # no scheme: curl and pip take it too
    }
    env = build.container_settings("img", labels.Run("r", "web"), 1, environ).environment
    assert env["HTTPS_PROXY"] == "http://proxy.corp:3128"
    assert env["http_proxy"] == "proxy.corp:3128"
    assert not any("pr0xy-pw" in value or "puser" in value for value in env.values())


def test_ca_bundles_are_mounted_read_only(tmp_path: Path) -> None:
    bundle = tmp_path / "corp-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    link = tmp_path / "link.pem"
    link.symlink_to(bundle)
    other = tmp_path / "other.pem"
    other.write_text("-----BEGIN CERTIFICATE-----\n")
    environ = {
        "PIP_CERT": str(link),
        "SSL_CERT_FILE": str(bundle),
        "REQUESTS_CA_BUNDLE": str(other),
    }
    settings = build.container_settings("img", labels.Run("r", "web"), 1, environ)
    # One mount per distinct file (the symlink is resolved), each read-only.
    assert settings.volumes == {
        str(bundle): {"bind": f"{build.CA_DIR}/0.pem", "mode": "ro"},
        str(other): {"bind": f"{build.CA_DIR}/1.pem", "mode": "ro"},
    }
    env = settings.environment
    assert env["PIP_CERT"] == env["SSL_CERT_FILE"] == f"{build.CA_DIR}/0.pem"
    assert env["REQUESTS_CA_BUNDLE"] == f"{build.CA_DIR}/1.pem"


def test_a_missing_ca_bundle_is_not_mounted(tmp_path: Path) -> None:
    settings = build.container_settings(
        "img", labels.Run("r", "web"), 1, {"PIP_CERT": str(tmp_path / "gone.pem")}
    )
    assert settings.volumes == {}
    assert "PIP_CERT" not in settings.environment


def test_log_name() -> None:
    assert build.log_name("web", "1.2", "3") == "web-1.2-3.build.log"


def test_rpm_paths() -> None:
    rpm = build.Rpm(
        name="web",
        version="1",
        release="1",
        path=Path("d/web-1-1.noarch.rpm"),
        sha256="0" * 64,
        srpm=Path("d/web-1-1.src.rpm"),
        log=Path("d/web-1-1.build.log"),
        profile="offline",
        subpackages=(Path("d/web-extra-1-1.noarch.rpm"),),
    )
    assert rpm.paths == (Path("d/web-1-1.noarch.rpm"), Path("d/web-extra-1-1.noarch.rpm"))


def test_cli_without_a_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["build", str(tmp_path), "--profile", "offline"])
    assert exit_info.value.code == 2
    assert f"error: {tmp_path}: no rpmkit.toml" in capsys.readouterr().err


def test_cli_bad_wheelhouse_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.cli, ["build", str(tmp_path), "--wheelhouse", "/nonexistent"])
    assert result.exit_code == 2
    assert "'/nonexistent' does not exist" in result.output


def test_cli_version_and_release_override_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "rpmkit.toml").write_text(
        'name = "web"\nversion = "1.0"\nsummary = "Web"\nlicense = "MIT"\nspec = "web.spec"\n'
    )
    (tmp_path / "web.spec").write_text("Name: web\n")
    # The overrides are validated like the config: a release with '-' stops before Docker.
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["build", str(tmp_path), "--version", "2.0", "--release", "1-2"])
    assert exit_info.value.code == 2
    assert "release: '1-2' is not a valid RPM version" in capsys.readouterr().err
    # An empty one is refused too, not ignored in favour of the config's.
    for command in ("build", "run"):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([command, str(tmp_path), "--release", ""])
        assert exit_info.value.code == 2
        assert "release: '' is not a valid RPM version" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("with_tests", "expected NAME=VALUE"),
        ("1bad=x", "is not an rpm macro name"),
        ("name=%{evil}", "is not a macro value"),
        ("name=", "is not a macro value"),
        ("name=two  spaces", "is not a macro value"),
    ],
)
def test_cli_define_is_validated(tmp_path: Path, value: str, reason: str) -> None:
    result = CliRunner().invoke(cli.cli, ["build", str(tmp_path), "--define", value])
    assert result.exit_code == 2
    assert "--define" in result.output
    assert reason in result.output


def _accepting_app(tmp_path: Path, accept: str) -> config.LoadedConfig:
    (tmp_path / "rpmkit.toml").write_text(
        'name = "web"\nversion = "1.0"\nsummary = "Web"\nlicense = "MIT"\nspec = "web.spec"\n'
        '[[directories]]\npath = "/var/lib/web"\nmode = "0750"\n'
        f"[rpmlint]\naccept = [{accept}]\n"
    )
    (tmp_path / "web.spec").write_text("Name: web\n")
    return config.load(tmp_path)


def test_lint_rules_are_rpmkits_the_configs_and_the_apps(tmp_path: Path) -> None:
    loaded = _accepting_app(
        tmp_path, '{ check = "zero-length", path = "/opt/web/app/**", reason = "placeholders" }'
    )
    rules = build.lint_rules(loaded, profiles.get("offline"), "web")
    assert [r.origin for r in rules] == ["rpmkit"] * 6 + ["[[directories]]", "rpmlint.accept[0]"]
    assert rules[0].path == "/opt/web/venv/**"
    assert rules[-1].reason == "placeholders"
    # rpmlint 1.x (al2) has no static-library-without-debuginfo: rpmkit's rule is dropped.
    assert len(build.lint_rules(loaded, profiles.get("al2"), "web")) == len(rules) - 1


def test_an_unknown_check_is_a_config_error_naming_the_entry(tmp_path: Path) -> None:
    loaded = _accepting_app(
        tmp_path,
        '{ check = "zero-length", path = "/x", reason = "r" }, '
        '{ check = "static-library-without-debuginfo", path = "/x", reason = "r" }',
    )
    build.lint_rules(loaded, profiles.get("offline"), "web")
    with pytest.raises(ConfigError) as info:
        build.lint_rules(loaded, profiles.get("al2"), "web")
    assert info.value.message == (
        f"{loaded.source}: rpmlint.accept[1].check: 'static-library-without-debuginfo' is not a "
        "check rpmlint 1.x knows (profile al2; the list is checks-1.x.txt)"
    )
    assert info.value.exit_code == 2
