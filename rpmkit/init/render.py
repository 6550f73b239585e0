"""The rpmkit.toml text for what `detect` found, with a comment on each guessed value."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from rpmkit import templates, toml
from rpmkit.errors import ConfigError
from rpmkit.init.detect import NGINX_PORT, Detected
from rpmkit.scratch import scratch


def render(found: Detected) -> str:
    """The config's text: TOML, every value quoted as JSON (a valid TOML basic string)."""
    why = found.why
    lines = [
        "# Made by `rpmkit init` from what it found here: check each value, then",
        "# `rpmkit run .` builds the RPM and checks it installs, boots and stays healthy.",
        f"name = {_quote(found.name)}",
        f"version = {_quote(found.version)}",
        *_comment(why.get("summary")),
        f"summary = {_quote(found.summary)}",
        *_comment(why.get("license")),
        f"license = {_quote(found.license)}",
        *_comment(why.get("template")),
        f"template = {_quote(found.template)}",
    ]
    kind = templates.get(found.template)
    if found.requirements and kind.python:
        lines.append(f"requirements = {_quote(found.requirements)}")
    if found.static_root:
        lines.append(f"static_root = {_quote(found.static_root)}")
    if found.exclude:
        lines.append(f"exclude = [{', '.join(_quote(e) for e in found.exclude)}]")
    if found.extra_requirements:
        lines += ["", "[python]", *_comment(why.get("extra_requirements"))]
        lines.append(f"extra_requirements = [{', '.join(map(_quote, found.extra_requirements))}]")
    if found.command:
        lines += ["", "[[services]]"]
        if found.app is not None and found.port is not None:
            where = f" ({why['port']})" if "port" in why else ""
            framework = found.app.framework.name
            what = framework if framework.endswith("function") else f"{framework} app"
            lines += _comment(
                f"{found.command.split()[0]} serves the {what} `{found.app.callable}` of "
                f"{found.app.path} on 127.0.0.1:{found.port}{where}."
            )
        lines.append(f"command = {_quote(found.command)}")
        if found.port is not None:
            lines.append(f"port = {found.port}")
        if found.environment:
            pairs = ", ".join(f"{k} = {_quote(v)}" for k, v in found.environment)
            lines.append(f"environment = {{ {pairs} }}")
    if kind.proxies:
        lines += ["", "[nginx]"]
        lines += _comment(
            f"nginx listens on port {NGINX_PORT}, where the load balancer sends requests, "
            f"and proxies each one to the service on 127.0.0.1:{found.port}."
        )
        lines.append(f"port = {NGINX_PORT}")
    for accept in found.accepts:
        lines += ["", "[[rpmlint.accept]]"]
        lines += _comment("rpmlint calls this file an error; rpmkit init judged it harmless:")
        lines += [f"check = {_quote(accept.check)}", f"path = {_quote(accept.path)}"]
        lines.append(f"reason = {_quote(accept.reason)}")
    if kind.serves_http:
        lines += ["", "[health_check]"]
        lines += _comment(
            f"The load balancer's health check: GET {found.health_path} on port "
            f"{NGINX_PORT} (through nginx) must answer 200."
            + (f" Path: {why['health_path']}." if "health_path" in why else "")
        )
        lines += [f"path = {_quote(found.health_path)}", f"port = {NGINX_PORT}"]
    return "\n".join(lines) + "\n"


def validate(text: str) -> None:
    """Raise ConfigError if the text is not a config rpmkit accepts."""
    from pydantic import ValidationError

    from rpmkit.config import AppConfig

    with scratch("init") as tmp:
        path = Path(tmp) / "rpmkit.toml"
        path.write_text(text, encoding="utf-8")
        data = toml.load(path)
    try:
        AppConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"the config rpmkit init made is not valid: {problems}") from None


def _comment(text: str | None) -> list[str]:
    if not text:
        return []
    return ["# " + line for line in textwrap.wrap(text, width=86)]


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)
