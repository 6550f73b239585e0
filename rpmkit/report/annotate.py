"""The one summary line a CI log shows, in the CI server's own annotation syntax.

- GitHub Actions (`GITHUB_ACTIONS=true`): a failure is a `::error` workflow
  command, which the run's summary lists as an annotation (data escaped as the
  workflow-command documentation says: `%`, CR and LF; in properties also `:`
  and `,`).
- GitLab CI (`GITLAB_CI=true`): the detailed report goes in a collapsible
  section (`section_start`/`section_end` markers), collapsed when it passed;
  the summary line follows outside it.
- Anywhere else: the plain line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

SHOWN = 5  # failed check ids named in the line


def provider(env: Mapping[str, str]) -> str | None:
    """`github`, `gitlab` or None, from the variables each CI server sets."""
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI") == "true":
        return "gitlab"
    return None


def summary(doc: dict[str, Any]) -> str:
    """One line: command, verdict, the failed apps with their stage and failed checks, time."""
    apps = doc["apps"]
    took = f"in {doc['seconds']:.2f}s"
    head = f"rpmkit {doc['command']}: {doc['verdict'].upper()}"
    failed = [app for app in apps if app["verdict"] != "pass"]
    if len(apps) != 1:
        if not failed:
            return f"{head} {len(apps)} apps {took}"
        names = ", ".join(f"{a['name']} at {a['failed_stage'] or 'run'}" for a in failed)
        return f"{head} {len(failed)} of {len(apps)} apps ({names}) {took}"
    app = apps[0]
    checks = app["checks"]
    if not failed:
        warned = sum(1 for c in checks if c["verdict"] == "warn")
        extra = f", {warned} warnings" if warned else ""
        extra += " (cached)" if app.get("cached") else ""
        return f"{head} {app['name']}: {len(checks)} checks{extra} {took}"
    bad = [c["id"] for c in checks if c["verdict"] == "fail"]
    named = ", ".join(bad[:SHOWN]) + (f" and {len(bad) - SHOWN} more" if len(bad) > SHOWN else "")
    what = f"{len(bad)} of {len(checks)} checks failed ({named})" if bad else app["error"] or ""
    return f"{head} {app['name']} at {app['failed_stage'] or 'run'}: {what} {took}"


def summary_line(doc: dict[str, Any], env: Mapping[str, str]) -> str:
    """The summary, as a GitHub `::error` when it failed there; plain otherwise."""
    line = summary(doc)
    if provider(env) == "github" and doc["verdict"] != "pass":
        title = f"rpmkit {doc['command']} failed"
        return f"::error title={_property(title)}::{_data(line)}"
    return line


def section(name: str, header: str, collapsed: bool, env: Mapping[str, str]) -> tuple[str, str]:
    """GitLab's start and end markers around a block, or two empty strings elsewhere."""
    if provider(env) != "gitlab":
        return "", ""
    key = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60]
    now = int(time.time())
    option = "[collapsed=true]" if collapsed else ""
    start = f"\x1b[0Ksection_start:{now}:{key}{option}\r\x1b[0K{header}"
    return start, f"\x1b[0Ksection_end:{now}:{key}\r\x1b[0K"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
