"""One build in one builder container: sources in, rpmbuild, rpmlint, packages out.

The order makes each failure name its cause before anything slow runs: a
template's architecture is decided from its payload before its spec goes
in; a hand-written spec is read by rpm (`rpmspec`) and every Source and
Patch it names must be found before rpmbuild starts.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TextIO

from rpmkit.build import handspec, lint, outputs, sources
from rpmkit.build import log as build_log
from rpmkit.build.rpmbuild import (
    LINT_CONFIG,
    TOPDIR,
    ContainerSettings,
    Rpm,
    lint_rules,
    log_name,
    rpmbuild_argv,
)
from rpmkit.config import LoadedConfig
from rpmkit.errors import BuildError, ConfigError
from rpmkit.profiles import Profile
from rpmkit.progress import Reporter
from rpmkit.redact import redact
from rpmkit.rpm import sha256_file
from rpmkit.scratch import scratch

if TYPE_CHECKING:
    from rpmkit.build.spec import Spec
    from rpmkit.engine import Container, Engine


@dataclass
class Job:
    """A build's container, its staging folder in dist/ and its log."""

    engine: Engine
    settings: ContainerSettings
    reporter: Reporter
    loaded: LoadedConfig
    profile: Profile
    staging: outputs.Staging
    stager: sources.Stager
    defines: list[str]  # every --define of every rpm command, rpmkit's first

    def run(self, spec: Spec, keep: bool) -> Rpm:
        """Build `spec`; BuildError moves this build's files to dist/failed/."""
        log_path = self.staging.path / "build.log"
        nvr = f"{spec.name}-{spec.version}-{spec.release}"
        container = None
        started = False  # a failure before the container ran keeps no log
        try:
            with log_path.open("w", encoding="utf-8") as log:
                if spec.template is not None:
                    spec, needed = self._template(spec)
                local = self.engine.is_local
                container = self.engine.create(
                    self.settings.image, **self.settings.create_kwargs(local)
                )
                if not local and self.settings.volumes:
                    container.put_files(self.settings.copies())
                self._put(container, {f"SPECS/{spec.name}.spec": spec.text.encode("utf-8"),
                                      LINT_CONFIG: lint.POLICY.encode("utf-8")})  # fmt: skip
                container.start()
                started = True
                if spec.template is None:
                    spec, needed = self._hand_written(container, spec, log)
                nvr = f"{spec.name}-{spec.version}-{spec.release}"
                self._put(container, {f"SOURCES/{n}": p for n, p in needed.items()})
                built = self._rpmbuild(container, spec, nvr, log)
                rpm = self._lint(container, spec, nvr, built, log)
            return self._promote(rpm, log_path)
        except BuildError as exc:
            if not started:
                raise
            raise self._failed(exc, log_path, nvr) from None
        finally:
            if keep:
                name = self.settings.name
                self.reporter.info(
                    f"kept builder container {name}: `docker exec -it {name} bash`, "
                    f"then `docker rm -f {name}`"
                )
            else:
                self._remove(container)

    @property
    def spec_dir(self) -> str:
        return f"{TOPDIR}/SPECS"

    def _template(self, spec: Spec) -> tuple[Spec, dict[str, Path]]:
        """The payload's architecture decides the spec's; then its sources, made here."""
        from rpmkit.build import spec as specs

        decision = self.stager.arch()
        self.reporter.info(f"architecture {decision.describe()}")
        if decision.arch != spec.arch:
            spec = specs.render(self.loaded, decision.arch)
        made = sources.made_names([(spec.name, spec.version)], None)
        return spec, self.stager.stage({name: made[name] for name in spec.sources})

    def _hand_written(
        self, container: Container, spec: Spec, log: TextIO
    ) -> tuple[Spec, dict[str, Path]]:
        """rpm reads the spec: its NEVRA, then each Source and Patch from the app folder or made."""
        spec_file = f"{self.spec_dir}/{spec.name}.spec"
        argv = handspec.query_argv(spec_file, self.defines)
        code, output = self._exec(container, argv, log)
        try:
            nevra = handspec.parse_nevra(output) if code == 0 else None
        except ValueError:
            nevra = None
        if nevra is None:
            failure = build_log.diagnose(output)
            raise BuildError(
                f"rpmspec cannot read {self.loaded.app.spec}: {failure.cause}",
                hint="rpm reads the spec as rpmbuild would, with the config's `defines`",
                details=failure.evidence,
            )
        code, parsed = self._exec(container, handspec.parse_argv(spec_file, self.defines), log)
        if code != 0:
            failure = build_log.diagnose(parsed)
            raise BuildError(f"rpmspec cannot read {self.loaded.app.spec}: {failure.cause}",
                             details=failure.evidence)  # fmt: skip
        app = self.loaded.app
        unexpanded = handspec.unexpanded(nevra)
        if unexpanded:
            raise ConfigError(
                f"{app.spec}: {unexpanded}, a macro rpm does not know here (the builder lacks "
                "the package that defines it)",
                hint="define it with `defines` in the config or --define NAME=VALUE",
            )
        spec = dataclasses.replace(
            spec, name=nevra.name, version=nevra.version, release=nevra.release, arch=nevra.arch
        )
        if (nevra.name, nevra.version) != (app.name, app.version):
            self.reporter.warn(
                f"the spec builds {nevra.nvr}, the config names {app.name} {app.version}: "
                "`rpmkit check APP` finds RPMs by the config's name and version"
            )
        needed = handspec.sources(parsed)
        app_dir = self.loaded.app_dir
        names = {s.file for s in needed}
        made = sources.made_names(
            [(nevra.name, nevra.version), (app.name, app.version)], app.tarball
        )
        provision = handspec.provide(
            needed, {n: (app_dir / n).is_file() for n in names}, made, str(app.spec),
            str(app_dir), [app.tarball] if app.tarball else [],
        )  # fmt: skip
        if provision.missing:
            raise ConfigError("\n".join(provision.missing), hint=handspec.missing_hint(made))
        from rpmkit.build import tarball

        links = tarball.escaping_links(
            app_dir, [app_dir / n for n, kind in provision.files.items() if kind == sources.APP]
        )
        if links:
            raise ConfigError("\n".join(links))
        return spec, self.stager.stage(provision.files)

    def _rpmbuild(
        self, container: Container, spec: Spec, nvr: str, log: TextIO
    ) -> list[tuple[Path, str]]:
        argv = rpmbuild_argv(f"{self.spec_dir}/{spec.name}.spec", defines=self.defines)
        log.write(f"# in {self.settings.image}\n")
        with self.reporter.step(f"building {nvr} in {self.settings.image}"):
            code, output = self._exec(container, argv, log, self.reporter.detail)
        if code != 0:
            failure = build_log.diagnose(output)
            where = f" in {failure.section}" if failure.section else ""
            raise BuildError(
                f"rpmbuild failed{where} building {nvr}: {failure.cause}",
                details=failure.evidence,
            )
        built = self._copy_out(container, "RPMS") + self._copy_out(container, "SRPMS")
        ours = [p.name for p, _ in built if p.name.startswith(f"{spec.name}-{spec.version}-")]
        if not any(n.endswith(".src.rpm") for n in ours) or all(
            n.endswith(".src.rpm") for n in ours
        ):
            raise BuildError(f"rpmbuild wrote no {spec.name} RPM and SRPM",
                             details=build_log.diagnose(output).evidence)  # fmt: skip
        return built

    def _lint(
        self, container: Container, spec: Spec, nvr: str, built: list[tuple[Path, str]], log: TextIO
    ) -> Rpm:
        binaries = [(p, inside) for p, inside in built if not p.name.endswith(".src.rpm")]
        rules = lint_rules(self.loaded, self.profile, spec.name)
        with self.reporter.step("rpmlint"):
            result = lint.run(
                lambda argv: self._exec(container, argv, log),
                f"{self.spec_dir}/{spec.name}.spec",
                [inside for _, inside in binaries],
                rules,
                config=f"{TOPDIR}/{LINT_CONFIG}",
            )
        log.write(lint.record(result.accepted))
        if result.warnings:
            self.reporter.warn(f"rpmlint: {len(result.warnings)} warning(s) in {spec.name}:")
            for line in lint.summary(result.warnings).splitlines():
                self.reporter.info(f"  {line}")
        if result.accepted:
            self.reporter.info(f"rpmlint: {len(result.accepted)} finding(s) accepted, by rule:")
            for line in lint.accepted_summary(result.accepted):
                self.reporter.info(f"  {line}")
        lint.check(result, nvr)
        main = next(p for p, _ in binaries if p.name.startswith(f"{spec.name}-{spec.version}-"))
        srpm = next(p for p, _ in built if p.name.endswith(".src.rpm"))
        return Rpm(
            name=spec.name,
            version=spec.version,
            release=spec.release,
            path=main,
            sha256=sha256_file(main),
            srpm=srpm,
            log=self.staging.path / log_name(spec.name, spec.version, spec.release),
            profile=self.profile.name,
            subpackages=tuple(p for p, _ in binaries if p != main),
            lint=result,
            arch=spec.arch,
        )

    def _promote(self, rpm: Rpm, log_path: Path) -> Rpm:
        log_path.rename(rpm.log)
        moved = self.staging.promote([*rpm.paths, rpm.srpm, rpm.log])
        return dataclasses.replace(
            rpm,
            path=moved[rpm.path],
            srpm=moved[rpm.srpm],
            log=moved[rpm.log],
            subpackages=tuple(moved[p] for p in rpm.subpackages),
        )

    def _failed(self, exc: BuildError, log_path: Path, nvr: str) -> BuildError:
        """Keep the failed build's files in dist/failed/; remove what a check could take."""
        if log_path.exists():
            log_path.rename(self.staging.path / f"{nvr}.build.log")
        kept = self.staging.fail(sorted(self.staging.path.iterdir()))
        app = self.loaded.app
        name, version, release = nvr.rsplit("-", 2)
        stale = outputs.stale(
            self.staging.dist,
            [outputs.package_pattern(name, version, release),
             outputs.package_pattern(app.name, app.version, app.release),
             re.compile(re.escape(log_name(name, version, release)))],
        )  # fmt: skip
        for path in stale:
            path.unlink()
        rpms = [p.name for p in kept.values() if p.suffix == ".rpm"]
        what = "RPMs and log" if rpms else "log"
        hint = f"{what} kept in {self.staging.dist / outputs.FAILED} (never checked)"
        if stale:
            hint += "; the earlier build of it removed from dist/"
            self.reporter.info(f"removed the earlier {', '.join(p.name for p in stale)} from dist/")
        return BuildError(exc.message, hint="; ".join(filter(None, [exc.hint, hint])),
                          details=exc.details)  # fmt: skip

    def _put(self, container: Container, members: dict[str, bytes | Path]) -> None:
        if not members:
            return
        with scratch("put") as tmp:
            epoch = int(self.settings.environment["SOURCE_DATE_EPOCH"])
            archive = sources.input_archive(TOPDIR, members, Path(tmp) / "in.tar", epoch)
            with archive.open("rb") as fh:
                container.put_archive(str(PurePosixPath(TOPDIR).parent), fh)

    def _exec(
        self,
        container: Container,
        argv: list[str],
        log: TextIO,
        on_line: Callable[[str], None] | None = None,
    ) -> tuple[int, str]:
        """Run argv in the container; its output goes to the log (and `on_line`) as it comes.

        The whole output is kept here (the engine's result keeps head and tail):
        an `error:` line in the middle of a long build still names the cause.
        """
        shown = redact(" ".join(arg.replace("\n", "\\n") for arg in argv))
        log.write(f"# {shown}\n")
        log.flush()
        lines: list[str] = []

        def line(text: str) -> None:
            text = redact(text)
            lines.append(text)
            log.write(text + "\n")
            log.flush()
            if on_line:
                on_line(text)

        # One pipe for both streams: the kernel keeps the order of what was written
        # (the shell's trace, the script's output, rpm's errors); two pipes read side by
        # side do not, and the cause of a failure could come out before its trace.
        result = container.exec(["sh", "-c", 'exec "$@" 2>&1', "sh", *argv], on_line=line)
        return result.rc, "".join(f"{text}\n" for text in lines)

    def _copy_out(self, container: Container, kind: str) -> list[tuple[Path, str]]:
        """Copy `_topdir/<kind>/**/*.rpm` into staging; return (host path, path inside) pairs."""
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
                    target = self.staging.path / PurePosixPath(member.name).name
                    with source, target.open("wb") as out:
                        shutil.copyfileobj(source, out)
                    copied.append((target, f"{TOPDIR}/{member.name}"))
        return sorted(copied)

    def _remove(self, container: Container | None) -> None:
        # By name: the create call may have been interrupted after the engine made it.
        found = container or self.engine.container(self.settings.name)
        if found is not None:
            found.remove()
