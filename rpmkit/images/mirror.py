"""A team's mirror of Amazon Linux's repositories, in place of the base image's own.

An air-gapped network reaches no Amazon repository: `RPMKIT_AL2023_REPO_FILE`
(or `RPMKIT_AL2_REPO_FILE`) names a `.repo` file of its mirror, which the
profile's Dockerfiles put in place of the base's repositories.
"""

from __future__ import annotations

from pathlib import Path

from rpmkit.errors import ConfigError
from rpmkit.profiles import Profile


def mirror_env(profile: Profile) -> str:
    """The environment variable naming a profile's mirror: RPMKIT_AL2023_REPO_FILE."""
    return f"RPMKIT_{profile.name.upper()}_REPO_FILE"


MIRROR_FILE = "/etc/yum.repos.d/rpmkit-mirror.repo"
SET_ASIDE = "/etc/yum.repos.d/rpmkit-set-aside"


def mirror_step(profile: Profile) -> str:
    """A Dockerfile step putting the profile's mirror in place of the base's own repositories.

    The `.repo` file named by `mirror_env(profile)` (a team's mirror of Amazon
    Linux's repositories, for networks that cannot reach Amazon's) is written
    into the image's /etc/yum.repos.d, and the base's own repository files are
    set aside (dnf and yum read only `*.repo` there): the images are built from
    the mirror and instances install from it, as an AMI in that network would.
    Its text is part of the images' tags. No credentials are written (they would
    stay in the image's layers); a file:// baseurl is a path inside the image.
    "" when the variable is not set.
    """
    import base64
    import os

    from rpmkit.install import repos

    name = mirror_env(profile)
    path = os.environ.get(name)
    if not path:
        return ""
    try:
        found = repos.from_file(Path(path))
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc.message}", hint=exc.hint) from None
    text = "\n".join(repos.section(r, r.baseurl, r.gpgkeys, None) for r in found)
    encoded = base64.b64encode(text.encode()).decode()
    return (
        f"RUN mkdir -p {SET_ASIDE} \\\n"
        f' && for f in /etc/yum.repos.d/*.repo; do [ ! -e "$f" ] || mv "$f" {SET_ASIDE}/; done \\\n'
        f" && echo {encoded} | base64 -d > {MIRROR_FILE}"
    )
