"""Spec rendering: each template's meaningful lines, hand-written specs, determinism."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import jinja2
import pytest
from click.testing import CliRunner

from rpmkit import cli, config
from rpmkit.build import spec
from rpmkit.errors import ConfigError

# `rpmkit spec` decides a template's arch from its wheels: fixed here (see conftest).
pytestmark = pytest.mark.usefixtures("fixed_arch")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello-world"

# One sample app per template; the integration tests render the same ones.
SAMPLES = {
    "python-web": """
name = "shop"
version = "2.4.1"
release = "3"
summary = "Shop front end"
license = "MIT"
url = "https://shop.example.com"
description = "The shop's web front end.\\nServed by gunicorn behind nginx."
template = "python-web"
requirements = "requirements.txt"
requires = ["tzdata"]
build_requires = ["gzip"]

[[services]]
command = "gunicorn --bind 127.0.0.1:8000 shop.wsgi:app"
port = 8000
environment = { SHOP_ENV = "production", LOG_LEVEL = "info" }

[[services]]
name = "shop-beat"
command = "/usr/bin/env python3 -m shop.beat"
user = "beat"
working_directory = "/var/lib/shop"
enabled = false

[nginx]
port = 8080
server_name = "shop.example.com"

[[files]]
source = "conf/shop.ini"
dest = "/etc/shop/shop.ini"
mode = "0640"
group = "shop"
config = true

[[files]]
source = "bin/shopctl"
dest = "/usr/bin/shopctl"
mode = "0755"

[[directories]]
path = "/var/lib/shop"
owner = "shop"
group = "shop"
mode = "0750"

[scripts]
pre = "echo pre-hook $1"
post = "echo post-hook $1"
preun = "echo preun-hook $1"
postun = "echo postun-hook $1"
""",
    "python-worker": """
name = "queue-worker"
version = "0.3.0"
summary = "Queue worker"
license = "Apache-2.0"
template = "python-worker"

[[services]]
command = "python3 -m worker"

[[services]]
command = "celery -A worker beat"
enabled = false
""",
    "static-site": """
name = "docs-site"
version = "2.1"
summary = "Product docs"
license = "CC-BY-4.0"
template = "static-site"
static_root = "site"
""",
}

HAND_WRITTEN = """\
Name: legacy
Version: 1.0
Release: 1
Summary: An app with its own spec
License: MIT
BuildArch: noarch
%description
Built as written.
%files
"""


def write_app(directory: Path, template: str) -> Path:
    """An app directory for one of SAMPLES, with the files its config names."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rpmkit.toml").write_text(SAMPLES[template])
    (directory / "requirements.txt").write_text("flask==3.1.2\n")
    (directory / "conf").mkdir(exist_ok=True)
    (directory / "conf" / "shop.ini").write_text("[shop]\n")
    (directory / "bin").mkdir(exist_ok=True)
    (directory / "bin" / "shopctl").write_text("#!/bin/sh\n")
    (directory / "site").mkdir(exist_ok=True)
    (directory / "site" / "index.html").write_text("<h1>docs</h1>\n")
    (directory / "LICENSE").write_text("MIT\n")
    return directory


def render(app_dir: Path, **overrides: str) -> spec.Spec:
    return spec.render(config.load(app_dir, overrides or None))


def section(text: str, name: str) -> str:
    """The body of one spec section (%pre, %post, ...), up to the next section."""
    match = re.search(rf"^{re.escape(name)}\n(.*?)(?=^%[a-z]+\n|\Z)", text, re.M | re.S)
    assert match, f"no {name} section"
    return match.group(1)


def heredoc(text: str, path: str) -> str:
    """What %install writes into `path` with a here-document."""
    match = re.search(rf"cat > {re.escape(path)} <<'(\w+)'\n(.*?)^\1$", text, re.M | re.S)
    assert match, f"nothing written to {path}"
    return match.group(2)


@pytest.fixture
def web(tmp_path: Path) -> spec.Spec:
    return render(write_app(tmp_path / "shop", "python-web"))


