"""pytest plugin: test the booted instance of an app with testinfra, under plain pytest.

Off unless asked for: without `--rpmkit-app DIR` (or the ini option
`rpmkit_app`) it adds no fixture, leaves testinfra's `host` alone and never
talks to Docker. Asked for, it builds the app's RPM, installs it into a fresh
runtime container as the bake would and boots it, once per test run, and
gives the tests:

- `rpm_instance`: the instance's container name, address and published ports;
- `rpm_host`: a testinfra host of the instance;
- `host`: the same object, so tests written for testinfra's `host` run unchanged.

The instance and everything it made are removed when the test run ends.
`rpmkit check` runs an app's `tests/infra/test_*.py` with `--rpmkit-instance
NAME` (and `-c /dev/null`, so no ini file applies): the fixtures then name the
instance the check booted, and nothing is built or booted a second time.

Only this module is imported at pytest start-up; it imports nothing heavy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rpmkit.plugin.settings import SETTINGS, RpmInstance, Settings

__all__ = ["SETTINGS", "RpmInstance", "Settings"]

# Registered only when the plugin is on: its imports are the heavy ones.
FIXTURES_MODULE = "rpmkit.plugin.fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rpmkit", "rpmkit: test the booted instance of an app")
    group.addoption(
        "--rpmkit-app",
        metavar="DIR",
        help="Build, install and boot this app once per test run; `rpm_host` and `host` are "
        "its instance. Default: the ini option rpmkit_app; unset: the plugin is off.",
    )
    group.addoption(
        "--rpmkit-profile",
        metavar="NAME",
        help="Target platform (offline, al2023, al2); default: ini rpmkit_profile, else the "
        "app's config, else as rpmkit chooses.",
    )
    group.addoption(
        "--rpmkit-dist",
        metavar="DIR",
        help="Where the RPM is built to; default: ini rpmkit_dist, else APP/dist.",
    )
    group.addoption(
        "--rpmkit-instance",
        metavar="NAME",
        help="Use this already booted instance instead of booting one (`rpmkit check` passes it).",
    )
    parser.addini(
        "rpmkit_app", "The app under test, relative to the ini file (turns the plugin on)."
    )
    parser.addini("rpmkit_profile", "The rpmkit profile to build and boot with.")
    parser.addini("rpmkit_dist", "Where the RPM is built to, relative to the ini file.")


def settings(config: pytest.Config) -> Settings | None:
    """What the command line and ini file ask for; None when the plugin is off."""
    instance = config.getoption("rpmkit_instance")
    profile = config.getoption("rpmkit_profile") or str(config.getini("rpmkit_profile")) or None
    if instance:
        return Settings(instance=str(instance), profile=profile)
    here = Path(config.invocation_params.dir)
    ini_dir = config.inipath.parent if config.inipath else config.rootpath
    app = _path(config.getoption("rpmkit_app"), here) or _path(config.getini("rpmkit_app"), ini_dir)
    if app is None:
        return None
    dist = _path(config.getoption("rpmkit_dist"), here) or _path(
        config.getini("rpmkit_dist"), ini_dir
    )
    return Settings(app=app, profile=profile, dist=dist)


def _path(value: object, base: Path) -> Path | None:
    text = str(value or "").strip()
    return (base / text).resolve() if text else None


def pytest_configure(config: pytest.Config) -> None:
    found = settings(config)
    if found is None:
        return
    if found.app is not None:
        from rpmkit.apps.discover import is_app

        if not is_app(found.app):
            raise pytest.UsageError(
                f"rpmkit: {found.app} is not an app: no rpmkit.toml and no [tool.rpmkit] in "
                "pyproject.toml (check --rpmkit-app or the ini option rpmkit_app)"
            )
    config.stash[SETTINGS] = found
    config.pluginmanager.import_plugin(FIXTURES_MODULE)


def pytest_report_header(config: pytest.Config) -> str | None:
    found = config.stash.get(SETTINGS, None)
    if found is None:
        return None
    if found.instance:
        return f"rpmkit: instance {found.instance}"
    return f"rpmkit: app {found.app}, profile {found.profile or '(as rpmkit chooses)'}"
