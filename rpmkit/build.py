"""The build stage: spec + sources -> RPM, SRPM and build log in `dist/`.

rpmbuild runs in the profile's builder container on a clean `_topdir`. The
spec and its sources go in with put_archive and the packages come out with
get_archive: the container writes nothing on the host, and only a CA bundle
is bind-mounted (read-only). Builds are reproducible: SOURCE_DATE_EPOCH and
REPRODUCIBLE_MACROS take the clock and the machine out of the package, and
the default payload compression (gzip level 9 with rpm 4.18) is
deterministic, so two builds of the same inputs give byte-identical RPMs,
the same PAYLOADDIGEST included.
"""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from rpmkit import images, lint, sources
from rpmkit.config import LoadedConfig
from rpmkit.errors import BuildError
from rpmkit.labels import Run
from rpmkit.profiles import Profile
from rpmkit.progress import Reporter
from rpmkit.redact import redact, strip_userinfo
from rpmkit.rpm import sha256_file

if TYPE_CHECKING:
    from rpmkit.engine import Container, Engine
    from rpmkit.spec import Spec

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
LOG_TAIL = 25


@dataclass(frozen=True)
class BuildOptions:
    """How to build: where outputs go, where wheels come from, whether to keep the container."""

    dist: Path | None = None  # default: <app>/dist
    wheelhouse: Path | None = None  # use these wheels instead of downloading
    index_url: str | None = None  # passed to pip download
    keep: bool = False  # leave the builder container for `docker exec`
    base_image: str | None = None  # build the profile's images on this local image


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

    def create_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `Engine.create` (the engine stamps the run's labels)."""
        return {
            "name": self.name,
            "run": self.run,
            "command": list(self.command),
            "environment": self.environment,
            "volumes": self.volumes,
        }


def rpmbuild_argv(spec_file: str, topdir: str = TOPDIR) -> list[str]:
    """The rpmbuild command: both packages, a clean `_topdir`, the reproducibility macros."""
    argv = ["rpmbuild", "-ba", "--define", f"_topdir {topdir}"]
    for macro, value in REPRODUCIBLE_MACROS.items():
        argv += ["--define", f"{macro} {value}"]
    return [*argv, spec_file]


def container_settings(
    image: str, run: Run, epoch: int, environ: Mapping[str, str]
) -> ContainerSettings:
    """The builder container's image, labels, environment and read-only CA bundle mounts.

    The proxy variables set on the host pass through without their credentials
    (nothing in the builder fetches: the wheels come from the host, and what
    runs in %install is the package's to see, so a proxy password would be too); each CA bundle
    variable set on the host to an existing file has that file mounted read-only
    under CA_DIR and points there inside.
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


_BAD_EXIT = re.compile(r"Bad exit status from \S+ \((%\w+)\)")
_SPEC_ERROR = re.compile(r"^error: line \d+:", re.MULTILINE)


def failed_section(log: str) -> str | None:
    """The spec section rpmbuild failed in (`%install`, `%files`, `the spec`), if the log says."""
    match = _BAD_EXIT.search(log)
    if match:
        return match[1]
    if _SPEC_ERROR.search(log):
        return "the spec"
    if "Processing files:" in log.rsplit("Executing(", 1)[-1]:
        return "%files"
    return None


def log_name(name: str, version: str, release: str) -> str:
    """The build log's file name in dist/."""
    return f"{name}-{version}-{release}.build.log"


def build(
    engine: Engine,
    loaded: LoadedConfig,
    spec: Spec,
    profile: Profile,
    reporter: Reporter,
    options: BuildOptions = BuildOptions(),
    run: Run | None = None,
) -> Rpm:
    """Build the spec's RPM and SRPM in the profile's builder; rpmlint them; return the result."""
    filters = loaded.app.rpmlint.filters
    lint.compile_filters(filters)  # a bad filter fails before minutes of building
    dist = (options.dist or loaded.app_dir / "dist").resolve()
    dist.mkdir(parents=True, exist_ok=True)
    epoch = sources.source_date_epoch(loaded.app_dir)
    engine.reap()
    builder = images.ensure(engine, profile, reporter, options.base_image).builder
    settings = container_settings(
        builder, run or Run.new(spec.name, keep=options.keep), epoch, os.environ
    )
    with tempfile.TemporaryDirectory(prefix="rpmkit-build-") as tmp:
        scratch = Path(tmp)
        staged = sources.stage(
            loaded,
            spec,
            profile.python,
            scratch,
            epoch,
            [dist],
            reporter,
            index_url=options.index_url,
            wheels_from=options.wheelhouse,
        )
        members: dict[str, bytes | Path] = {f"SOURCES/{n}": p for n, p in staged.items()}
        members[f"SPECS/{spec.name}.spec"] = spec.text.encode("utf-8")
        members[LINT_CONFIG] = lint.POLICY.encode("utf-8")
        archive = sources.input_archive(TOPDIR, members, scratch / "input.tar", epoch)
        job = _Job(engine, settings, spec, dist, reporter)
        return job.run(archive, filters, profile.name, options.keep)


@dataclass
class _Job:
    """One builder container: put the inputs in, run rpmbuild and rpmlint, take the RPMs out."""

    engine: Engine
    settings: ContainerSettings
    spec: Spec
    dist: Path
    reporter: Reporter

    @property
    def spec_file(self) -> str:
        return f"{TOPDIR}/SPECS/{self.spec.name}.spec"

    def run(self, archive: Path, filters: list[str], profile: str, keep: bool) -> Rpm:
        container = None
        try:
            container = self.engine.create(self.settings.image, **self.settings.create_kwargs())
            with archive.open("rb") as fh:
                container.put_archive(str(PurePosixPath(TOPDIR).parent), fh)
            container.start()
            return self._build(container, filters, profile)
        finally:
            if keep:
                name = self.settings.name
                self.reporter.info(
                    f"kept builder container {name}: `docker exec -it {name} bash`, "
                    f"then `docker rm -f {name}`"
                )
            else:
                self._remove(container)

    def _build(self, container: Container, filters: list[str], profile: str) -> Rpm:
        spec = self.spec
        log = self.dist / log_name(spec.name, spec.version, spec.release)
        with log.open("w", encoding="utf-8") as fh:
            argv = rpmbuild_argv(self.spec_file)
            fh.write(f"# {' '.join(argv)}\n# in {self.settings.image}\n")
            with self.reporter.step(f"building {spec.name} in {self.settings.image}"):
                code, output = self._exec(
                    container, argv, lambda line: _log_line(fh, line, self.reporter)
                )
        if code != 0:
            raise _rpmbuild_failed(spec, code, output, log)
        built = self._copy_out(container, "RPMS")
        srpms = self._copy_out(container, "SRPMS")
        main = [p for p in built if p[0].name.startswith(f"{spec.name}-{spec.version}-")]
        if not main or not srpms:
            raise BuildError(
                f"rpmbuild wrote no {spec.name} RPM and SRPM",
                hint=f"see {log}",
                details=_tail(output),
            )
        with self.reporter.step("rpmlint"):
            result = lint.run(
                lambda argv: self._exec(container, argv, lambda _line: None),
                self.spec_file,
                [inside for _, inside in built],
                filters,
                config=f"{TOPDIR}/{LINT_CONFIG}",
            )
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"\n# rpmlint {self.spec_file} and the RPMs\n{redact(result.output)}")
        if result.warnings:
            self.reporter.warn(f"rpmlint: {len(result.warnings)} warning(s) in {spec.name}:")
            for line in lint.summary(result.warnings).splitlines():
                self.reporter.info(f"  {line}")
        if result.filtered:
            self.reporter.info(f"rpmlint: {len(result.filtered)} warning(s) filtered by the config")
        lint.check(result, spec.name)
        path = main[0][0]
        return Rpm(
            name=spec.name,
            version=spec.version,
            release=spec.release,
            path=path,
            sha256=sha256_file(path),
            srpm=srpms[0][0],
            log=log,
            profile=profile,
            subpackages=tuple(p for p, _ in built if p != path),
            lint=result,
        )

    def _exec(
        self, container: Container, argv: list[str], on_line: Callable[[str], None]
    ) -> tuple[int, str]:
        result = container.exec(argv, on_line=on_line)
        return result.rc, result.output

    def _copy_out(self, container: Container, kind: str) -> list[tuple[Path, str]]:
        """Copy `_topdir/<kind>/**/*.rpm` into dist; return (host path, path inside) pairs."""
        stream = container.get_archive(f"{TOPDIR}/{kind}")
        copied = []
        with tempfile.TemporaryFile() as buf:
            for chunk in stream:
                buf.write(chunk)
            buf.seek(0)
            with tarfile.open(fileobj=buf) as tar:
                for member in tar:
                    source = tar.extractfile(member) if member.isfile() else None
                    if source is None or not member.name.endswith(".rpm"):
                        continue
                    target = self.dist / PurePosixPath(member.name).name
                    with source, target.open("wb") as out:
                        shutil.copyfileobj(source, out)
                    copied.append((target, f"{TOPDIR}/{member.name}"))
        return sorted(copied)

    def _remove(self, container: Container | None) -> None:
        # By name: the create call may have been interrupted after the engine made it.
        found = container or self.engine.container(self.settings.name)
        if found is not None:
            found.remove()


def _log_line(fh: Any, line: str, reporter: Reporter) -> None:
    line = redact(line)
    fh.write(line + "\n")
    fh.flush()
    reporter.detail(line)


def _rpmbuild_failed(spec: Spec, code: int, output: str, log: Path) -> BuildError:
    section = failed_section(output)
    where = f" in {section}" if section else ""
    return BuildError(
        f"rpmbuild failed{where} building {spec.name}-{spec.version}-{spec.release} (exit {code})",
        hint=f"the full log is {log}",
        details=_tail(output),
    )


def _tail(text: str, lines: int = LOG_TAIL) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])