@pytest.fixture
def worker(tmp_path: Path) -> spec.Spec:
    return render(write_app(tmp_path / "worker", "python-worker"))


@pytest.fixture
def site(tmp_path: Path) -> spec.Spec:
    return render(write_app(tmp_path / "site", "static-site"))


def lines(text: str) -> list[str]:
    return text.splitlines()


# python-web


def test_web_preamble(web: spec.Spec) -> None:
    got = lines(web.text)
    for line in [
        "Name:           shop",
        "Version:        2.4.1",
        "Release:        3%{?dist}",
        "Summary:        Shop front end",
        "License:        MIT",
        "URL:            https://shop.example.com",
        "Source0:        shop-2.4.1.tar.gz",
        "Source1:        shop-2.4.1-wheels.tar",
        "BuildRequires:  python3",
        "BuildRequires:  gzip",
        "Requires(pre):  shadow-utils",
        "%{?systemd_requires}",
        "Requires:       nginx",
        "Requires:       python3",
        "Requires:       systemd",
        "Requires:       tzdata",
        "Requires:       python(abi) = %{venv_python_abi}",
        "%global debug_package %{nil}",
        "%global __brp_mangle_shebangs %{nil}",
        "%define _build_id_links none",
    ]:
        assert line in got, line
    assert "BuildArch:" not in web.text
    assert section(web.text, "%description") == (
        "The shop's web front end.\nServed by gunicorn behind nginx.\n\n"
    )
    assert (web.name, web.version, web.release) == ("shop", "2.4.1", "3")
    assert web.template == "python-web"
    assert web.sources == ("shop-2.4.1.tar.gz", "shop-2.4.1-wheels.tar")
    assert web.arch == spec.build_arch() != "noarch"


def test_web_installs_the_app_and_a_relocated_venv_without_network(web: spec.Spec) -> None:
    prep = section(web.text, "%prep")
    assert "%setup -q" in prep
    assert "tar -xf %{SOURCE1} -C %{wheelhouse}" in prep
    install = section(web.text, "%install")
    assert "tar -xzf %{SOURCE0} -C %{buildroot}/opt/shop/app --strip-components=1" in install
    assert "/usr/bin/python3 -m venv %{buildroot}/opt/shop/venv\n" in install
    pip = re.search(r"venv/bin/python3 -m pip install (.*?)\n(?!\s)", install, re.S)
    assert pip
    args = pip.group(1).split()
    assert {"--no-index", "--no-compile", "--isolated"} <= set(args)
    assert args[args.index("--find-links") + 1] == "%{wheelhouse}"
    # The flattened, checked requirements stored with the wheels, not the app's own file.
    assert args[args.index("--requirement") + 1] == "%{wheelhouse}/requirements.txt"
    # The buildroot prefix goes from scripts and pyvenv.cfg; .pyc files name the final paths.
    assert "sed -i 's|%{buildroot}||g' %{buildroot}/opt/shop/venv/pyvenv.cfg" in install
    assert "-d /opt/shop/venv %{buildroot}/opt/shop/venv" in install
    assert "-d /opt/shop/app %{buildroot}/opt/shop/app" in install
    assert "--invalidation-mode checked-hash" in install
    assert "if grep -rlF %{buildroot} %{buildroot}/opt/shop; then" in install


def test_web_unit_files(web: spec.Spec) -> None:
    unit = heredoc(web.text, "%{buildroot}%{_unitdir}/shop.service")
    assert "Description=Shop front end (shop)\n" in unit
    assert "User=shop\nGroup=shop\n" in unit
    assert "WorkingDirectory=/opt/shop/app\n" in unit
    assert 'Environment="LOG_LEVEL=info"\nEnvironment="SHOP_ENV=production"\n' in unit
    # A bare command is the venv's.
    assert "ExecStart=/opt/shop/venv/bin/gunicorn --bind 127.0.0.1:8000 shop.wsgi:app\n" in unit
    assert "Restart=on-failure\n" in unit
    assert "[Install]\nWantedBy=multi-user.target\n" in unit

    beat = heredoc(web.text, "%{buildroot}%{_unitdir}/shop-beat.service")
    assert "ExecStart=/usr/bin/env python3 -m shop.beat\n" in beat
    assert "User=beat\nGroup=beat\n" in beat
    assert "WorkingDirectory=/var/lib/shop\n" in beat
    assert web.units == ("shop.service", "shop-beat.service")


