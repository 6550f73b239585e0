"""`[install]`: the yum repositories the instance sees during the install, as the bake machine's.

Credentials never appear here: a repository that needs them gets them from the
environment (`RPMKIT_REPO_<ID>_USERNAME`, `RPMKIT_REPO_<ID>_PASSWORD`) or the
netrc entry of its host (see rpmkit/install/repos.py).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, TypeAdapter, model_validator

from rpmkit.fields import Model, RelPath, pattern, shown
from rpmkit.install.urls import REPO_ID_RE, RESERVED_IDS, check_url


def _not_reserved(value: str) -> str:
    if value in RESERVED_IDS:
        raise ValueError(f"{shown(value)} is reserved for rpmkit's own repository")
    return value


RepoId = Annotated[
    str,
    pattern(REPO_ID_RE, "a repository id (letters, digits and _.:-, at most 100)"),
    AfterValidator(_not_reserved),
]


def _key(value: str) -> str:
    if "://" in value:
        return check_url(value, "gpgkey")
    return TypeAdapter(RelPath).validate_python(value)


RepoUrl = Annotated[str, Field(max_length=2048), AfterValidator(check_url)]
KeyRef = Annotated[str, Field(max_length=2048), AfterValidator(_key)]


class Repository(Model):
    """One yum repository, as a `[name]` section of a `.repo` file would define it."""

    name: RepoId
    """The repository id (the section name in `/etc/yum.repos.d/*.repo`)."""
    baseurl: RepoUrl
    """Where its `repodata/` is: `https://`, `http://`, or `file:///a/folder` on this
    machine (copied into the instance)."""
    gpgcheck: bool = False
    """Whether dnf/yum checks its packages' signatures against `gpgkey`."""
    gpgkey: KeyRef | None = None
    """The signing key: a URL, or a file relative to the app's folder (copied in)."""

    @model_validator(mode="after")
    def _key_for_check(self) -> Repository:
        if self.gpgcheck and not self.gpgkey:
            raise ValueError(f"repository {self.name}: gpgcheck = true needs a gpgkey")
        return self


class InstallSettings(Model):
    """`[install]`: the repositories the install resolves dependencies from."""

    repos: Annotated[list[Repository], Field(max_length=50)] = []
    """Repositories written into the instance's `/etc/yum.repos.d` for the install (the
    team's Artifactory or yum repository). With any repository configured, the RPMs are
    installed with the package manager, as the bake does."""
    repo_files: Annotated[list[RelPath], Field(max_length=50)] = []
    """`.repo` files (relative to the app's folder) whose enabled sections the instance sees
    too, e.g. a copy of the bake machine's `bake.repo`."""
    keep_repos: bool = False
    """Leave the repositories in the instance's `/etc/yum.repos.d` when it boots (without
    credentials), for teams whose AMI keeps them. Default: removed before boot, as a bake
    machine's own repositories are not on the instance."""

    @model_validator(mode="after")
    def _unique(self) -> InstallSettings:
        names = [r.name for r in self.repos]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"repository {twice[0]} is defined twice")
        return self
