"""The fixtures of the pytest plugin, registered only when it is turned on (see `plugin`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

import pytest

from rpmkit.plugin.settings import SETTINGS, RpmInstance, Settings

if TYPE_CHECKING:
    from rpmkit.errors import RpmkitError


@pytest.fixture(scope="session")
def rpm_instance(request: pytest.FixtureRequest) -> Iterator[RpmInstance]:
    """The booted instance of the app under test: container name, address, published ports."""
    settings = request.config.stash[SETTINGS]
    if settings.instance:
        yield attached(settings.instance)
        return
    yield from boot_app(settings, request.config)


@pytest.fixture(scope="session")
def rpm_host(rpm_instance: RpmInstance) -> Any:
    """A testinfra host of the booted instance, reached through rpmkit's engine seam."""
    from rpmkit import engine
    from rpmkit.engine.testinfra import host

    return host(engine.connect(), rpm_instance.name)


@pytest.fixture(scope="session")
def host(rpm_host: Any) -> Any:
    """testinfra's `host`, pointed at the booted instance: the same object as `rpm_host`."""
    return rpm_host


def boot_app(settings: Settings, config: pytest.Config) -> Iterator[RpmInstance]:
    """Build the app, install and boot it; yield it; remove everything afterwards."""
    from rpmkit import config as app_config
    from rpmkit import engine, targets
    from rpmkit.check import booted
    from rpmkit.commands.common import select_profile
    from rpmkit.errors import RpmkitError
    from rpmkit.progress import Reporter

    assert settings.app is not None
    with ExitStack() as stack:
        with _uncaptured(config):
            reporter = Reporter(-1 if config.get_verbosity() < -1 else 0, sys.stderr)
            try:
                loaded = app_config.load(settings.app)
                client = engine.connect()
                profile = select_profile(client, settings.profile, loaded.app.profile, reporter)
                paths = booted.app_rpms(
                    client, loaded, profile, reporter, settings.dist, rebuild=True, reuse=True
                )
                rpms = stack.enter_context(targets.staged(tuple(paths)))
                instance = stack.enter_context(
                    booted.booted(
                        client, profile, rpms, loaded.app.name, reporter,
                        booted.publish_ports(loaded),
                    )
                )  # fmt: skip
                booted.wait_healthy(instance, loaded, reporter)
            except RpmkitError as exc:
                pytest.fail(_describe(exc), pytrace=False)
            reporter.info(f"rpmkit: testing {instance.nevras} on {profile.name} in {instance.name}")
        yield RpmInstance(instance.name, loaded.app.name, instance.address, dict(instance.ports))


def attached(name: str) -> RpmInstance:
    """The instance `rpmkit check` booted, described from its container."""
    from rpmkit import engine, labels
    from rpmkit.errors import RpmkitError

    try:
        connected = engine.connect()
        container = connected.container(name)
    except RpmkitError as exc:
        pytest.fail(_describe(exc), pytrace=False)
    if container is None:
        pytest.fail(f"rpmkit: no instance {name}", pytrace=False)
    app = container.labels.get(labels.APP, name)
    # A prober, if one is needed, goes with the check's run.
    run = labels.Run(container.labels.get(labels.RUN) or labels.new_run_id(), app)
    try:
        ports = connected.reach.ports(container, container.published_ports(), None, run)
    except RpmkitError as exc:
        pytest.fail(_describe(exc), pytrace=False)
    return RpmInstance(name, app, connected.reach.address, ports)


def _describe(exc: RpmkitError) -> str:
    text = f"rpmkit: {exc.message}" + (f"; {exc.hint}" if exc.hint else "")
    if exc.details:
        text += "\n" + "\n".join(f"  | {line}" for line in exc.details.rstrip().splitlines())
    return text


@contextmanager
def _uncaptured(config: pytest.Config) -> Iterator[None]:
    """Progress goes to the terminal while the instance is made, not into a test's output."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else nullcontext():
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:  # finish pytest's line of dots first
            terminal.ensure_newline()
            terminal.flush()
        yield