def test_web_preset_enables_the_service_and_nginx(web: spec.Spec) -> None:
    preset = heredoc(web.text, "%{buildroot}%{_presetdir}/50-shop.preset")
    assert preset.splitlines() == [
        "enable shop.service",
        "enable nginx.service",
        "disable shop-beat.service",
    ]
    assert web.enabled_units == ("shop.service", "nginx.service")


def test_web_nginx_conf(web: spec.Spec) -> None:
    conf = heredoc(web.text, "%{buildroot}%{_sysconfdir}/nginx/conf.d/shop.conf")
    assert "    listen 8080 default_server;\n" in conf
    assert "    server_name shop.example.com;\n" in conf
    assert "        proxy_pass http://127.0.0.1:8000;\n" in conf


def test_web_upstream_from_config(tmp_path: Path) -> None:
    app = write_app(tmp_path / "shop", "python-web")
    toml = (app / "rpmkit.toml").read_text()
    (app / "rpmkit.toml").write_text(
        toml.replace('server_name = "shop.example.com"', 'upstream = "127.0.0.1:9000"')
    )
    conf = heredoc(render(app).text, "%{buildroot}%{_sysconfdir}/nginx/conf.d/shop.conf")
    assert "proxy_pass http://127.0.0.1:9000;" in conf


def test_web_files(web: spec.Spec) -> None:
    files = lines(section(web.text, "%files"))
    for line in [
        "%license LICENSE",
        "%dir /opt/shop",
        "/opt/shop/app",
        "/opt/shop/venv",
        "%{_unitdir}/shop.service",
        "%{_unitdir}/shop-beat.service",
        "%{_presetdir}/50-shop.preset",
        "%config(noreplace) %{_sysconfdir}/nginx/conf.d/shop.conf",
        "%config(noreplace) %attr(0640,root,shop) /etc/shop/shop.ini",
        "%attr(0755,root,root) /usr/bin/shopctl",
        "%dir %attr(0750,shop,shop) /var/lib/shop",
    ]:
        assert line in files, line
    install = section(web.text, "%install")
    assert "install -D -p -m 0640 conf/shop.ini %{buildroot}/etc/shop/shop.ini" in install
    assert "install -d -m 0750 %{buildroot}/var/lib/shop" in install


def test_web_pre_creates_each_service_user(web: spec.Spec) -> None:
    pre = section(web.text, "%pre")
    for user in ("shop", "beat"):
        assert f"getent group {user} >/dev/null || groupadd -r {user}\n" in pre
        assert f"getent passwd {user} >/dev/null || \\\n    useradd -r -g {user} " in pre
        assert f'-d /opt/shop -s /sbin/nologin -c "shop service" {user}\n' in pre
    assert pre.rstrip().endswith("echo pre-hook $1")


def test_web_scriptlets(web: spec.Spec) -> None:
    post = section(web.text, "%post")
    assert post.startswith("%systemd_post shop.service nginx.service shop-beat.service\n")
    assert "systemctl reload-or-try-restart nginx.service" in post
    assert post.rstrip().endswith("echo post-hook $1")

    preun = section(web.text, "%preun")
    assert preun.startswith("%systemd_preun shop.service shop-beat.service\n")
    assert "nginx" not in preun  # erasing the app never stops nginx
    assert preun.rstrip().endswith("echo preun-hook $1")

    postun = section(web.text, "%postun")
    assert postun.startswith("%systemd_postun_with_restart shop.service shop-beat.service\n")
    # nginx drops the site on erase only; nothing is removed on upgrade.
    assert (
        "if [ $1 -eq 0 ]; then\n"
        "    systemctl reload-or-try-restart nginx.service >/dev/null 2>&1 || :\nfi\n"
    ) in postun
    assert "rm " not in postun
    assert postun.rstrip().endswith("echo postun-hook $1")


