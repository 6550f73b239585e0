"""The app's config: every broken config exits 2 with one `error:` line per problem.

Each case goes through the real entry point (`rpmkit.cli.main`), as a user's
`rpmkit spec APP` would, and checks that the line names the file and the field.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import click
import pytest

from rpmkit import cli, config
from rpmkit.errors import ConfigError

# `rpmkit spec` decides a template's arch from its wheels: fixed here (see conftest).
pytestmark = pytest.mark.usefixtures("fixed_arch")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello-world"

# A valid python-web app, the shape of examples/hello-world; each case breaks it once.
BASE = """\
name = "hello-world"
version = "1.0.0"
summary = "Hello world Flask app behind nginx"
license = "MIT"
description = "Says hello."
template = "python-web"
requirements = "requirements.txt"

[[services]]
command = "gunicorn --bind 127.0.0.1:8000 app:app"
port = 8000
"""


def replaced(old: str, new: str) -> str:
    """BASE with one line changed (or removed, with new="")."""
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def top(lines: str) -> str:
    """BASE with top-level keys added; they must come before the first table."""
    return f"{lines}\n{BASE}"


def service(lines: str) -> str:
    """BASE with keys added to services[0] (the last table in BASE)."""
    return f"{BASE}{lines}\n"


def table(text: str) -> str:
    """BASE with a table or array of tables added at the end."""
    return f"{BASE}\n{text}\n"


def write_app(root: Path, text: str, name: str = "rpmkit.toml") -> Path:
    """An app directory holding the config and the files a valid config needs."""
    app = root / "app"
    app.mkdir()
    (app / name).write_text(text, encoding="utf-8")
    (app / "requirements.txt").write_text("flask==3.1.2\n")
    (app / "app.py").write_text("app = None\n")
    return app


def run_spec(app: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[str]]:
    """`rpmkit spec APP`: its exit code and its stderr lines."""
    with pytest.raises(SystemExit) as exc:
        cli.main(["spec", str(app), *extra])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    code = exc.value.code
    assert isinstance(code, int)
    return code, err.splitlines()


def assert_problems(lines: list[str], source: Path, problems: list[tuple[str, str]]) -> None:
    """Exactly one line per problem, each naming the file and the field."""
    assert len(lines) == len(problems), "\n".join(lines)
    for field, fragment in problems:
        prefix = f"error: {source}: {field}: "
        matching = [line for line in lines if line.startswith(prefix)]
        assert len(matching) == 1, f"no single line starts with {prefix!r}:\n" + "\n".join(lines)
        assert fragment in matching[0]


BROKEN = [
    pytest.param(
        replaced('name = "hello-world"\n', ""),
        [("name", "required field is missing")],
        id="name-missing",
    ),
    pytest.param(
        replaced('license = "MIT"\n', ""),
        [("license", "required field is missing")],
        id="license-missing",
    ),
    pytest.param(
        replaced('version = "1.0.0"', "version = 1"),
        [("version", "valid string")],
        id="version-not-a-string",
    ),
    pytest.param(
        replaced('"1.0.0"', '"1.0-1"'),
        [("version", "'1.0-1' is not a valid RPM version")],
        id="version-with-dash",
    ),
    pytest.param(
        replaced('name = "hello-world"', 'name = "hello world"'),
        [("name", "'hello world' is not a valid RPM name")],
        id="name-with-space",
    ),
    pytest.param(
        replaced('summary = "Hello world Flask app behind nginx"', 'summary = "Hello\\nworld"'),
        [("summary", "must be a single line")],
        id="summary-newline",
    ),
    pytest.param(
        replaced('summary = "Hello world Flask app behind nginx"', 'summary = "   "'),
        [("summary", "must not be empty")],
        id="summary-blank",
    ),
    pytest.param(
        replaced('license = "MIT"', 'license = "MIT %(whoami)"'),
        [("license", "which rpm expands as a macro")],
        id="shell-macro-in-license",
    ),
    pytest.param(
        replaced('description = "Says hello."', 'description = "Installs into %{_bindir}."'),
        [("description", "which rpm expands as a macro")],
        id="macro-in-description",
    ),
    pytest.param(
        replaced('description = "Says hello."', 'description = "Says hello.\\n%post\\nrm -rf /"'),
        [("description", "would open a spec section")],
        id="section-in-description",
    ),
    pytest.param(
        top('url = "https://example.com/%{?dist}"'),
        [("url", "which rpm expands as a macro")],
        id="macro-in-url",
    ),
    pytest.param(
        top('requires = ["nginx", "python3\\n%post"]'),
        [("requires[1]", "must be a single line")],
        id="newline-in-requires",
    ),
    pytest.param(
        replaced('template = "python-web"', 'template = "django"'),
        [("template", "'python-web', 'python-worker' or 'static-site'")],
        id="unknown-template",
    ),
    pytest.param(
        replaced('template = "python-web"', 'template = "python-web"\nspec = "app.spec"'),
        [("(top level)", "set exactly one of 'template'")],
        id="template-and-spec",
    ),
    pytest.param(
        replaced('template = "python-web"\n', ""),
        [("(top level)", "set exactly one of 'template'")],
        id="neither-template-nor-spec",
    ),
    pytest.param(
        replaced('template = "python-web"', 'template = "python-web"\nnginx = 80'),
        [("nginx", "valid dictionary")],
        id="nginx-not-a-table",
    ),
    pytest.param(
        replaced('requirements = "requirements.txt"', 'requirements = "requirements/prod.txt"'),
        [("requirements", "file 'requirements/prod.txt' not found")],
        id="requirements-file-missing",
    ),
    pytest.param(
        replaced('template = "python-web"', 'spec = "hello-world.spec"'),
        [("spec", "file 'hello-world.spec' not found")],
        id="spec-file-missing",
    ),
    pytest.param(
        replaced('template = "python-web"', 'spec = "/root/hello-world.spec"'),
        [("spec", "must be relative to the app directory")],
        id="spec-absolute",
    ),
    pytest.param(
        replaced("port = 8000", "port = 70000"),
        [("services[0].port", "less than or equal to 65535")],
        id="service-port-too-big",
    ),
    pytest.param(
        table("[health_check]\nport = 0"),
        [("health_check.port", "greater than or equal to 1")],
        id="health-check-port-zero",
    ),
    pytest.param(
        table('[health_check]\npath = "health_check"'),
        [("health_check.path", "is not a URL path")],
        id="health-check-path-relative",
    ),
    pytest.param(
        table("[health_check.load_balancer]\nhealthy_threshold = 11"),
        [("health_check.load_balancer.healthy_threshold", "less than or equal to 10")],
        id="load-balancer-threshold",
    ),
    pytest.param(
        service('user = "web;rm -rf /"'),
        [("services[0].user", "is not a valid user name")],
        id="shell-in-service-user",
    ),
    pytest.param(
        service('working_directory = "opt/hello-world"'),
        [("services[0].working_directory", "must be an absolute path")],
        id="relative-working-directory",
    ),
    pytest.param(
        replaced("app:app", "app:app --name %i"),
        [("services[0].command", "which rpm expands as a macro")],
        id="macro-in-service-command",
    ),
    pytest.param(
        replaced("app:app", "app:app --name %%i"),
        [("services[0].command", "which systemd reads as a specifier")],
        id="percent-in-service-command",
    ),
    pytest.param(
        service('environment = { "1LOG-LEVEL" = "info" }'),
        [("services[0].environment.1LOG-LEVEL[key]", "is not an environment variable name")],
        id="bad-environment-name",
    ),
    pytest.param(
        service('environment = { GREETING = "say \\"hi\\"" }'),
        [("services[0]", "environment.GREETING: must not contain")],
        id="quote-in-environment-value",
    ),
    pytest.param(
        service('restart = "always"'),
        [("services[0].restart", "unknown field")],
        id="unknown-service-field",
    ),
    pytest.param(
        top('colour = "blue"'),
        [("colour", "unknown field")],
        id="unknown-top-level-field",
    ),
    pytest.param(
        table('[[files]]\nsource = "app.py"\ndest = "/etc/hello-world/../../etc/shadow"'),
        [("files[0].dest", "must not contain '..'")],
        id="dotdot-in-file-dest",
    ),
    pytest.param(
        table('[[files]]\nsource = "../../etc/shadow"\ndest = "/etc/hello-world/app.py"'),
        [("files[0].source", "must not contain '..'")],
        id="dotdot-in-file-source",
    ),
    pytest.param(
        table('[[files]]\nsource = "app.py"\ndest = "etc/hello-world/app.py"'),
        [("files[0].dest", "must be an absolute path")],
        id="relative-file-dest",
    ),
    pytest.param(
        table('[[files]]\nsource = "app.py"\ndest = "/etc/hello-world/my app.py"'),
        [("files[0].dest", "may only contain")],
        id="space-in-file-dest",
    ),
    pytest.param(
        table('[[files]]\nsource = "app.py"\ndest = "/etc/hello-world/app.py"\nmode = "0999"'),
        [("files[0].mode", "is not an octal file mode")],
        id="bad-file-mode",
    ),
    pytest.param(
        table('[[files]]\nsource = "app.py"\ndest = "/etc/hello-world/app.py"\nmode = 420'),
        [("files[0].mode", "valid string")],
        id="file-mode-as-number",
    ),
    pytest.param(
        table('[[files]]\nsource = "settings.py"\ndest = "/etc/hello-world/settings.py"'),
        [("files[0].source", "file 'settings.py' not found")],
        id="file-source-missing",
    ),
    pytest.param(
        table('[[directories]]\npath = "/var/lib/hello-world"\nowner = "Hello World"'),
        [("directories[0].owner", "is not a valid user name")],
        id="bad-directory-owner",
    ),
    pytest.param(
        table('[scripts]\npost = "echo done\\n%files\\n/etc/shadow"'),
        [("scripts.post", "would open a spec section")],
        id="section-in-scriptlet",
    ),
    pytest.param(
        table('[rpmlint]\nfilters = ["no-documentation"]'),
        [("rpmlint", "'filters' is gone: accept each finding")],
        id="rpmlint-filters-replaced",
    ),
    pytest.param(
        table('[rpmlint]\naccept = [{ check = "zero-length", path = "/opt/x/**" }]'),
        [("rpmlint.accept[0].reason", "required field is missing")],
        id="accept-without-reason",
    ),
    pytest.param(
        table('[rpmlint]\naccept = [{ check = "zero-length", path = "opt/x", reason = "r" }]'),
        [("rpmlint.accept[0].path", "is not an absolute path pattern")],
        id="accept-relative-path",
    ),
    pytest.param(
        table('[rpmlint]\naccept = [{ check = "E: zero-length", path = "/x", reason = "r" }]'),
        [("rpmlint.accept[0].check", "is not an rpmlint check name")],
        id="accept-bad-check",
    ),
    pytest.param(
        top('defines = { "with tests" = "1" }'),
        [("defines['with tests'][key]", "is not an rpm macro name")],
        id="define-bad-name",
    ),
    pytest.param(
        top('defines = { with_tests = "%{lua: os.exit()}" }'),
        [("defines.with_tests", "is not a macro value")],
        id="define-macro-value",
    ),
    pytest.param(
        top('tarball = "../up.tar.gz"'),
        [("tarball", "is not a file name")],
        id="tarball-not-a-file-name",
    ),
    pytest.param(
        table("[python]\nextra_requirements = [\"gunicorn; python_version >= '3'\"]"),
        [("python.extra_requirements[0]", "no single quote")],
        id="extra-requirement-with-a-quote",
    ),
    pytest.param(
        table('[python]\nextra_requirements = ["gunicorn @ gunicorn.whl"]'),
        [("python.extra_requirements[0]", "no URL")],
        id="extra-requirement-url",
    ),
    pytest.param(
        table('[python]\nextra_requirements = ["gunicorn $(reboot)"]'),
        [("python.extra_requirements[0]", "no URL; no single quote")],
        id="extra-requirement-shell",
    ),
    pytest.param(
        table('[python]\nextra_requirements = ["gunicorn >>> 1"]'),
        [("python.extra_requirements[0]", "is not a PEP 508 requirement")],
        id="extra-requirement-not-pep508",
    ),
    # TOML has nan and inf: nan fails every bound, and the message must not be about one.
    pytest.param(
        table("[check]\nsettle = nan"),
        [("check.settle", "must be a number, not 'nan'")],
        id="settle-nan",
    ),
    pytest.param(
        table("[health_check]\ntimeout = -inf\ninterval = inf"),
        [
            ("health_check.interval", "must be a number, not 'inf'"),
            ("health_check.timeout", "must be a number, not '-inf'"),
        ],
        id="seconds-inf",
    ),  # fmt: skip
]


@pytest.mark.parametrize(("text", "problems"), BROKEN)
def test_broken_config_is_one_line_per_problem(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    problems: list[tuple[str, str]],
) -> None:
    app = write_app(tmp_path, text)
    code, lines = run_spec(app, capsys)
    assert code == 2
    assert_problems(lines, app / "rpmkit.toml", problems)


@pytest.mark.parametrize("upstream", ["127.0.0.1:99999", "127.0.0.1:0"])
def test_nginx_upstream_port_out_of_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], upstream: str
) -> None:
    app = write_app(tmp_path, table(f'[nginx]\nupstream = "{upstream}"'))
    code, lines = run_spec(app, capsys)
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {app / 'rpmkit.toml'}: nginx.upstream: ")


def test_several_problems_are_all_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = top('colour = "blue"').replace('version = "1.0.0"', "version = 1")
    text = text.replace("port = 8000", "port = 0") + 'user = "web;rm -rf /"\n'
    app = write_app(tmp_path, text)
    code, lines = run_spec(app, capsys)
    assert code == 2
    assert_problems(
        lines,
        app / "rpmkit.toml",
        [
            ("version", "valid string"),
            ("colour", "unknown field"),
            ("services[0].user", "is not a valid user name"),
            ("services[0].port", "greater than or equal to 1"),
        ],
    )


def test_several_missing_files_are_all_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = replaced('"requirements.txt"', '"requirements/prod.txt"')
    text += '\n[[files]]\nsource = "conf/settings.py"\ndest = "/etc/hello-world/settings.py"\n'
    app = write_app(tmp_path, text)
    code, lines = run_spec(app, capsys)
    assert code == 2
    assert_problems(
        lines,
        app / "rpmkit.toml",
        [
            ("requirements", "file 'requirements/prod.txt' not found"),
            ("files[0].source", "file 'conf/settings.py' not found"),
        ],
    )


def test_toml_syntax_error_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write_app(tmp_path, replaced('summary = "Hello', 'summary = "Hello\n'))
    code, lines = run_spec(app, capsys)
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {app / 'rpmkit.toml'}: not valid TOML: ")
    assert "line 3" in lines[0]


def test_no_config_says_how_to_create_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.py").write_text("app = None\n")
    code, lines = run_spec(tmp_path, capsys)
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {tmp_path}: no rpmkit.toml and no [tool.rpmkit]")
    assert "create rpmkit.toml" in lines[0]
    assert "[tool.rpmkit]" in lines[0]


def test_no_config_hint_names_a_command_that_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, lines = run_spec(tmp_path, capsys)
    named = re.findall(r"`rpmkit ([a-z-]+)", lines[0])
    ctx = click.Context(cli.cli)
    assert [name for name in named if cli.cli.get_command(ctx, name) is None] == []


def test_app_directory_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run_spec(tmp_path / "nowhere", capsys)
    assert code == 2
    assert lines == [f"error: {tmp_path / 'nowhere'}: no such app directory"]


def test_hello_world_example_loads() -> None:
    loaded = config.load(EXAMPLE)
    assert loaded.source == EXAMPLE / "rpmkit.toml"
    assert loaded.app_dir == EXAMPLE.resolve()
    app = loaded.app
    assert (app.name, app.version, app.release) == ("hello-world", "1.0.0", "1")
    assert app.template == "python-web"
    assert app.requirements == "requirements.txt"
    assert [s.port for s in app.services] == [8000]
    assert app.nginx is not None
    assert app.nginx.port == 80
    assert (app.health_check.path, app.health_check.port) == ("/health_check", 80)


def test_hello_world_example_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["spec", str(EXAMPLE)])
    out, err = capsys.readouterr()
    assert exc.value.code == 0, err
    assert re.search(r"^Name:\s+hello-world$", out, re.MULTILINE)


def pyproject(rpmkit_table: str) -> str:
    """A pyproject.toml whose [tool.rpmkit] holds BASE's keys (services as a nested array)."""
    body = rpmkit_table.replace("[[services]]", "[[tool.rpmkit.services]]")
    return f'[project]\nname = "hello-world"\nversion = "1.0.0"\n\n[tool.rpmkit]\n{body}'


