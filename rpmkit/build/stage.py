"""The build stage: spec + sources -> RPM, SRPM and build log in `dist/`.

rpmbuild runs in the profile's builder container on a clean `_topdir`. The
spec and its sources go in with put_archive and the packages come out with
get_archive: the container writes nothing on the host, and only a CA bundle
is bind-mounted (read-only). Outputs reach `dist/` only when rpmbuild and
rpmlint both passed (`rpmkit.build.outputs`); a template's architecture is decided
from its payload first (`rpmkit.build.arch`), a hand-written spec's sources from
what rpm reads in it (`rpmkit.build.handspec`). Builds are reproducible: SOURCE_DATE_EPOCH and
REPRODUCIBLE_MACROS take the clock and the machine out of the package, and
the default payload compression (gzip level 9 with rpm 4.18) is
deterministic, so two builds of the same inputs give byte-identical RPMs,
the same PAYLOADDIGEST included.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rpmkit import images
from rpmkit.build import job as build_job
from rpmkit.build import outputs, preflight, reuse, sources
from rpmkit.build.rpmbuild import (
    CA_DIR,
    LINT_CONFIG,
    REPRODUCIBLE_MACROS,
    TOPDIR,
    ContainerSettings,
    Rpm,
    container_settings,
    lint_rules,
    log_name,
    macro_defines,
    rpmbuild_argv,
)
from rpmkit.config import LoadedConfig
from rpmkit.labels import Run
from rpmkit.profiles import Profile
from rpmkit.progress import Reporter
from rpmkit.scratch import scratch

if TYPE_CHECKING:
    from rpmkit.build.spec import Spec
    from rpmkit.engine import Engine

__all__ = [
    "CA_DIR",
    "LINT_CONFIG",
    "REPRODUCIBLE_MACROS",
    "TOPDIR",
    "BuildOptions",
    "ContainerSettings",
    "Rpm",
    "build",
    "container_settings",
    "lint_rules",
    "log_name",
    "macro_defines",
    "rpmbuild_argv",
]


@dataclass(frozen=True)
class BuildOptions:
    """How to build: where outputs go, where wheels come from, whether to keep the container."""

    dist: Path | None = None  # default: <app>/dist
    wheelhouse: Path | None = None  # use these wheels instead of downloading
    index_url: str | None = None  # passed to pip download
    keep: bool = False  # leave the builder container for `docker exec`
    base_image: str | None = None  # build the profile's images on this local image
    defines: Mapping[str, str] = field(default_factory=dict)  # --define NAME=VALUE, validated
    reuse: bool = False  # unchanged sources: reuse the RPM their last build made (`reuse`)


def build(
    engine: Engine,
    loaded: LoadedConfig,
    spec: Spec,
    profile: Profile,
    reporter: Reporter,
    options: BuildOptions = BuildOptions(),
    run: Run | None = None,
) -> Rpm:
    """Build the spec's RPM and SRPM in the profile's builder; rpmlint them; return the result.

    With `options.reuse`, an RPM built before from the same source digest and
    still there untouched is returned (`reused`) without building
    (`rpmkit.build.reuse`); every successful build is recorded for that.

    Raises ConfigError (nothing started, nothing kept) for a config the
    folder contradicts, and BuildError when rpmbuild or rpmlint fails, with
    that build's files moved to dist/failed/.
    """
    lint_rules(loaded, profile, spec.name)  # a wrong accept entry fails before any building
    defines = macro_defines(TOPDIR, {**loaded.app.defines, **options.defines})
    preflight.check(loaded)
    dist = (options.dist or loaded.app_dir / "dist").resolve()
    dist.mkdir(parents=True, exist_ok=True)
    epoch = sources.source_date_epoch(loaded.app_dir)
    engine.reap()
    builder = images.ensure(engine, profile, reporter, options.base_image).builder
    inputs = reuse.Inputs(
        builder, epoch, dist, {**loaded.app.defines, **options.defines},
        options.index_url, options.wheelhouse,
    )  # fmt: skip
    source_digest = reuse.digest(loaded, spec, profile, inputs)
    name = loaded.app.name
    if source_digest is not None and options.reuse and not options.keep:
        found = reuse.reusable(source_digest, dist, name)
        if found is not None:
            reporter.info(
                f"{found.path.name}: its sources are unchanged since it was built (source "
                f"digest {source_digest[:12]}): not building it again"
            )
            return dataclasses.replace(found, reused=True)
    reuse.forget(dist, name)
    run = run or Run.new(spec.name, keep=options.keep)
    settings = container_settings(builder, run, epoch, os.environ)
    with (
        scratch("build") as tmp,
        outputs.Staging(dist, run.id) as staging,
    ):
        stager = sources.Stager(
            loaded, profile.python, Path(tmp), epoch, [dist], reporter,
            options.index_url, options.wheelhouse,
        )  # fmt: skip
        job = build_job.Job(engine, settings, reporter, loaded, profile, staging, stager, defines)
        rpm = job.run(spec, options.keep)
    if source_digest is not None:
        reuse.record(rpm, source_digest, dist, name)
    return rpm