def test_changelog_is_fixed(web: spec.Spec) -> None:
    assert section(web.text, "%changelog") == (
        "* Thu Jan 01 2026 rpmkit <rpmkit@localhost> - 2.4.1-3\n"
        "- Packaged by rpmkit from rpmkit.toml\n"
    )


# python-worker


def test_worker(worker: spec.Spec) -> None:
    text = worker.text
    assert "nginx" not in text
    assert worker.sources == ("queue-worker-0.3.0.tar.gz",)  # no requirements, no wheels
    assert "Source1" not in text
    assert "%{wheelhouse}" not in text
    assert "/usr/bin/python3 -m venv --without-pip %{buildroot}/opt/queue-worker/venv" in text
    assert "Requires:       python3" in lines(text)
    first = heredoc(text, "%{buildroot}%{_unitdir}/queue-worker.service")
    assert "ExecStart=/opt/queue-worker/venv/bin/python3 -m worker\n" in first
    second = heredoc(text, "%{buildroot}%{_unitdir}/queue-worker-2.service")
    assert "ExecStart=/opt/queue-worker/venv/bin/celery -A worker beat\n" in second
    assert "User=queue-worker\n" in second
    preset = heredoc(text, "%{buildroot}%{_presetdir}/50-queue-worker.preset")
    assert preset == "enable queue-worker.service\ndisable queue-worker-2.service\n"
    assert worker.enabled_units == ("queue-worker.service",)
    assert "%systemd_preun queue-worker.service queue-worker-2.service" in text
    assert "%pre\ngetent group queue-worker" in text


# static-site


def test_static_site(site: spec.Spec) -> None:
    text = site.text
    assert site.arch == "noarch"
    assert "BuildArch:      noarch" in lines(text)
    # No template compiles anything: never a debuginfo package.
    assert "%global debug_package %{nil}" in lines(text)
    assert "venv" not in text
    assert "Requires(pre)" not in text
    assert "%pre\n" not in text
    assert "cp -a site/. %{buildroot}%{_datadir}/docs-site/" in text
    conf = heredoc(text, "%{buildroot}%{_sysconfdir}/nginx/conf.d/docs-site.conf")
    assert "    listen 80 default_server;\n" in conf
    assert "    root %{_datadir}/docs-site;\n" in conf
    # No file in the site answers the health check: nginx does.
    assert "    location = /health_check {\n" in conf
    preset = heredoc(text, "%{buildroot}%{_presetdir}/50-docs-site.preset")
    assert preset == "enable nginx.service\n"
    assert section(text, "%post").startswith("%systemd_post nginx.service\n")
    assert "if [ $1 -eq 0 ]; then" in section(text, "%postun")
    files = lines(section(text, "%files"))
    assert "%{_datadir}/docs-site" in files
    assert "%config(noreplace) %{_sysconfdir}/nginx/conf.d/docs-site.conf" in files


def test_static_site_health_check_file_is_served_as_it_is(tmp_path: Path) -> None:
    app = write_app(tmp_path / "site", "static-site")
    (app / "site" / "health_check").write_text("ok\n")
    assert "location = /health_check" not in render(app).text


# hand-written spec, overrides, determinism


def test_hand_written_spec_passes_through_unchanged(tmp_path: Path) -> None:
    app = tmp_path / "legacy"
    app.mkdir()
    (app / "legacy.spec").write_text(HAND_WRITTEN)
    (app / "rpmkit.toml").write_text(
        'name = "legacy"\nversion = "1.0"\nsummary = "x"\nlicense = "MIT"\nspec = "legacy.spec"\n'
    )
    rendered = render(app)
    assert rendered.text == HAND_WRITTEN
    assert rendered.sources == ("legacy-1.0.tar.gz",)
    assert rendered.arch == "noarch"
    assert rendered.template is None