def test_pyproject_tool_table_has_the_same_schema(tmp_path: Path) -> None:
    app = write_app(tmp_path, pyproject(BASE), name="pyproject.toml")
    loaded = config.load(app)
    assert loaded.source == app / "pyproject.toml"
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "rpmkit.toml").write_text(BASE)
    shutil.copy(app / "requirements.txt", plain)
    assert loaded.app == config.load(plain).app


def test_pyproject_errors_name_pyproject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = service('user = "web;rm -rf /"').replace("port = 8000", "port = 70000")
    app = write_app(tmp_path, pyproject(broken), name="pyproject.toml")
    code, lines = run_spec(app, capsys)
    assert code == 2
    assert_problems(
        lines,
        app / "pyproject.toml",
        [
            ("services[0].user", "is not a valid user name"),
            ("services[0].port", "less than or equal to 65535"),
        ],
    )


def test_rpmkit_toml_wins_over_pyproject(tmp_path: Path) -> None:
    app = write_app(tmp_path, BASE)
    (app / "pyproject.toml").write_text(pyproject(replaced('"1.0.0"', '"9.9"')))
    loaded = config.load(app)
    assert loaded.source == app / "rpmkit.toml"
    assert loaded.app.version == "1.0.0"


def test_pyproject_without_the_table_is_no_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write_app(tmp_path, '[project]\nname = "hello-world"\n', name="pyproject.toml")
    code, lines = run_spec(app, capsys)
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {app}: no rpmkit.toml and no [tool.rpmkit]")


