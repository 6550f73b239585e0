"""The rpmbuild command and what a build records: argument lists, settings, the result.

Pure parts of the build stage (`rpmkit.build.stage`), checked by unit tests
without running anything: the macros every rpm command of a build gets
(reproducibility, the app's `defines`), the builder container's settings,
the rules accepting rpmlint findings, and the `Rpm` a build returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rpmkit.build import lint, lint_policy
from rpmkit.build.lint_policy import Rule
from rpmkit.config import LoadedConfig
from rpmkit.errors import ConfigError
from rpmkit.labels import Run
from rpmkit.profiles import Profile
from rpmkit.redact import strip_userinfo

TOPDIR = "/tmp/rpmbuild"
LINT_CONFIG = "rpmlint/rpmkit.toml"  # inside TOPDIR: rpmkit's own rpmlint policy
CA_DIR = "/etc/rpmkit/ca"
REPRODUCIBLE_MACROS = {
    "_buildhost": "rpmkit",
    # Files newer than SOURCE_DATE_EPOCH (all made during the build) get its time.
    "clamp_mtime_to_source_date_epoch": "1",
    "use_source_date_epoch_as_buildtime": "1",
    # The epoch comes from the environment, never from the spec's %changelog.
    "source_date_epoch_from_changelog": "0",
}
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
# Where TLS is intercepted, pip and requests in %install trust only this bundle.
CA_VARIABLES = ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
# rpmkit sets these itself: a define of the same name would undo the clean topdir or
# the reproducibility macros.
RESERVED_MACROS = ("_topdir", *REPRODUCIBLE_MACROS)


@dataclass(frozen=True)
class Rpm:
    """The build's result: the binary RPM the install stage takes, and what came with it."""

    name: str
    version: str
    release: str
    path: Path  # the binary RPM named after the spec
    sha256: str  # of `path`; what a receipt is bound to
    srpm: Path
    log: Path
    profile: str
    subpackages: tuple[Path, ...] = ()
    lint: lint.LintResult | None = field(default=None, compare=False)
    arch: str = ""  # the main package's: "noarch", or the builder's machine
    reused: bool = field(default=False, compare=False)  # unchanged sources: the last build's

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every binary RPM the spec made."""
        return (self.path, *self.subpackages)


@dataclass(frozen=True)
class ContainerSettings:
    """The builder container: everything `containers.create` gets."""

    image: str
    name: str
    environment: dict[str, str]
    volumes: dict[str, dict[str, str]]
    run: Run
    command: tuple[str, ...] = ("sleep", "infinity")

    def create_kwargs(self, local: bool = True) -> dict[str, Any]:
        """Keyword arguments for `Engine.create` (the engine stamps the run's labels).

        An engine that is not `local` cannot see this machine's files: no bind
        mounts; `copies()` go in instead.
        """
        return {
            "name": self.name,
            "run": self.run,
            "command": list(self.command),
            "environment": self.environment,
            "volumes": self.volumes if local else {},
        }

    def copies(self) -> dict[str, bytes]:
        """The bind-mounted files' contents, by their path inside (for a remote engine)."""
        return {mount["bind"]: Path(host).read_bytes() for host, mount in self.volumes.items()}


def macro_defines(topdir: str = TOPDIR, defines: Mapping[str, str] | None = None) -> list[str]:
    """The `--define` values every rpm command of a build gets: rpmkit's, then the app's.

    The app's (config `defines` and `--define`) come validated (a macro name,
    a one-line value without `%`); a name rpmkit sets itself is a ConfigError.
    """
    own = [f"_topdir {topdir}", *(f"{m} {v}" for m, v in REPRODUCIBLE_MACROS.items())]
    for name in defines or {}:
        if name in RESERVED_MACROS:
            raise ConfigError(
                f"defines: {name!r} is set by rpmkit itself (clean topdir, reproducible "
                "builds) and cannot be defined"
            )
    return own + [f"{name} {value}" for name, value in (defines or {}).items()]


def rpmbuild_argv(spec_file: str, topdir: str = TOPDIR, defines: Sequence[str] = ()) -> list[str]:
    """The rpmbuild command: both packages, a clean `_topdir`, the reproducibility macros.

    `defines` are `macro_defines()`'s values; without them, rpmkit's own.
    """
    argv = ["rpmbuild", "-ba"]
    for define in defines or macro_defines(topdir):
        argv += ["--define", define]
    return [*argv, spec_file]


def container_settings(
    image: str, run: Run, epoch: int, environ: Mapping[str, str]
) -> ContainerSettings:
    """The builder container's image, labels, environment and read-only CA bundle mounts.

    The proxy variables set on the host pass through without their credentials
    (nothing in the builder fetches: the wheels come from the host, and what
    runs in %install is the package's to see, so a proxy password would be
    too); each CA bundle variable set on the host to an existing file has that
    file mounted read-only under CA_DIR and points there inside.
    """
    env = {"SOURCE_DATE_EPOCH": str(epoch), "LC_ALL": "C.UTF-8", "TZ": "UTC"}
    env.update({k: strip_userinfo(environ[k]) for k in PROXY_VARIABLES if environ.get(k)})
    volumes: dict[str, dict[str, str]] = {}
    for variable in CA_VARIABLES:
        host = environ.get(variable)
        if not host or not Path(host).is_file():
            continue
        real = str(Path(host).resolve())
        if real not in volumes:
            volumes[real] = {"bind": f"{CA_DIR}/{len(volumes)}.pem", "mode": "ro"}
        env[variable] = volumes[real]["bind"]
    return ContainerSettings(
        image=image,
        name=run.container_name("build"),
        environment=env,
        volumes=volumes,
        run=run,
    )


def log_name(name: str, version: str, release: str) -> str:
    """The build log's file name in dist/."""
    return f"{name}-{version}-{release}.build.log"


def lint_rules(loaded: LoadedConfig, profile: Profile, package: str) -> list[lint_policy.Rule]:
    """The rules accepting rpmlint findings in this build: rpmkit's, the config's, the app's.

    An app's `[rpmlint] accept` check unknown to the profile's rpmlint is a
    ConfigError naming the entry; rpmkit's own rules for a check that series
    lacks are dropped.
    """
    app = loaded.app
    series = profile.rpmlint
    own = [
        Rule(a.check, a.path, a.reason, f"rpmlint.accept[{i}]")
        for i, a in enumerate(app.rpmlint.accept)
    ]
    wrong = [
        f"{loaded.source}: rpmlint.accept[{own.index(rule)}].check: {rule.check!r} is not a check "
        f"rpmlint {series} knows (profile {profile.name}; the list is "
        f"{lint_policy.checks_file(series).name})"
        for rule in lint_policy.unknown(own, series)
    ]
    if wrong:
        raise ConfigError("\n".join(wrong))
    declared = lint_policy.declared(
        [(d.path, d.mode) for d in app.directories], [(f.dest, f.mode) for f in app.files]
    )
    builtin = lint_policy.for_series([*lint_policy.VENV_RULES, *declared], series)
    return [rule.for_package(package) for rule in builtin] + own
