"""`rpmkit init`: an `rpmkit.toml` for an existing app, from what its folder holds.

The app's modules are parsed, never imported (`modules`); its WSGI or ASGI
callable is found by kind (`apps`), its routes read from the code
(`routes`), its gunicorn file read without running it (`gunicorn`); the
service's command follows (`serve`). `scripts` finds self-serving scripts and
workers, `django` the settings a balancer trips on, `shebangs` the app files
rpmlint fails on, `metadata` the name, summary and licence. `detect` turns all
of it into one `Detected` value that `render` writes as TOML with a comment
on each guess.
"""

from __future__ import annotations

from rpmkit.init.detect import Detected, detect
from rpmkit.init.render import render, validate

__all__ = ["Detected", "detect", "render", "validate"]