def test_overrides_reach_the_spec(tmp_path: Path) -> None:
    rendered = render(write_app(tmp_path / "shop", "python-web"), version="2.5.0", release="7")
    assert "Version:        2.5.0" in lines(rendered.text)
    assert "Release:        7%{?dist}" in lines(rendered.text)
    assert rendered.sources == ("shop-2.5.0.tar.gz", "shop-2.5.0-wheels.tar")


@pytest.mark.parametrize("template", sorted(SAMPLES))
def test_rendering_is_deterministic(tmp_path: Path, template: str) -> None:
    first = render(write_app(tmp_path / "a", template))
    again = render(write_app(tmp_path / "a", template))
    # The same app elsewhere renders the same spec: no path or time leaks in.
    moved = render(write_app(tmp_path / "elsewhere" / "b", template))
    assert first == again
    assert first.text == moved.text


def test_strict_undefined_catches_a_template_bug(tmp_path: Path) -> None:
    (tmp_path / "bad.spec.j2").write_text("Name: {{ name }}\nVersion: {{ verison }}\n")
    template = spec.environment(tmp_path).get_template("bad.spec.j2")
    with pytest.raises(jinja2.UndefinedError, match="verison"):
        template.render(name="x", version="1")


def test_no_template_leaves_an_unrendered_tag(web: spec.Spec, worker: spec.Spec) -> None:
    for rendered in (web, worker):
        assert "{{" not in rendered.text
        assert "{%" not in rendered.text


# the values that reach unit files


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("gunicorn app:app", "/opt/x/venv/bin/gunicorn app:app"),
        ("  python3   -m worker", "/opt/x/venv/bin/python3 -m worker"),
        ("/usr/bin/env python3 x.py", "/usr/bin/env python3 x.py"),
        ("bin/run", "bin/run"),
    ],
)
def test_exec_start(command: str, expected: str) -> None:
    assert spec.exec_start(command, "/opt/x/venv") == expected


@pytest.mark.parametrize(
    ("service", "field"),
    [
        ('command = "gunicorn --bind 127.0.0.1:%%i app:app"', "command"),
        ('command = "run"\nenvironment = { RATE = "50%%" }', "environment.RATE"),
    ],
)
def test_percent_never_reaches_a_unit_file(tmp_path: Path, service: str, field: str) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "rpmkit.toml").write_text(
        'name = "app"\nversion = "1"\nsummary = "x"\nlicense = "MIT"\n'
        f'template = "python-worker"\n[[services]]\n{service}\n'
    )
    with pytest.raises(ConfigError, match=f"services\\[0\\].{field}: .*specifier"):
        config.load(app)