def test_pyproject_tool_rpmkit_not_a_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write_app(tmp_path, '[tool]\nrpmkit = "yes"\n', name="pyproject.toml")
    code, lines = run_spec(app, capsys)
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {app / 'pyproject.toml'}: ")
    assert "tool.rpmkit" in lines[0]


def test_version_and_release_overrides_apply(tmp_path: Path) -> None:
    app = write_app(tmp_path, BASE)
    loaded = config.load(app, {"version": "2.0", "release": "3"})
    assert (loaded.app.version, loaded.app.release) == ("2.0", "3")
    # The file itself is unchanged: overrides are for this run only.
    assert config.load(app).app.version == "1.0.0"


@pytest.mark.parametrize("field", ["version", "release"])
def test_overrides_are_validated(tmp_path: Path, field: str) -> None:
    app = write_app(tmp_path, BASE)
    with pytest.raises(ConfigError) as exc:
        config.load(app, {field: "1.0-1"})
    (line,) = exc.value.message.splitlines()
    # The bad value came from the command line: the message says so, not the file.
    assert line.startswith(f"--{field}: '1.0-1' is not a valid RPM version")


def test_override_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = write_app(tmp_path, BASE)
    code, lines = run_spec(app, capsys, "--version", "1.0-1")
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: --version: '1.0-1' is not a valid RPM version")
    with pytest.raises(SystemExit) as exc:
        cli.main(["spec", str(app), "--version", "2.0", "--release", "3"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert re.search(r"^Version:\s+2\.0$", out, re.MULTILINE)
    assert re.search(r"^Release:\s+3%\{\?dist\}$", out, re.MULTILINE)


def test_a_config_that_is_not_utf8_or_nested_too_deeply_is_one_line(tmp_path: Path) -> None:
    from rpmkit import toml

    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('summary = "Café"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        toml.load(latin1)
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        toml.load(deep)
