"""`rpmkit init`: a gunicorn file read without running it, and the service's command."""

from __future__ import annotations

from pathlib import Path

import pytest

from rpmkit.init import gunicorn, serve
from rpmkit.init.apps import MAKERS, AppObject

FLASK = AppObject("app", "app", MAKERS["flask.Flask"], "app.py")
FACTORY = AppObject("shop", "create_app()", MAKERS["flask.Flask"], "shop/__init__.py")
QUART = AppObject("app", "app", MAKERS["quart.Quart"], "app.py")


def conf(tmp_path: Path, text: str, name: str = "gunicorn.conf.py") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("text", "bind"),
    [
        ('bind = "0.0.0.0:8085"\n', ["0.0.0.0:8085"]),
        ('bind = ["127.0.0.1:9000", "unix:/tmp/g.sock"]\n', ["127.0.0.1:9000", "unix:/tmp/g.sock"]),
        ('import os\nbind = os.environ.get("BIND", "0.0.0.0:7000")\n', ["0.0.0.0:7000"]),
        ('import os\nport = int(os.getenv("PORT", 5000))\nbind = f"0.0.0.0:{port}"\n',
         ["0.0.0.0:5000"]),
        ('host = "0.0.0.0"\nport = "6000"\nbind = host + ":" + port\n', ["0.0.0.0:6000"]),
        ('bind = "%s:%d" % ("127.0.0.1", 8123)\n', ["127.0.0.1:8123"]),
    ],
)  # fmt: skip
def test_bind_is_worked_out(tmp_path: Path, text: str, bind: list[str]) -> None:
    path = conf(tmp_path, text)
    assert gunicorn.read(path / "gunicorn.conf.py", path).bind == bind


def test_what_cannot_be_worked_out_is_said_so(tmp_path: Path) -> None:
    text = "import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n"
    settings = gunicorn.read(conf(tmp_path, text) / "gunicorn.conf.py", tmp_path)
    assert settings.bind is None
    assert settings.describe() == (
        "workers = multiprocessing.cpu_count() * 2 + 1 (worked out when gunicorn starts)"
    )


def test_the_service_listens_where_the_file_binds(tmp_path: Path) -> None:
    conf(tmp_path, 'bind = "0.0.0.0:8085"\nworkers = 4\n')
    plan = serve.plan(tmp_path, FLASK, frozenset({"flask", "gunicorn"}), "shop")
    assert plan.command == "gunicorn --config gunicorn.conf.py app:app"
    assert (plan.port, plan.port_from) == (8085, "the bind in gunicorn.conf.py")
    assert plan.said == ("gunicorn.conf.py: bind 0.0.0.0:8085, workers 4",)
    assert (plan.notes, plan.problems, plan.needs) == ((), (), ("gunicorn",))


def test_gunicorn_config_py_is_named_on_the_command_line(tmp_path: Path) -> None:
    conf(tmp_path, 'bind = "127.0.0.1:9001"\n', "gunicorn_config.py")
    plan = serve.plan(tmp_path, FACTORY, frozenset(), "shop")
    assert plan.command == "gunicorn --config gunicorn_config.py 'shop:create_app()'"
    assert plan.port == 9001


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('bind = "0.0.0.0:80"\n', "cannot listen on a port below 1024"),
        ('bind = "10.0.0.5:8000"\n', "not an address nginx reaches"),
        ('bind = "unix:/run/shop.sock"\n', "no TCP port nginx can proxy to"),
        ("bind = compute()\n", "cannot be worked out without running it"),
        ("workers = 2\n", "it sets no bind"),
    ],
)
def test_a_bind_nginx_cannot_use_is_overridden_on_the_command_line(
    tmp_path: Path, text: str, why: str
) -> None:
    conf(tmp_path, text)
    plan = serve.plan(tmp_path, FLASK, frozenset({"gunicorn"}), "shop")
    assert plan.command == "gunicorn --config gunicorn.conf.py --bind 127.0.0.1:8000 app:app"
    assert plan.port == 8000
    assert plan.port_from == ""
    assert len(plan.notes) == 1
    assert why in plan.notes[0]
    assert "--bind 127.0.0.1:8000 overrides it" in plan.notes[0]