def test_summary_percent_stays_literal_in_the_unit_description(tmp_path: Path) -> None:
    app = write_app(tmp_path / "w", "python-worker")
    toml = (app / "rpmkit.toml").read_text()
    (app / "rpmkit.toml").write_text(toml.replace('"Queue worker"', '"Queue worker at 100%%"'))
    unit = heredoc(render(app).text, "%{buildroot}%{_unitdir}/queue-worker.service")
    # rpm makes this "100%%", which systemd shows as "100%".
    assert "Description=Queue worker at 100%%%% (queue-worker)\n" in unit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("port = 8000\n", ""), "needs a \\[\\[services\\]\\] port, or nginx.upstream"),
        (('name = "shop-beat"', 'name = "shop"'), "unit name 'shop' is invalid or already taken"),
        (('name = "shop"', 'name = "Shop"'), "not a valid user name; set services\\[0\\].user"),
    ],
)
def test_config_rejects_what_the_units_cannot_hold(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    app = write_app(tmp_path / "shop", "python-web")
    toml = (app / "rpmkit.toml").read_text()
    (app / "rpmkit.toml").write_text(toml.replace(*edit, 1))
    with pytest.raises(ConfigError, match=message):
        config.load(app)


def test_static_site_runs_no_services(tmp_path: Path) -> None:
    app = write_app(tmp_path / "site", "static-site")
    with (app / "rpmkit.toml").open("a") as fh:
        fh.write('[[services]]\ncommand = "run"\n')
    with pytest.raises(ConfigError, match="static-site is served by nginx"):
        config.load(app)
    shutil.rmtree(app / "site")
    (app / "rpmkit.toml").write_text(SAMPLES["static-site"])
    with pytest.raises(ConfigError, match="static_root: folder 'site' not found"):
        config.load(app)


# the example and the command


def test_hello_world_example() -> None:
    rendered = render(EXAMPLE)
    unit = heredoc(rendered.text, "%{buildroot}%{_unitdir}/hello-world.service")
    assert (
        "ExecStart=/opt/hello-world/venv/bin/gunicorn --bind 127.0.0.1:8000 --workers 2 app:app"
        in unit
    )
    conf = heredoc(rendered.text, "%{buildroot}%{_sysconfdir}/nginx/conf.d/hello-world.conf")
    assert "listen 80 default_server;" in conf
    assert "proxy_pass http://127.0.0.1:8000;" in conf
    assert "%license LICENSE" in rendered.text
    assert rendered.sources == ("hello-world-1.0.0.tar.gz", "hello-world-1.0.0-wheels.tar")
    pins = (EXAMPLE / "requirements.txt").read_text().split()
    assert [p.split("==")[0] for p in pins] == ["flask", "gunicorn"]


def test_cli_prints_the_spec(fixed_arch: list[str]) -> None:
    result = CliRunner().invoke(cli.cli, ["spec", str(EXAMPLE), "--release", "5"])
    assert result.exit_code == 0, result.output
    loaded = config.load(EXAMPLE, {"release": "5"})
    assert result.output == spec.render(loaded, "x86_64").text
    assert fixed_arch == ["hello-world"]


def test_cli_writes_the_spec(tmp_path: Path) -> None:
    out = tmp_path / "hello-world.spec"
    result = CliRunner().invoke(cli.cli, ["-q", "spec", str(EXAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert out.read_text() == render(EXAMPLE).text


def test_cli_config_error_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["spec", str(EXAMPLE), "--version", "1.0-1"])
    assert exit_info.value.code == 2
    assert "version" in capsys.readouterr().err


@pytest.mark.parametrize("template", ["python-web", "python-worker"])
def test_python_templates_build_noarch_when_the_payload_says_so(
    tmp_path: Path, template: str
) -> None:
    loaded = config.load(write_app(tmp_path / "a", template))
    noarch = spec.render(loaded, "noarch")
    assert noarch.arch == "noarch"
    assert "BuildArch:      noarch" in lines(noarch.text)
    assert "%global debug_package %{nil}" in lines(noarch.text)
    compiled = spec.render(loaded, "x86_64")
    assert compiled.arch == "x86_64"
    assert "BuildArch" not in compiled.text
    # Only the arch lines differ.
    assert [x for x in noarch.text.splitlines() if x not in compiled.text.splitlines()] == [
        "# noarch: rpmkit found no compiled code in the payload (the wheels, the app's files).",
        "BuildArch:      noarch",
    ]


def test_extra_requirements_alone_make_a_venv_from_wheels(tmp_path: Path) -> None:
    app = write_app(tmp_path / "worker", "python-worker")
    (app / "rpmkit.toml").write_text(
        SAMPLES["python-worker"] + '\n[python]\nextra_requirements = ["gunicorn"]\n'
    )
    rendered = render(app)
    # No requirements file: the wheels (Source1) and the flattened list still come.
    assert rendered.sources == ("queue-worker-0.3.0.tar.gz", "queue-worker-0.3.0-wheels.tar")
    assert "tar -xf %{SOURCE1} -C %{wheelhouse}" in rendered.text
    install = section(rendered.text, "%install")
    assert "--requirement %{wheelhouse}/requirements.txt" in install
    assert "--without-pip" not in install


def test_extra_requirements_need_a_python_template(tmp_path: Path) -> None:
    app = write_app(tmp_path / "site", "static-site")
    (app / "rpmkit.toml").write_text(
        SAMPLES["static-site"] + '\n[python]\nextra_requirements = ["gunicorn"]\n'
    )
    with pytest.raises(ConfigError, match="only the python-web and python-worker templates"):
        config.load(app)
