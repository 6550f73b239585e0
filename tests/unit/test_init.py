"""`rpmkit init`: what it finds in an app folder, the rpmkit.toml it writes, what it refuses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rpmkit import cli, config
from rpmkit.errors import ConfigError
from rpmkit.init import Detected, detect, render, validate
from tests.init_corpus import KINDS, write_django

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello-world"


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    """hello-world without its rpmkit.toml."""
    app = tmp_path / "hello-world"
    shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    (app / "rpmkit.toml").unlink()
    return app


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_corpus_app_config(tmp_path: Path, kind: str) -> None:
    write, expected = KINDS[kind]
    app_dir = write(tmp_path / kind)
    (app_dir / "rpmkit.toml").write_text(render(detect(app_dir)))
    app = config.load(app_dir).app
    assert [(s.command, s.port) for s in app.services] == [(expected.command, expected.port)]
    assert app.nginx is not None
    assert app.nginx.upstream is None  # nginx proxies to 127.0.0.1:<the service's port>
    assert (app.health_check.path, app.health_check.port) == (expected.health, 80)
    assert tuple(app.python.extra_requirements) == expected.extra
    assert (app.license, app.summary) == (expected.license, expected.summary)


def test_hello_world(hello: Path) -> None:
    found = detect(hello)
    assert (found.name, found.template, found.requirements) == (
        "hello-world",
        "python-web",
        "requirements.txt",
    )
    assert found.command == "gunicorn --bind 127.0.0.1:8000 app:app"
    assert (found.health_path, found.license, found.extra_requirements) == (
        "/health_check",
        "MIT",
        (),
    )
    assert found.notes == ()
    assert found.said == ("app.py: Flask `app` (app:app)",)


def test_comments_say_where_traffic_goes(tmp_path: Path) -> None:
    write, _ = KINDS["wsgi-plain"]
    text = render(detect(write(tmp_path / "w")))

    def comment(table: str) -> str:
        block = text.split(f"{table}\n", 1)[1].split("\n\n", 1)[0]
        return " ".join(line[2:] for line in block.splitlines() if line.startswith("# "))

    # nginx listens on the public port and proxies to the service's loopback port.
    assert comment("[nginx]") == (
        "nginx listens on port 80, where the load balancer sends requests, and proxies "
        "each one to the service on 127.0.0.1:8085."
    )
    assert comment("[[services]]") == (
        "gunicorn serves the WSGI function `application` of app.py on 127.0.0.1:8085 "
        "(the bind in gunicorn.conf.py)."
    )
    assert '# from the text of LICENSE\nlicense = "MIT"' in text


def test_a_missing_server_is_added_and_said(tmp_path: Path) -> None:
    write, _ = KINDS["bottle-app"]
    app_dir = write(tmp_path / "b")
    requirements = (app_dir / "requirements.txt").read_text()
    found = detect(app_dir)
    assert found.extra_requirements == ("gunicorn",)
    assert any("no gunicorn; added to [python] extra_requirements" in s for s in found.said)
    assert "[python]\n# requirements.txt does not list gunicorn" in render(found)
    assert (app_dir / "requirements.txt").read_text() == requirements  # never edited


def test_an_app_without_requirements_file(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def application(environ, start_response):\n    return []\n")
    found = detect(tmp_path)
    assert (found.requirements, found.extra_requirements) == (None, ("gunicorn",))
    validate(render(found))
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    with pytest.raises(ConfigError, match="no requirements.txt, and app.py needs flask"):
        detect(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["flask"]\n')
    with pytest.raises(ConfigError, match="pyproject.toml lists dependencies but there is no"):
        detect(tmp_path)


def test_a_framework_the_requirements_do_not_name_is_a_note(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (tmp_path / "requirements.txt").write_text("flask-restx\ngunicorn\n")
    found = detect(tmp_path)
    assert any("requirements.txt does not name flask" in n for n in found.notes)
    assert any("no /health_check, /health, /healthz or / route seen" in n for n in found.notes)
    assert found.health_path == "/"


def test_a_config_it_knows_fails_is_refused_naming_each_cause(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (tmp_path / "requirements.txt").write_text("flask\ngunicorn\n")
    (tmp_path / "gunicorn.conf.py").write_text('daemon = True\nerrorlog = "/var/log/g.log"\n')
    with pytest.raises(ConfigError) as info:
        detect(tmp_path)
    lines = info.value.message.splitlines()
    assert len(lines) == 2
    assert "daemon = True" in lines[0]
    assert "errorlog = '/var/log/g.log'" in lines[1]


def test_bottle_default_app_without_a_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from bottle import route, run\n@route('/')\ndef index():\n    return 'hi'\n"
    )
    with pytest.raises(ConfigError) as info:
        detect(tmp_path)
    assert "routes on bottle's default app" in info.value.message
    assert "add `app = bottle.default_app()`" in (info.value.hint or "")


def test_a_script_that_serves_http_itself(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        '"""Tiny stdlib web app: 200 on / and /health_check. More here."""\n'
        "import http.server\n\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200 if self.path in ('/', '/health_check') else 404)\n\n"
        "http.server.ThreadingHTTPServer(('127.0.0.1', 8010), H).serve_forever()\n"
    )
    found = detect(tmp_path)
    assert (found.template, found.command, found.port) == ("python-web", "python app.py", 8010)
    assert found.health_path == "/health_check"
    assert found.summary == "Tiny stdlib web app: 200 on / and /health_check"
    validate(render(found))


def test_summary_too_long_is_not_cut(tmp_path: Path) -> None:
    sentence = "This app " + "does a great many useful things " * 3 + "for everyone."
    (tmp_path / "README.md").write_text(f"{sentence} Short one.\n")
    (tmp_path / "app.py").write_text("def application(environ, start_response):\n    return []\n")
    found = detect(tmp_path)
    assert found.summary == "Python web application"  # never the name again
    assert any("longer than 79 characters" in n for n in found.notes)


def test_django_settings_the_load_balancer_trips_on(tmp_path: Path) -> None:
    found = detect(write_django(tmp_path / "ok"))
    assert any("DEBUG = True (its / answers only while DEBUG is on)" in n for n in found.notes)
    # startproject's empty list, or one without '*', fails every health check.
    for hosts in ("[]", "['127.0.0.1', 'localhost']"):
        with pytest.raises(ConfigError) as info:
            detect(write_django(tmp_path / f"refused{len(hosts)}", hosts))
        assert info.value.message.startswith(f"mysite/settings.py: ALLOWED_HOSTS = {hosts}")
        assert "Django answers 400 to the load balancer's health check" in info.value.message
    # A list the module changes later is not judged.
    later = write_django(tmp_path / "later", "[]")
    settings = later / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + "ALLOWED_HOSTS.append(instance_ip())\n")
    assert detect(later).command


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
    with pytest.raises(ConfigError, match="found no WSGI or ASGI app"):
        detect(tmp_path)


def test_render_escapes_strings_for_toml(tmp_path: Path) -> None:
    found = Detected("x", "1", 'say "hi" \\ bye', "MIT", "static-site", static_root="public")
    (tmp_path / "public").mkdir()
    (tmp_path / "rpmkit.toml").write_text(render(found))
    assert config.load(tmp_path).app.summary == 'say "hi" \\ bye'


def test_cli_says_what_it_found_and_writes(tmp_path: Path) -> None:
    write, _ = KINDS["bottle-app"]
    app_dir = write(tmp_path / "b")
    result = CliRunner().invoke(cli.cli, ["init", str(app_dir), "--yes"])
    assert result.exit_code == 0, result.output
    assert "found: app.py: bottle `app` (app:app)" in result.output
    assert "added to [python] extra_requirements" in result.output
    assert "warning: license: no LICENSE file" in result.output
    assert f"wrote {app_dir / 'rpmkit.toml'} (python-web)" in result.output


def test_cli_refusal_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "gunicorn.conf.py").write_text("daemon = True\n")
    with pytest.raises(SystemExit) as exc:
        cli.main(["init", str(tmp_path), "--yes"])
    assert exc.value.code == 2
    assert not (tmp_path / "rpmkit.toml").exists()


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


def _script(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def test_app_scripts_rpmlint_fails_on_are_accepted_with_their_reason(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def application(environ, start_response):\n    return []\n")
    _script(tmp_path / "manage.py", "#!/usr/bin/env python\nimport sys\n", 0o755)
    _script(tmp_path / "tools/seed.py", "#!/usr/bin/python3\nprint(1)\n", 0o644)
    _script(tmp_path / "bin/deploy.sh", "#!/usr/bin/env bash\necho\n", 0o755)
    _script(tmp_path / "bin/ok.sh", "#!/bin/sh\necho\n", 0o755)  # nothing rpmlint minds
    _script(tmp_path / "ignored/x.py", "#!/usr/bin/env python\n", 0o755)
    (tmp_path / ".gitignore").write_text("ignored/\n")
    found = detect(tmp_path)
    accepted = {(a.check, a.path) for a in found.accepts}
    assert accepted == {
        ("env-script-interpreter", f"/opt/{found.name}/app/manage.py"),
        ("non-executable-script", f"/opt/{found.name}/app/tools/seed.py"),
        ("env-script-interpreter", f"/opt/{found.name}/app/bin/deploy.sh"),
    }
    reasons = {a.path.rsplit("/", 1)[1]: a.reason for a in found.accepts}
    assert f"run as `/opt/{found.name}/venv/bin/python manage.py`" in reasons["manage.py"]
    assert "finds the system's bash on PATH" in reasons["deploy.sh"]
    (tmp_path / "rpmkit.toml").write_text(render(found))
    rules = config.load(tmp_path).app.rpmlint.accept
    assert {(r.check, r.path) for r in rules} == accepted


def test_a_script_that_would_run_the_system_python_is_refused(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def application(environ, start_response):\n    return []\n")
    _script(tmp_path / "bin/migrate", "#!/usr/bin/env python3\nimport app\n", 0o755)
    with pytest.raises(ConfigError) as info:
        detect(tmp_path)
    assert info.value.message.startswith("bin/migrate: `#!/usr/bin/env python3` would run the")
    assert info.value.message.endswith("/venv/bin/python3`, or exclude it")


def test_a_variable_read_at_import_without_default(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\ngunicorn\n")
    app = (
        "import os\nfrom flask import Flask\n"
        "PORT = int(os.environ['PORT'])\n"
        "app = Flask(__name__)\n"
        "app.config['DEBUG'] = os.environ.get('DEBUG', '')\n"
        "if 'SENTRY_DSN' in os.environ:\n    DSN = os.environ['SENTRY_DSN']\n"
        "def view():\n    return os.environ['ONLY_WHEN_CALLED']\n"
    )
    (tmp_path / "app.py").write_text(app)
    found = detect(tmp_path)  # PORT is the service's own; the others are guarded
    assert found.environment == (("PORT", "8000"),)
    assert "app.py reads $PORT: the unit sets it to 8000" in found.said
    (tmp_path / "rpmkit.toml").write_text(render(found))
    assert config.load(tmp_path).app.services[0].environment == {"PORT": "8000"}
    (tmp_path / "app.py").write_text(app + "SECRET = os.environ['SECRET_KEY']\n")
    with pytest.raises(ConfigError) as info:
        detect(tmp_path)
    assert info.value.message.startswith(
        "app.py reads os.environ['SECRET_KEY'] when it is imported, and the service's unit"
    )


def test_django_settings_read_at_import(tmp_path: Path) -> None:
    write, _ = KINDS["django-site"]
    site = write(tmp_path / "d")
    settings = site / "mysite" / "settings.py"
    settings.write_text(
        settings.read_text() + "\nimport os\nDATABASE_URL = os.environ['DATABASE_URL']\n"
    )
    with pytest.raises(ConfigError, match=r"mysite/settings.py reads os.environ\['DATABASE_URL'\]"):
        detect(site)
