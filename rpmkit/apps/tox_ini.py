"""One tox environment per app: `tox -e APP` runs `rpmkit run` for it, `tox -p` all of them.

The environments install nothing (`skip_install`, no deps) and take their
settings from an `[rpmkit]` section (their `base`), not from `[testenv]`, so a
repository's own test settings never leak into them. They run the rpmkit that
`$RPMKIT` names, else the one on PATH: the one already installed, so tox needs
no package index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rpmkit.apps.discover import App

BASE = "rpmkit"
# DOCKER_*: the engine the environments reach, and how: DOCKER_HOST, DOCKER_TLS_VERIFY and
# DOCKER_CERT_PATH (a remote engine over TLS), DOCKER_CONTEXT and DOCKER_CONFIG.
PASS_ENV = (
    "CI", "DOCKER_*", "GITHUB_ACTIONS", "GITLAB_CI", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
    "PIP_*", "REQUESTS_CA_BUNDLE", "RPMKIT*", "SOURCE_DATE_EPOCH", "XDG_CACHE_HOME",
)  # fmt: skip
# What tox reads as a Python interpreter in an environment name's dash-separated factors
# (py27, py3.11, pypy3, cpython3, 3.11): an app named py27-legacy would make tox look for
# Python 2.7. tox's own rule (tox/tox_env/python/api.py), written out broadly.
_PY_FACTOR = re.compile(
    r"^((py|pypy|cpython|jython|graalpy|rustpython|ironpython)[0-9.]*[td]*|[23]\.[0-9]+[td]*)$"
)
HEADER = """\
# One tox environment per app, made by `rpmkit tox --write` (run it again after
# adding an app: it updates these sections and keeps the rest of the file).
#   tox -e APP                          # `rpmkit run` for one app
#   tox -p                              # every app, side by side
#   tox -e APP -- --junit-xml APP.xml   # arguments after -- go to `rpmkit run`
# rpmkit is not installed into the environments: they run $RPMKIT, else the
# rpmkit on PATH (RPMKIT=$PWD/.venv/bin/rpmkit tox -p).
"""
_SECTION = re.compile(r"^\[([^\]]+)\]\s*$")
_ENV_LIST = re.compile(r"^(env_?list)\s*=\s*(.*)$")


@dataclass(frozen=True)
class Change:
    """What `update` did to a tox.ini."""

    text: str
    added: tuple[str, ...]  # env names of apps that had no section
    updated: tuple[str, ...]  # env names whose section was replaced


def base_section() -> str:
    """The settings every app environment shares."""
    return "\n".join(
        [
            f"[{BASE}]",
            "skip_install = true",
            "allowlist_externals = rpmkit, */rpmkit",
            f"pass_env = {', '.join(PASS_ENV)}",
        ]
    )


def env_name(app: App) -> str:
    """The app's tox environment: its name, unless tox would read a Python version in it.

    `py27-legacy` becomes `py27_legacy`, and a name that is a factor by itself (`py3`)
    becomes `app_py3`: tox splits names on `-` only.
    """
    if not any(_PY_FACTOR.match(part) for part in app.name.split("-")):
        return app.name
    joined = app.name.replace("-", "_")
    return f"app_{joined}" if _PY_FACTOR.match(joined) else joined


def env_section(app: App) -> str:
    """One app's environment: `rpmkit run` of its folder, relative to the tox.ini."""
    folder = "{toxinidir}" if app.relative == "." else f"{{toxinidir}}/{app.relative}"
    return "\n".join(
        [
            f"[testenv:{env_name(app)}]",
            f"base = {BASE}",
            f"description = rpmkit run {app.relative}",
            f"commands = {{env:RPMKIT:rpmkit}} run {folder} {{posargs}}",
        ]
    )


def render(apps: Sequence[App]) -> str:
    """A whole tox.ini for the apps."""
    parts = [
        HEADER + "[tox]\nrequires = tox>=4.0\n" + f"env_list = {', '.join(map(env_name, apps))}",
        base_section(),
        *(env_section(app) for app in apps),
    ]
    return "\n\n".join(parts) + "\n"


def update(text: str, apps: Sequence[App]) -> Change:
    """The tox.ini with the apps' environments added or replaced and the rest kept as it was."""
    preamble, sections = _split(text)
    names = {name for name, _ in sections}
    envs = [env_name(a) for a in apps]
    added = tuple(e for e in envs if f"testenv:{e}" not in names)
    updated = tuple(e for e in envs if f"testenv:{e}" in names)
    wanted = {f"testenv:{env_name(a)}": env_section(a) for a in apps}
    wanted[BASE] = base_section()
    if "tox" not in names:
        sections.insert(0, ("tox", ["[tox]", "requires = tox>=4.0"]))
    out = list(preamble)
    for name, lines in sections:
        if name in wanted:
            out += _replace_body(lines, wanted.pop(name))
        elif name == "tox":
            out += _with_env_list(lines, envs)
        else:
            out += lines
    # What had no section yet goes at the end: the base first, then the apps.
    new = [wanted.pop(BASE)] if BASE in wanted else []
    body = "\n".join(out).strip("\n")
    for section in [*new, *wanted.values()]:
        body += "\n\n" + section
    return Change(body + "\n", added, updated)


def _split(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The lines before the first section, and each section's name and lines."""
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        match = _SECTION.match(line)
        if match:
            sections.append((match[1].strip(), [line]))
        elif sections:
            sections[-1][1].append(line)
        else:
            preamble.append(line)
    return preamble, sections


def _replace_body(lines: list[str], section: str) -> list[str]:
    # Comments and blank lines at the end belong to whatever follows: keep them.
    tail: list[str] = []
    for line in reversed(lines[1:]):
        if line.strip() and not line.lstrip().startswith(("#", ";")):
            break
        tail.insert(0, line)
    return [*section.splitlines(), *(tail or [""])]


def _with_env_list(lines: list[str], names: list[str]) -> list[str]:
    """The [tox] section with the names missing from env_list added (or an env_list made)."""
    for i, line in enumerate(lines):
        match = _ENV_LIST.match(line)
        if not match:
            continue
        last = i  # the value may go on over indented lines
        while (
            last + 1 < len(lines) and lines[last + 1][:1] in (" ", "\t") and lines[last + 1].strip()
        ):
            last += 1
        listed = _env_names(" ".join([match[2], *lines[i + 1 : last + 1]]))
        missing = [n for n in names if n not in listed]
        if not missing:
            return lines
        joiner = ", " if listed else ""
        return [
            *lines[:last],
            lines[last].rstrip() + joiner + ", ".join(missing),
            *lines[last + 1 :],
        ]
    return [lines[0], f"env_list = {', '.join(names)}", *lines[1:]]


def _env_names(value: str) -> set[str]:
    """The entries of an env_list value, split on commas and spaces outside `{...}`."""
    names: set[str] = set()
    depth, current = 0, ""
    for char in value + ",":
        depth += (char == "{") - (char == "}")
        if depth == 0 and (char == "," or char.isspace()):
            if current:
                names.add(current)
            current = ""
        else:
            current += char
    return names
