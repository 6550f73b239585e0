"""Six small web apps, one of each kind `rpmkit init` must get right, and what it must write.

Each `write_*` makes one app folder the way its developer would have it (no
rpmkit.toml); EXPECTED says what `rpmkit init` must find there and which
architecture the RPM must have: noarch when every wheel is pure Python, the
machine's when one ships compiled code (markupsafe's speedups, falcon's
Cython build).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

GUNICORN = "gunicorn==23.0.0"
MIT = """MIT License

Copyright (c) 2026 The corpus authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
"""
BSD3 = """Copyright (c) 2026, The corpus authors

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:
1. Redistributions of source code must retain the above copyright notice.
2. Redistributions in binary form must reproduce the above copyright notice.
3. Neither the name of the copyright holder nor the names of its contributors
   may be used to endorse or promote products derived from this software.
"""


@dataclass(frozen=True)
class Expected:
    """What `rpmkit init` must write for one app, and the RPM's architecture."""

    command: str
    port: int
    health: str
    extra: tuple[str, ...]  # [python] extra_requirements
    license: str
    summary: str
    noarch: bool


def _files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def write_wsgi(root: Path) -> Path:
    """A plain WSGI function; gunicorn.conf.py binds 0.0.0.0:8085 with 2 workers."""
    app = '''"""A plain WSGI function: no framework."""

import json


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/health":
        body, status = json.dumps({"ok": True}).encode(), "200 OK"
    elif path == "/":
        body, status = b"plain wsgi\\n", "200 OK"
    else:
        body, status = b"not found\\n", "404 Not Found"
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''
    conf = 'import os\n\nbind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8085")\nworkers = 2\n'
    return _files(
        root,
        {
            "app.py": app,
            "gunicorn.conf.py": conf,
            "requirements.txt": f"{GUNICORN}\n",
            "README.md": "# wsgi-plain\n\nA WSGI function v1.2 answers e.g. health checks. "
            "It has no framework at all.\n",
            "LICENSE": MIT,
        },
    )


def write_bottle(root: Path) -> Path:
    """bottle on its own Bottle() object; its requirements do not list gunicorn."""
    app = """import bottle

app = bottle.Bottle()


@app.route("/")
def index():
    return "bottle\\n"


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


if __name__ == "__main__":
    bottle.run(app, host="127.0.0.1", port=8080)
"""
    return _files(
        root,
        {
            "app.py": app,
            "requirements.txt": "bottle==0.13.4\n",
            "README.rst": "bottle-app\n==========\n\nA bottle app whose requirements leave "
            "the server to whoever deploys it.\n",
        },
    )


def write_falcon(root: Path) -> Path:
    """falcon 3 resources on falcon.App(); `Gunicorn` spelled with a capital."""
    app = """import falcon


class Health:
    def on_get(self, req, resp):
        resp.media = {"status": "ok"}


class Items:
    def on_get(self, req, resp):
        resp.media = [{"id": 1}]


app = falcon.App()
app.add_route("/health", Health())
app.add_route("/items", Items())
"""
    return _files(
        root,
        {
            "service.py": app,
            "requirements.txt": "falcon==3.1.3\nGunicorn==23.0.0\n",
            "LICENSE.txt": BSD3,
        },
    )


def write_flask_templates(root: Path) -> Path:
    """Flask with templates/ and static/; the health route is /health_check."""
    app = """from flask import Flask, render_template

app = Flask(__name__)


@app.route("/")
def index():
    return render_template("index.html", title="shop")


@app.route("/health_check")
def health_check():
    return "ok\\n"


@app.route("/orders", methods=["POST"])
def orders():
    return "", 201
"""
    return _files(
        root,
        {
            "app.py": app,
            "templates/index.html": '<link rel="stylesheet" href="/static/site.css">\n'
            "<h1>{{ title }}</h1>\n",
            "static/site.css": "h1 { color: teal; }\n",
            "requirements.txt": f"Flask==3.1.2\n{GUNICORN}\n",
            "pyproject.toml": '[project]\nname = "Flask Shop"\nversion = "2.0.1"\n'
            'description = "A Flask shop front with templates and static files."\n',
        },
    )


def write_flask_factory(root: Path) -> Path:
    """A Flask app factory in a package; the routes live in a blueprint module."""
    init = """from flask import Flask


def create_app(config=None):
    app = Flask(__name__)
    if config:
        app.config.update(config)
    from shop.views import bp

    app.register_blueprint(bp)
    return app
"""
    views = """from flask import Blueprint

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return "factory\\n"


@bp.get("/health")
def health():
    return {"status": "ok"}
"""
    return _files(
        root,
        {
            "shop/__init__.py": init,
            "shop/views.py": views,
            "requirements.txt": f"-r requirements/base.txt\n{GUNICORN}\n",
            "requirements/base.txt": "flask==3.1.2\n",
        },
    )


def write_django(root: Path, allowed_hosts: str = '["*"]') -> Path:
    """`django-admin startproject mysite`, requirements pinning the same Django.

    The one edit every project behind a load balancer needs: ALLOWED_HOSTS
    admits the instance's IP address, which the balancer's health check sends
    as Host (startproject leaves it empty).
    """
    import django

    root.mkdir(parents=True, exist_ok=True)
    admin = Path(sys.executable).with_name("django-admin")
    subprocess.run([str(admin), "startproject", "mysite", str(root)], check=True)
    settings = root / "mysite" / "settings.py"
    text = settings.read_text()
    assert "\nALLOWED_HOSTS = []\n" in text
    settings.write_text(
        text.replace("\nALLOWED_HOSTS = []\n", f"\nALLOWED_HOSTS = {allowed_hosts}\n")
    )
    return _files(root, {"requirements.txt": f"Django=={django.get_version()}\n{GUNICORN}\n"})


KINDS: dict[str, tuple[Callable[[Path], Path], Expected]] = {
    "wsgi-plain": (
        write_wsgi,
        Expected(
            command="gunicorn --config gunicorn.conf.py app:application",
            port=8085,
            health="/health",
            extra=(),
            license="MIT",
            summary="A WSGI function v1.2 answers e.g. health checks",
            noarch=True,
        ),
    ),
    "bottle-app": (
        write_bottle,
        Expected(
            command="gunicorn --bind 127.0.0.1:8000 app:app",
            port=8000,
            health="/healthz",
            extra=("gunicorn",),
            license="NOASSERTION",
            summary="A bottle app whose requirements leave the server to whoever deploys it",
            noarch=True,
        ),
    ),
    "falcon-app": (
        write_falcon,
        Expected(
            command="gunicorn --bind 127.0.0.1:8000 service:app",
            port=8000,
            health="/health",
            extra=(),
            license="BSD-3-Clause",
            summary="Falcon web application",
            noarch=False,  # falcon 3's wheel is compiled with Cython
        ),
    ),
    "flask-templates": (
        write_flask_templates,
        Expected(
            command="gunicorn --bind 127.0.0.1:8000 app:app",
            port=8000,
            health="/health_check",
            extra=(),
            license="NOASSERTION",
            summary="A Flask shop front with templates and static files",
            noarch=False,  # markupsafe's speedups
        ),
    ),
    "flask-factory": (
        write_flask_factory,
        Expected(
            command="gunicorn --bind 127.0.0.1:8000 'shop:create_app()'",
            port=8000,
            health="/health",
            extra=(),
            license="NOASSERTION",
            summary="Flask web application",
            noarch=False,  # markupsafe's speedups
        ),
    ),
    "django-site": (
        write_django,
        Expected(
            command="gunicorn --bind 127.0.0.1:8000 mysite.wsgi:application",
            port=8000,
            health="/",  # startproject routes only admin/; / is Django's welcome page
            extra=(),
            license="NOASSERTION",
            summary="Django web application",
            noarch=True,
        ),
    ),
}