def test_a_required_port_variable_is_set_in_the_unit(tmp_path: Path) -> None:
    conf(tmp_path, 'import os\nbind = "0.0.0.0:" + os.environ["PORT"]\n')
    plan = serve.plan(tmp_path, FLASK, frozenset(), "shop")
    assert plan.environment == {"PORT": "8000"}
    assert (plan.port, plan.problems) == (8000, ())
    assert "gunicorn.conf.py reads $PORT: the service's unit sets PORT=8000" in plan.said


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("daemon = True\n", "daemon = True makes gunicorn fork away"),
        ('user = "www-data"\n', "cannot switch user: remove it"),
        ('accesslog = "logs/access.log"\n', 'use accesslog = "-" (the journal)'),
        ('pidfile = "/var/run/shop.pid"\n', "cannot write there"),
        ('import os\nsecret = os.environ["SECRET"]\n', "reads os.environ['SECRET']"),
    ],
)
def test_settings_that_stop_the_service_are_problems(
    tmp_path: Path, text: str, problem: str
) -> None:
    conf(tmp_path, text)
    plan = serve.plan(tmp_path, FLASK, frozenset(), "shop")
    assert len(plan.problems) == 1
    assert plan.problems[0].startswith("gunicorn.conf.py")
    assert problem in plan.problems[0]


def test_harmless_file_settings_are_not_problems(tmp_path: Path) -> None:
    conf(tmp_path, 'accesslog = "-"\nerrorlog = "-"\npidfile = "/tmp/g.pid"\ndaemon = False\n')
    assert serve.plan(tmp_path, FLASK, frozenset(), "shop").problems == ()


def test_a_worker_class_needs_its_package(tmp_path: Path) -> None:
    conf(tmp_path, 'worker_class = "gevent"\n')
    assert serve.plan(tmp_path, FLASK, frozenset(), "shop").needs == ("gunicorn", "gevent")


def test_wsgi_app_in_the_file_names_the_app(tmp_path: Path) -> None:
    conf(tmp_path, 'wsgi_app = "web.main:server"\nbind = "127.0.0.1:8100"\n')
    plan = serve.plan(tmp_path, FLASK, frozenset(), "shop")
    assert plan.command == "gunicorn --config gunicorn.conf.py"
    assert "gunicorn.conf.py names the app: wsgi_app web.main:server" in plan.said


def test_asgi_apps_get_uvicorn_or_hypercorn(tmp_path: Path) -> None:
    plan = serve.plan(tmp_path, QUART, frozenset({"quart"}), "shop")
    assert plan.command == "uvicorn --host 127.0.0.1 --port 8000 app:app"
    assert plan.needs == ("uvicorn",)
    plan = serve.plan(tmp_path, QUART, frozenset({"quart", "hypercorn"}), "shop")
    assert plan.command == "hypercorn --bind 127.0.0.1:8000 app:app"
    factory = AppObject("shop", "create_app()", MAKERS["quart.Quart"], "shop/__init__.py")
    plan = serve.plan(tmp_path, factory, frozenset(), "shop")
    assert plan.command == "uvicorn --host 127.0.0.1 --port 8000 --factory shop:create_app"


def test_asgi_behind_gunicorn_with_uvicorn_workers(tmp_path: Path) -> None:
    conf(tmp_path, 'worker_class = "uvicorn.workers.UvicornWorker"\nbind = "0.0.0.0:8200"\n')
    plan = serve.plan(tmp_path, QUART, frozenset(), "shop")
    assert plan.command == "gunicorn --config gunicorn.conf.py app:app"
    assert plan.needs == ("gunicorn", "uvicorn")
    assert plan.port == 8200
