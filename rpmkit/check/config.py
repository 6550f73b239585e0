"""`[check]` and `[health_check]`: how the check judges an app's instance.

The HTTP probe with the load balancer's semantics (and the real load
balancer's own settings, which hand-offs and rehearsals use), the settle
window, and the limits of the instance type the instance stands for.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from rpmkit.fields import Model, Port, Seconds, Status, Unit, UrlPath


class LoadBalancer(Model):
    """The real load balancer's health check: `rpmkit scaffold` passes it on to the
    application-creation command, and `rpmkit rehearse` scales it down for its local
    balancer. `rpmkit check` does not use it."""

    interval: Seconds = 30.0
    """Time between two health checks of a target."""
    timeout: Seconds = 5.0
    """Time a health check may take."""
    healthy_threshold: Annotated[int, Field(ge=1, le=10)] = 2
    """Consecutive successes before a target counts as healthy."""
    unhealthy_threshold: Annotated[int, Field(ge=1, le=10)] = 5
    """Consecutive failures before a target counts as unhealthy."""


class HealthCheck(Model):
    """The check's HTTP probe, with load-balancer semantics and local timings. Not used for
    python-worker (no HTTP); `--no-health`, `--health-path`, `--health-port` and
    `--expect-status` override it."""

    path: UrlPath = "/health_check"
    """The path requested (static-site: nginx answers `200 ok` when no file does)."""
    port: Port = 80
    """The instance's port (published on 127.0.0.1 for the check)."""
    expected_status: Status = 200
    """The healthy answer; redirects are not followed."""
    interval: Seconds = 0.1
    """Time between two requests."""
    timeout: Seconds = 1.0
    """Time one request may take."""
    healthy_threshold: Annotated[int, Field(ge=1, le=10)] = 1
    """Consecutive answers with `expected_status` needed."""
    unhealthy_threshold: Annotated[int, Field(ge=1, le=10)] = 3
    """Bad answers in a row, once the service's unit is active and its port listens, that
    fail the check at once (as the balancer marks the target unhealthy)."""
    deadline: Seconds = 30.0
    """The start period, the check's one timer: from the end of the install, the instance
    has this long to boot and answer healthy; then the check fails with the last answer."""
    start_period: Seconds | None = None
    """The same timer as `deadline`, under the name load balancers use; set one of them."""
    load_balancer: LoadBalancer = LoadBalancer()
    """The real load balancer's settings."""

    @model_validator(mode="after")
    def _one_timer(self) -> HealthCheck:
        if self.start_period is not None:
            if "deadline" in self.model_fields_set and self.deadline != self.start_period:
                raise ValueError("set start_period or deadline, not both: they are the same timer")
            object.__setattr__(self, "deadline", self.start_period)
        return self


class CheckSettings(Model):
    """`[check]`: how the check judges the instance."""

    settle: Annotated[float, Field(ge=0, le=600)] = 0.0
    """Seconds the services must stay up, without restarts, with health passing, after
    health first passed. 0 for the developer's quick check; the gate requires at least
    bake.min_settle (default 5) in the receipt, so the CI check uses --settle 5 or more."""
    memory_mib: Annotated[int, Field(ge=64, le=1_048_576)] = 2048
    """The instance's memory limit, like the instance type it stands for (default: a
    t3.small's 2 GiB). A service that outgrows it is killed by the kernel, and the check
    says so."""
    pids: Annotated[int, Field(ge=64, le=4_194_304)] = 4096
    """The instance's limit on processes and threads."""
    not_at_boot: list[Unit] = []
    """Units the package ships that nothing starts at boot on purpose (started by hand, by
    another host, by D-Bus); otherwise a unit nothing starts fails the check."""
