"""An instance kept up for someone to use: the pytest plugin's and `rpmkit shell`'s.

The same install as `rpmkit check` (a fresh runtime container, the RPMs
installed as the bake would, then systemd as PID 1), but instead of a report
the caller gets the booted instance, until it is done with it. Everything it
made is removed then, on success, failure and Ctrl-C alike.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rpmkit import images, scratch
from rpmkit.errors import CheckFailed, ConfigError
from rpmkit.install.stage import Instance, install
from rpmkit.labels import Run
from rpmkit.profiles import Profile
from rpmkit.progress import Reporter
from rpmkit.rpm import RpmFile

if TYPE_CHECKING:
    from rpmkit.config import LoadedConfig
    from rpmkit.engine import Engine

BOOT_TIMEOUT = 60.0


def publish_ports(loaded: LoadedConfig | None) -> tuple[int, ...]:
    """The ports to publish on the host: the app's front door and its health check port.

    The front door is nginx's port for the templates that run nginx (the services
    behind it listen on 127.0.0.1 only), else the services' own ports.
    """
    if loaded is None:
        return (80,)
    from rpmkit.check.plan import expectations

    app = loaded.app
    if app.kind is not None and app.kind.nginx:
        ports = [app.nginx.port if app.nginx is not None else 80]
    else:
        ports = [s.port for s in app.services if s.port]
    probe = expectations(app).probe
    if probe is not None:
        ports.append(probe.port)
    return tuple(dict.fromkeys(ports))


def app_rpms(
    engine: Engine,
    loaded: LoadedConfig,
    profile: Profile,
    reporter: Reporter,
    dist: Path | None = None,
    rebuild: bool = False,
    reuse: bool = False,
) -> list[Path]:
    """The app's RPMs from `dist` (default APP/dist), built first when missing or asked to.

    `reuse`: a build of unchanged sources reuses the RPM their last build made
    (`rpmkit.build.reuse`).
    """
    from rpmkit.build import spec
    from rpmkit.build import stage as build
    from rpmkit.check.plan import find_rpms

    if not rebuild:
        try:
            return find_rpms(loaded, dist)
        except ConfigError:
            reporter.info(f"no RPM of {loaded.app.name} {loaded.app.version} yet: building it")
    options = build.BuildOptions(dist=dist, reuse=reuse)
    rpm = build.build(engine, loaded, spec.render(loaded), profile, reporter, options)
    return list(rpm.paths)


@contextmanager
def booted(
    engine: Engine,
    profile: Profile,
    rpms: tuple[RpmFile, ...],
    app: str,
    reporter: Reporter,
    publish: tuple[int, ...] = (),
) -> Iterator[Instance]:
    """Install the RPMs into a fresh runtime container, boot it, and remove it afterwards."""
    engine.reap()
    scratch.reap()
    run = Run.new(app)
    try:
        image = images.ensure(engine, profile, reporter, builder=False).runtime.tag
        names = ", ".join(r.path.name for r in rpms)
        with reporter.step(f"installing {names} into a fresh {profile.name} runtime"):
            instance = install(engine, profile, image, rpms, run, publish=publish)
        with reporter.step("booting"):
            wait_booted(instance)
        yield instance
    finally:
        engine.remove_run(run.id)


def wait_booted(instance: Instance, timeout: float = BOOT_TIMEOUT) -> str:
    """Wait until systemd has started everything; its state, or CheckFailed if it never did."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        left = max(1.0, deadline - time.monotonic())
        answer = instance.exec(["systemctl", "is-system-running", "--wait"], timeout=left)
        state = answer.stdout.strip()
        # degraded: systemd is up, some unit failed; the caller is there to look at it.
        if state in ("running", "degraded"):
            return state
        time.sleep(0.05)  # systemd not up yet: no bus to ask
    log = instance.exec(["journalctl", "-b", "-n", "30", "--no-pager", "-o", "cat"])
    raise CheckFailed(
        f"{instance.name} did not boot: systemd state {state!r} after {timeout:.0f}s",
        details=log.output,
    )


def wait_healthy(instance: Instance, loaded: LoadedConfig, reporter: Reporter) -> bool:
    """Poll the app's health check as `rpmkit check` does before the app's tests; warn if unhealthy.

    The tests then start where a load balancer would first send traffic: services up.
    """
    from rpmkit.check.plan import expectations
    from rpmkit.verify.health import poll

    probe = expectations(loaded.app).probe
    if probe is None or probe.port not in instance.ports:
        return True
    url = f"http://{instance.address}:{instance.ports[probe.port]}{probe.path}"
    with reporter.step(f"waiting for {probe.path} to answer {probe.expected_status}"):
        result = poll(url, probe)
    if not result.ok:
        reporter.warn(f"health check: {result.summary()}")
    return result.ok
