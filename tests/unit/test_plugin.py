"""The pytest plugin: off unless asked for, one instance per test run, `host` is `rpm_host`.

The instance itself is faked here (no Docker); tests/integration/test_plugin.py
boots a real one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rpmkit.plugin import RpmInstance, Settings
from rpmkit.plugin import fixtures as pytest_fixtures

pytest_plugins = ["pytester"]

FAKE = RpmInstance("rpmkit-fake-0123", "fake", "127.0.0.1", {80: 32768})
USES_THE_INSTANCE = """
def test_host_is_rpm_host(host, rpm_host, rpm_instance):
    assert host is rpm_host
    assert rpm_instance.name == "rpmkit-fake-0123"
    # Through rpmkit's engine seam, not the docker CLI.
    assert rpm_host.backend.get_pytest_id() == "rpmkit://rpmkit-fake-0123"

def test_url(rpm_instance):
    assert rpm_instance.url("/health_check") == "http://127.0.0.1:32768/health_check"
"""


@pytest.fixture
def booted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace building and booting with a fake instance; record what happened."""
    events: list[str] = []

    def fake_boot(settings: Settings, config: pytest.Config) -> Iterator[RpmInstance]:
        events.append(f"boot {settings.app} {settings.profile} {settings.dist}")
        yield FAKE
        events.append("removed")

    def fake_attached(name: str) -> RpmInstance:
        events.append(f"attached {name}")
        return RpmInstance(name, "fake", "127.0.0.1", {80: 32768})

    monkeypatch.setattr(pytest_fixtures, "boot_app", fake_boot)
    monkeypatch.setattr(pytest_fixtures, "attached", fake_attached)
    return events


@pytest.fixture
def app(pytester: pytest.Pytester) -> Path:
    folder = pytester.path / "app"
    folder.mkdir()
    (folder / "rpmkit.toml").write_text('name = "fake"\n')
    return folder


def test_off_by_default_no_fixtures_no_docker_and_testinfra_keeps_host(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import sys
        import pytest

        def test_off(request):
            assert "rpmkit.plugin.fixtures" not in sys.modules
            assert "docker" not in sys.modules
            assert "rpmkit.config" not in sys.modules
            for name in ("rpm_host", "rpm_instance"):
                with pytest.raises(pytest.FixtureLookupError):
                    request.getfixturevalue(name)
            assert request.config.pluginmanager.has_plugin("rpmkit")

        def test_host_is_testinfras(host):
            assert host.backend.get_pytest_id() == "local"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert "rpmkit:" not in result.stdout.str()


def test_on_with_the_option_one_instance_for_the_whole_run(
    pytester: pytest.Pytester, booted: list[str], app: Path
) -> None:
    pytester.makepyfile(test_one=USES_THE_INSTANCE, test_two=USES_THE_INSTANCE)
    result = pytester.runpytest("--rpmkit-app", "app", "--rpmkit-profile", "offline", "-v")
    result.assert_outcomes(passed=4)
    assert booted == [f"boot {app} offline None", "removed"]
    result.stdout.fnmatch_lines([f"rpmkit: app {app}, profile offline"])
    # `host` is not testinfra's parametrized fixture: no [docker://...] in the test ids.
    result.stdout.fnmatch_lines(["test_one.py::test_host_is_rpm_host PASSED*"])


def test_on_with_ini_options_relative_to_the_ini_file(
    pytester: pytest.Pytester, booted: list[str], app: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nrpmkit_app = app\nrpmkit_profile = offline\nrpmkit_dist = out\n")
    infra = pytester.mkdir("infra")
    (infra / "test_it.py").write_text(USES_THE_INSTANCE)
    monkeypatch.chdir(infra)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    assert booted == [f"boot {app} offline {pytester.path / 'out'}", "removed"]


def test_not_an_app_is_a_usage_error(pytester: pytest.Pytester, booted: list[str]) -> None:
    pytester.makepyfile(USES_THE_INSTANCE)
    result = pytester.runpytest("--rpmkit-app", "nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*rpmkit: *nowhere is not an app*"])
    assert booted == []


def test_an_instance_name_attaches_and_never_builds(
    pytester: pytest.Pytester, booted: list[str], app: Path
) -> None:
    pytester.makepyfile(
        """
        def test_attached(host, rpm_host, rpm_instance):
            assert host is rpm_host
            assert rpm_instance.name == "rpmkit-hello-world-abc"
        """
    )
    pytester.makeini("[pytest]\nrpmkit_app = app\n")
    result = pytester.runpytest("--rpmkit-instance", "rpmkit-hello-world-abc")
    result.assert_outcomes(passed=1)
    assert booted == ["attached rpmkit-hello-world-abc"]


def test_a_bad_config_errors_every_test_with_rpmkits_message(
    pytester: pytest.Pytester, app: Path
) -> None:
    # The real boot_app: config.load fails before Docker is touched.
    pytester.makepyfile(USES_THE_INSTANCE)
    result = pytester.runpytest("--rpmkit-app", "app")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*rpmkit: *rpmkit.toml: version: required field is missing*"])
    assert "Traceback" not in result.stdout.str()


def test_url_of_a_port_that_is_not_published() -> None:
    with pytest.raises(KeyError, match="port 8000 of rpmkit-fake-0123 is not published"):
        FAKE.url("/", 8000)
