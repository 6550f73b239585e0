"""`rpmkit init`: which callable serves the app, and which routes the code shows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from rpmkit.init import apps, modules, routes
from rpmkit.init.modules import Module


def module(source: str, name: str = "app") -> Module:
    tree = ast.parse(source)
    return Module(Path(f"{name.replace('.', '/')}.py"), name, tree, modules.imports_of(tree))


def found(*sources: str) -> tuple[str, str, str] | None:
    """(callable, framework, interface) of the best app in modules app0, app1, ..."""
    best = apps.find([module(s, f"app{i}") for i, s in enumerate(sources)])
    if best is None:
        return None
    return best.callable, best.framework.name, best.framework.interface


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from flask import Flask\napp = Flask(__name__)\n", ("app", "Flask", "wsgi")),
        ("import flask\nserver: flask.Flask = flask.Flask('x')\n", ("server", "Flask", "wsgi")),
        ("from quart import Quart\napp = Quart(__name__)\n", ("app", "Quart", "asgi")),
        ("import bottle\napp = bottle.Bottle()\n", ("app", "bottle", "wsgi")),
        ("import bottle\nweb = bottle.default_app()\n", ("web", "bottle", "wsgi")),
        ("from bottle import Bottle\napp = Bottle()\n", ("app", "bottle", "wsgi")),
        ("import falcon\napp = falcon.App()\n", ("app", "falcon", "wsgi")),
        ("import falcon\napi = falcon.API()\n", ("api", "falcon", "wsgi")),
        ("import falcon.asgi\napp = falcon.asgi.App()\n", ("app", "falcon (ASGI)", "asgi")),
        ("from fastapi import FastAPI\napp = FastAPI()\n", ("app", "FastAPI", "asgi")),
        ("from django.core.wsgi import get_wsgi_application\n"
         "application = get_wsgi_application()\n", ("application", "Django", "wsgi")),
        ("from pyramid.config import Configurator\nwith Configurator() as c:\n    pass\n"
         "app = c.make_wsgi_app()\n", ("app", "Pyramid", "wsgi")),
        # App() is falcon's only when it comes from falcon.
        ("from textual.app import App\napp = App()\n", None),
        ("def application(environ, start_response):\n    return []\n",
         ("application", "WSGI function", "wsgi")),
        ("def app(environ, start_response):\n    return []\n", ("app", "WSGI function", "wsgi")),
        ("class Router:\n    def __call__(self, environ, start_response):\n        return []\n"
         "app = Router()\n", ("app", "WSGI function", "wsgi")),
        ("application = make_wsgi(config)\n", ("application", "WSGI", "wsgi")),
        ("from flask import Flask\ndef create_app(config=None):\n    return Flask(__name__)\n",
         ("create_app()", "Flask", "wsgi")),
        # A factory that needs arguments cannot be named on a server's command line.
        ("def create_app(config):\n    return Flask(__name__)\n", None),
        ("def create_app(*, config):\n    return Flask(__name__)\n", None),
        # An app object wins over a factory in the same module.
        ("from flask import Flask\ndef create_app():\n    pass\napp = Flask(__name__)\n",
         ("app", "Flask", "wsgi")),
        ("from flask import Flask\ndef main():\n    app = Flask(__name__)\n", None),
        ("from django.core.asgi import get_asgi_application\n"
         "application = get_asgi_application()\n", ("application", "Django", "asgi")),
        ("print('hello')\n", None),
    ],
)  # fmt: skip
def test_callable_by_kind(source: str, expected: tuple[str, str, str] | None) -> None:
    assert found(source) == expected


def test_the_best_kind_wins_across_modules() -> None:
    factory = "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n"
    made = "from shop import create_app\napp = create_app()\n"
    # `app = create_app()` in a later module beats the factory itself.
    assert found(factory, made) == ("app", "app factory", "wsgi")
    # Django's wsgi.py beats its asgi.py whatever the order.
    asgi = (
        "from django.core.asgi import get_asgi_application\napplication = get_asgi_application()\n"
    )
    wsgi = (
        "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"
    )
    assert found(asgi, wsgi) == ("application", "Django", "wsgi")


def test_bottle_default_app() -> None:
    routed = "from bottle import route, run\n@route('/')\ndef index():\n    return 'hi'\n"
    with pytest.raises(apps.BottleDefaultApp) as info:
        found(routed)
    assert info.value.path == "app0.py"
    # Imported into the module, the default app has a name gunicorn can call.
    named = routed.replace("route, run", "route, run, default_app")
    assert found(named) == ("default_app()", "bottle", "wsgi")


def test_modules_parse_entry_points_first_and_skip_what_is_not_the_app(tmp_path: Path) -> None:
    for name in ("zzz.py", "app.py", "wsgi.py", "pkg/__init__.py", "pkg/sub/web.py",
                 "tests/app.py", "test_app.py", "setup.py", ".hidden/app.py", "my-tool/app.py",
                 "venv/lib.py", "pkg/sub/deeper/x.py"):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("")
    (tmp_path / "broken.py").write_text("def (\n")
    names = [m.name for m in modules.parse(tmp_path)]
    assert names == ["app", "wsgi", "zzz", "pkg", "pkg.sub.web"]


def paths(*sources: str, app: str = "from flask import Flask\napp = Flask(__name__)\n") -> set[str]:
    parsed = [module(app, "app"), *(module(s, f"m{i}") for i, s in enumerate(sources))]
    best = apps.find(parsed)
    assert best is not None
    return set(routes.seen(parsed, best).paths)


def test_flask_routes_from_every_module_with_blueprint_prefixes() -> None:
    views = (
        "from flask import Blueprint\nbp = Blueprint('x', __name__)\n"
        "api = Blueprint('api', __name__, url_prefix='/api')\n"
        "@bp.get('/')\ndef a(): ...\n"
        "@bp.route('/health', methods=['GET', 'HEAD'])\ndef b(): ...\n"
        "@bp.route('/submit', methods=['POST'])\ndef c(): ...\n"
        "@api.get('/status')\ndef d(): ...\n"
        "@bp.route(PATH)\ndef e(): ...\n"
        "cache.get('/not-a-route')\n"
    )
    register = (
        "from m0 import bp\ndef setup(app):\n    app.register_blueprint(bp, url_prefix='/v1')\n"
    )
    assert paths(views) == {"/", "/health", "/api/status"}
    assert paths(views, register) == {"/v1/", "/v1/health", "/api/status"}


def test_bottle_falcon_and_add_url_rule_routes() -> None:
    bottle = (
        "from bottle import route, get\n@route('/')\ndef a(): ...\n@get('/healthz')\ndef b(): ...\n"
    )
    falcon = "app.add_route('/health', Health())\napp.add_url_rule('/ping', view_func=f)\n"
    assert paths(bottle, falcon) == {"/", "/healthz", "/health", "/ping"}


def test_django_routes_from_the_root_urlconf_only() -> None:
    wsgi = (
        "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"
    )
    urls = (
        "from django.urls import include, path, re_path\n"
        "urlpatterns = [path('admin/', admin.site.urls), path('health/', health),\n"
        "    re_path(r'^ping/?$', ping), re_path(r'^item/(?P<id>\\d+)$', item),\n"
        "    path('api/', include('api.urls'))]\n"
    )
    parsed = [module(wsgi, "mysite.wsgi"), module(urls, "mysite.urls"), module(urls, "api.urls")]
    best = apps.find(parsed)
    assert best is not None
    assert routes.seen(parsed, best).paths == {"/admin/", "/health/", "/ping"}


def test_wsgi_function_routes_are_the_paths_it_compares() -> None:
    compares = (
        "def application(environ, start_response):\n"
        "    path = environ['PATH_INFO']\n"
        "    if path == '/health':\n        pass\n"
        "    elif path in ('/', '/index'):\n        pass\n"
        "    return HANDLERS.get(path)\n"
        "HANDLERS = {'/api': None}\n"
    )
    parsed = [module(compares)]
    best = apps.find(parsed)
    assert best is not None
    seen = routes.seen(parsed, best)
    assert seen.paths == {"/health", "/", "/index", "/api"}
    assert not seen.any_path
    # A function that never reads the path answers every path alike.
    blind = [module("def application(environ, start_response):\n    return [b'ok']\n")]
    best = apps.find(blind)
    assert best is not None
    assert routes.seen(blind, best).answers("/anything")


def test_an_app_made_by_a_factory_elsewhere_in_the_folder() -> None:
    boot = "import falcon\ndef create_falcon_app():\n    return falcon.API()\n"
    app = "from pft.bootstrap import create_falcon_app\napp = create_falcon_app()\n"
    relative = "from .bootstrap import create_falcon_app\napp = create_falcon_app()\n"
    for source in (app, relative):
        parsed = [module(boot, "pft.bootstrap"), module(source, "pft.app")]
        best = apps.find(parsed)
        assert best is not None
        assert (best.target, best.framework.name) == ("pft.app:app", "falcon")
    # A function that makes no known app object is not a factory.
    other = "def create_thing():\n    return object()\n"
    parsed = [module(other, "pft.bootstrap"), module(app.replace("falcon_app", "thing"), "pft.app")]
    assert apps.find(parsed) is None
