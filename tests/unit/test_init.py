"""`rpmkit init`: what it finds in an app's folder, and the rpmkit.toml it writes."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rpmkit import cli, config
from rpmkit.errors import ConfigError
from rpmkit.init import (
    Detected,
    clean_summary,
    detect,
    license_of,
    readme_summary,
    render,
    routes,
    rpm_name,
    validate,
    wsgi_callable,
)

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello-world"


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    """hello-world without its rpmkit.toml."""
    app = tmp_path / "hello-world"
    shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    (app / "rpmkit.toml").unlink()
    return app


def callable_in(source: str) -> tuple[str, str] | None:
    return wsgi_callable(ast.parse(source))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from flask import Flask\napp = Flask(__name__)\n", ("app", "Flask")),
        ("import flask\nserver: flask.Flask = flask.Flask('x')\n", ("server", "Flask")),
        ("from django.core.wsgi import get_wsgi_application\n"
         "application = get_wsgi_application()\n", ("application", "WSGI")),
        ("application = make_wsgi(config)\n", ("application", "WSGI")),
        ("def create_app(config=None):\n    return Flask(__name__)\n", ("create_app()", "factory")),
        # A factory that needs arguments cannot be named on gunicorn's command line.
        ("def create_app(config):\n    return Flask(__name__)\n", None),
        # An app object wins over a factory in the same module.
        ("def create_app():\n    pass\napp = Flask(__name__)\n", ("app", "Flask")),
        ("def main():\n    app = Flask(__name__)\n", None),  # not at module level
        ("print('hello')\n", None),
    ],
)  # fmt: skip
def test_wsgi_callable(source: str, expected: tuple[str, str] | None) -> None:
    assert callable_in(source) == expected


def test_routes_are_the_literal_paths_of_route_decorators() -> None:
    tree = ast.parse(
        "@app.get('/')\ndef a(): ...\n"
        "@bp.route('/health', methods=['GET'])\ndef b(): ...\n"
        "@app.post('/submit')\ndef c(): ...\n"
        "@app.route(PATH)\ndef d(): ...\n"
    )
    assert list(routes(tree)) == ["/", "/health"]


def test_hello_world_is_a_flask_app_behind_nginx(hello: Path) -> None:
    found = detect(hello)
    assert found.name == "hello-world"
    assert found.template == "python-web"
    assert found.requirements == "requirements.txt"
    assert found.wsgi is not None
    assert found.wsgi.target == "app:app"
    assert found.command == "gunicorn --bind 127.0.0.1:8000 app:app"
    assert found.health_path == "/health_check"
    assert found.license == "MIT"
    assert found.summary == (
        "The smallest app rpmkit packages: a Flask app run by gunicorn behind nginx"
    )
    assert found.notes == ()


def test_the_written_config_loads_and_says_what_the_check_needs(hello: Path) -> None:
    (hello / "rpmkit.toml").write_text(render(detect(hello)))
    app = config.load(hello).app
    assert app.template == "python-web"
    assert [(s.command, s.port) for s in app.services] == [
        ("gunicorn --bind 127.0.0.1:8000 app:app", 8000)
    ]
    assert app.nginx is not None
    assert app.nginx.port == 80
    assert (app.health_check.path, app.health_check.port) == ("/health_check", 80)


def test_a_package_module_a_factory_and_another_health_route(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text(
        "from flask import Flask\n\ndef create_app():\n    app = Flask(__name__)\n\n"
        "    @app.get('/healthz')\n    def healthz():\n        return 'ok'\n\n    return app\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "app.py").write_text("app = Flask(__name__)\n")  # tests are not the app
    (tmp_path / "requirements.txt").write_text("Flask==3.1.2\ngunicorn[gevent]>=23\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "Shop_Front"\nversion = "2.3.1"\ndescription = "The shop."\n'
    )
    found = detect(tmp_path)
    assert (found.name, found.version, found.summary) == ("shop-front", "2.3.1", "The shop")
    assert found.command == "gunicorn --bind 127.0.0.1:8000 shop:create_app()"
    assert found.health_path == "/healthz"
    assert found.notes == ()
    validate(render(found))


def test_notes_say_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "wsgi.py").write_text("application = object()\n")
    found = detect(tmp_path)
    assert any("no requirements.txt" in n for n in found.notes)
    assert any("no health check route" in n for n in found.notes)
    (tmp_path / "requirements.txt").write_text("flask\n")
    assert any("does not list gunicorn" in n for n in detect(tmp_path).notes)


def test_static_site_and_worker(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "public").mkdir(parents=True)
    (site / "public" / "index.html").write_text("<h1>hi</h1>")
    found = detect(site)
    assert (found.template, found.static_root, found.command) == ("static-site", "public", None)
    validate(render(found))
    worker = tmp_path / "worker"
    worker.mkdir()
    (worker / "consume.py").write_text(
        "def main(): ...\n\nif __name__ == '__main__':\n    main()\n"
    )
    found = detect(worker)
    assert (found.template, found.command) == ("python-worker", "python consume.py")
    assert "[health_check]" not in render(found)
    validate(render(found))


def test_nothing_recognisable_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(ConfigError, match="found no WSGI app"):
        detect(tmp_path)


@pytest.mark.parametrize(
    ("text", "name"),
    [("hello-world", "hello-world"), ("My App!", "my-app"), ("2fast", "app-2fast"),
     ("x" * 40, "x" * 32), ("Über_Tool", "ber-tool")],
)  # fmt: skip
def test_rpm_name_is_also_a_valid_user_name(text: str, name: str) -> None:
    assert rpm_name(text) == name


def test_summary_is_one_clean_line() -> None:
    assert clean_summary("A `fast` *app*, 100% [tested](http://x).") == (
        "A fast app, 100 percent tested"
    )
    long = clean_summary("word " * 30)
    assert len(long) <= 79
    assert not long.endswith(" ")


def test_readme_summary_skips_headings_and_takes_the_first_sentence(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Title\n\n![badge](x)\nFirst one. Second one.\nmore\n")
    assert readme_summary(tmp_path) == "![badge](x) First one."
    (tmp_path / "README.md").write_text("# Only a title\n")
    assert readme_summary(tmp_path) is None


def test_license_from_the_file_else_pyproject(tmp_path: Path) -> None:
    assert license_of(tmp_path) == "Proprietary"
    (tmp_path / "pyproject.toml").write_text('[project]\nlicense = "BSD-2-Clause"\n')
    assert license_of(tmp_path) == "BSD-2-Clause"
    (tmp_path / "LICENSE").write_text("                 Apache License\n Version 2.0\n")
    assert license_of(tmp_path) == "Apache-2.0"


def test_render_escapes_strings_for_toml(tmp_path: Path) -> None:
    found = Detected("x", "1", 'say "hi" \\ bye', "MIT", "static-site", static_root="public")
    (tmp_path / "public").mkdir()
    (tmp_path / "rpmkit.toml").write_text(render(found))
    assert config.load(tmp_path).app.summary == 'say "hi" \\ bye'


def test_cli_writes_the_config_without_asking_when_not_on_a_terminal(hello: Path) -> None:
    result = CliRunner().invoke(cli.cli, ["init", str(hello)])
    assert result.exit_code == 0, result.output
    assert f"wrote {hello / 'rpmkit.toml'} (python-web)" in result.output
    assert config.load(hello).app.name == "hello-world"


def test_cli_refuses_to_overwrite_without_force(hello: Path) -> None:
    (hello / "rpmkit.toml").write_text("# mine\n")
    result = CliRunner().invoke(cli.cli, ["init", str(hello)])
    assert isinstance(result.exception, ConfigError)
    assert "already configures this app" in result.exception.message
    assert (hello / "rpmkit.toml").read_text() == "# mine\n"
    result = CliRunner().invoke(cli.cli, ["init", str(hello), "--force"])
    assert result.exit_code == 0, result.output
    assert config.load(hello).app.template == "python-web"


def test_cli_refuses_an_app_configured_in_pyproject(hello: Path) -> None:
    (hello / "pyproject.toml").write_text('[tool.rpmkit]\nname = "x"\n')
    result = CliRunner().invoke(cli.cli, ["init", str(hello), "--force"])
    assert isinstance(result.exception, ConfigError)
    assert "remove [tool.rpmkit] from pyproject.toml" in (result.exception.hint or "")


def test_cli_dry_run_prints_and_writes_nothing(hello: Path) -> None:
    result = CliRunner().invoke(cli.cli, ["init", str(hello), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert 'command = "gunicorn --bind 127.0.0.1:8000 app:app"' in result.output
    assert not (hello / "rpmkit.toml").exists()
