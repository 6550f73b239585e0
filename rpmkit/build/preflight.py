"""Checks of an app's config against its source tarball, made before any container starts.

A `[[files]]` source the tarball leaves out would otherwise surface seconds
later inside rpmbuild (`install: cannot stat` in %install). That the files
the config names exist and stay inside the repository, symlinks followed,
is checked when the config is loaded (`rpmkit.config`).
"""

from __future__ import annotations

from rpmkit.build import tarball
from rpmkit.config import LoadedConfig
from rpmkit.errors import ConfigError


def check(loaded: LoadedConfig) -> None:
    """Raise ConfigError, one line per problem, naming the config key of each."""
    problems = excluded_files(loaded)
    if problems:
        raise ConfigError("\n".join(problems))


def excluded_files(loaded: LoadedConfig) -> list[str]:
    """The [[files]] sources the tarball leaves out: %install could not find them.

    Only for templates: a hand-written spec installs its own files.
    """
    app = loaded.app
    if app.template is None:
        return []
    problems = []
    for i, entry in enumerate(app.files):
        why = tarball.explain(loaded.app_dir, entry.source, app.exclude, app.include)
        if why is not None:
            problems.append(
                f"{loaded.source}: files[{i}].source: {entry.source!r} is not in the source "
                f"tarball, so %install cannot install it: {why}"
            )
    return problems
