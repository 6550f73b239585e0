"""`rpmkit doctor`."""

from __future__ import annotations

import click

from rpmkit import doctor as checks
from rpmkit import engine
from rpmkit.commands.common import State, pass_state, profile_option, select_profile
from rpmkit.errors import EXIT_CHECK_FAILED


@click.command()
@profile_option
@pass_state
def doctor(state: State, profile_name: str | None) -> None:
    """Check that this machine can run the pipeline, one line per check.

    Reports the engine (Docker or Podman, its version and address, local or
    remote; DOCKER_HOST and Docker contexts are honoured), how instances'
    ports are reached from here (for a remote engine: through the address it
    publishes on, or through a prober container on its network; decided
    with a test container),
    the docker CLI, the selected profile's images, whether its systemd boots
    on this host's cgroup version, free disk space, and whether the engine's
    layers sit where ext4 makes files slowly (a warning, with the fix). Exits 2 when the
    engine is not reachable, 1 when the docker CLI is missing, the profile
    cannot boot here or disk space is short. Missing images are reported, not fatal: they are
    built on first use.

    \b
    Example:
      rpmkit doctor --profile offline
    """
    client = engine.connect()
    findings = [checks.engine_finding(client), checks.cli_finding()]
    profile = select_profile(client, profile_name, None, state.reporter)
    findings.append(checks.Finding("profile", True, f"{profile.name} ({profile.description})"))
    found = checks.image_findings(client, profile)
    findings += found
    runtime = next((f.detail.split()[0] for f in found if f.name == "runtime image" and f.ok), None)
    findings.append(checks.reach_finding(client, runtime))
    findings.append(
        checks.boot_finding(profile, None if client.is_local else client.cgroup_version())
    )
    findings.append(checks.disk_finding(client))
    findings.append(checks.storage_finding(client))
    for f in findings:
        mark = "warn" if f.warning else "ok  " if f.ok else "FAIL"
        hint = f" -> {f.hint}" if f.hint else ""
        click.echo(f"{mark}  {f.name}: {f.detail}{hint}")
    blocking = [f for f in findings if not f.ok and not f.name.endswith("image")]
    if blocking:
        raise SystemExit(EXIT_CHECK_FAILED)
