"""Builds are not repeated: unchanged sources reuse the RPM their last build made.

Builds are reproducible (`rpmkit.build.stage`), so building unchanged inputs
again gives the same bytes. The source digest is a sha256 over everything
that goes into the RPM:

- the app's shipped files (`rpmkit.build.tarball`'s rules: path, mode, content
  or link target) and, for a hand-written spec, every file at the app
  folder's top (its Sources and Patches are read from there);
- the validated config, the rendered spec (the template's text included),
  the build's --define values, version and release;
- the requirements as flattened (every included file's lines), the index
  URL without its credentials, and the wheels of --wheelhouse;
- the builder image's content-addressed tag, the profile, SOURCE_DATE_EPOCH;
- rpmkit's version and its build code (a development checkout changes it).

After a build, a record (`dist/.rpmkit-source-<app>.json`) keeps the digest and
the sha256 of each file the build made. A later build with the same digest
reuses those files when each is still there with that sha256; anything else
(a file deleted, edited, or rebuilt by another command) builds again. A
digest rpmkit cannot make soundly (local projects in the requirements,
whose trees lie outside the app) means building again, as before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpmkit import __version__, atomic
from rpmkit.build import reqfile, tarball
from rpmkit.build.rpmbuild import Rpm, log_name
from rpmkit.redact import strip_userinfo
from rpmkit.rpm import sha256_file

if TYPE_CHECKING:
    from rpmkit.build.spec import Spec
    from rpmkit.config import LoadedConfig
    from rpmkit.profiles import Profile

FORMAT = 1


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What a build takes besides the app folder (`BuildOptions` and the builder's tag)."""

    builder: str
    epoch: int
    dist: Path
    defines: Mapping[str, str]
    index_url: str | None = None
    wheelhouse: Path | None = None


def digest(loaded: LoadedConfig, spec: Spec, profile: Profile, inputs: Inputs) -> str | None:
    """The build's source digest (sha256 hex), or None when it cannot be made soundly.

    Raises ConfigError as the build would (a symlink out of the repository, a
    refused requirements line), so a bad app fails the same way either way.
    """
    app = loaded.app
    app_dir = loaded.app_dir.resolve()
    listing = tarball.listing(app_dir, app.exclude, app.include, [inputs.dist])
    files = [_entry(app_dir, str(rel)) for rel in listing.entries]
    top = []
    if spec.template is None:
        top = [_entry(app_dir, p.name) for p in sorted(app_dir.iterdir()) if p.is_file()]
    requirements: dict[str, Any] = {"extra": list(app.python.extra_requirements)}
    if app.requirements is not None:
        reqs = reqfile.read(app_dir / app.requirements, reqfile.repository_root(app_dir))
        if reqs.local:
            return None
        requirements |= {"lines": list(reqs.lines), "constraints": reqs.constraints_text()}
    wheels = []
    if inputs.wheelhouse is not None:
        wheels = [
            f"{p.name}:{sha256_file(p)}" for p in sorted(inputs.wheelhouse.iterdir()) if p.is_file()
        ]
    parts = {
        "format": FORMAT,
        "rpmkit": __version__,
        "code": _code_digest(),
        "config": app.model_dump(mode="json"),
        "spec": spec.text,
        "template": spec.template,
        "files": files,
        "top": top,
        "requirements": requirements,
        "index_url": strip_userinfo(inputs.index_url) if inputs.index_url else "",
        "wheelhouse": wheels,
        "builder": inputs.builder,
        "profile": [profile.name, profile.arch, profile.python],
        "epoch": inputs.epoch,
        "defines": sorted(inputs.defines.items()),
    }
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _entry(app_dir: Path, rel: str) -> list[str]:
    path = app_dir / rel
    if path.is_symlink():
        return [rel, "link", os.readlink(path)]
    if path.is_dir():
        return [rel, "dir"]
    mode = "755" if path.stat().st_mode & 0o100 else "644"
    return [rel, mode, sha256_file(path)]


def _code_digest() -> str:
    """rpmkit's build code and spec templates: in a development checkout they change
    without a new version."""
    here = Path(__file__).resolve().parent
    sha = hashlib.sha256()
    for path in sorted(here.glob("*.py")):
        sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


def record_path(dist: Path, app: str) -> Path:
    """Where the last build of `app` into `dist` is recorded."""
    return dist / f".rpmkit-source-{app}.json"


def record(rpm: Rpm, source_digest: str, dist: Path, app: str) -> None:
    """Keep what this build made, for the next build of the same digest (best effort)."""
    outputs = [*rpm.paths, rpm.srpm, rpm.log]
    content = {
        "format": FORMAT,
        "digest": source_digest,
        "name": rpm.name, "version": rpm.version, "release": rpm.release,
        "arch": rpm.arch, "profile": rpm.profile,
        "rpm": rpm.path.name,
        "subpackages": [p.name for p in rpm.subpackages],
        "srpm": rpm.srpm.name,
        "log": rpm.log.name,
        "sha256": {p.name: (rpm.sha256 if p == rpm.path else sha256_file(p)) for p in outputs},
    }  # fmt: skip
    with contextlib.suppress(OSError):  # only a later build is slower
        atomic.write(record_path(dist, app), (json.dumps(content, indent=1) + "\n").encode())


def forget(dist: Path, app: str) -> None:
    """Drop the record (a build started: until it succeeds the files are not its own)."""
    with contextlib.suppress(OSError):
        record_path(dist, app).unlink(missing_ok=True)


def reusable(source_digest: str, dist: Path, app: str) -> Rpm | None:
    """The RPM the last build of this digest made, when each of its files is unchanged."""
    try:
        content = json.loads(record_path(dist, app).read_text(encoding="utf-8"))
        if content.get("format") != FORMAT or content.get("digest") != source_digest:
            return None
        sums: dict[str, str] = content["sha256"]
        names = [content["rpm"], *content["subpackages"], content["srpm"], content["log"]]
        if sorted(names) != sorted(sums) or any(Path(n).name != n for n in names):
            return None
        for name in names:
            if sha256_file(dist / name) != sums[name]:
                return None
        rpm = Rpm(
            name=str(content["name"]), version=str(content["version"]),
            release=str(content["release"]), path=dist / content["rpm"],
            sha256=sums[content["rpm"]], srpm=dist / content["srpm"], log=dist / content["log"],
            profile=str(content["profile"]),
            subpackages=tuple(dist / n for n in content["subpackages"]), arch=str(content["arch"]),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if rpm.log.name != log_name(rpm.name, rpm.version, rpm.release):
        return None
    return rpm
