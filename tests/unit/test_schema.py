"""`rpmkit schema`: the config schema accepts what rpmkit accepts, and flags typos in editors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from rpmkit import cli, config, schema, toml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EVERY_SECTION = """\
name = "shop"
version = "1.2.3"
release = "2"
summary = "A shop"
license = "MIT"
url = "https://example.invalid/shop"
description = "The shop.\\nTwo lines."
template = "python-web"
init = "systemd"
profile = "offline"
requires = ["libpq"]
build_requires = ["gcc"]
exclude = ["*.log"]

[[services]]
name = "shop-web"
command = "gunicorn app:app"
user = "shop"
working_directory = "/opt/shop/app"
environment = { MODE = "production" }
port = 8000

[nginx]
port = 80
server_name = "shop.example.invalid"

[health_check]
path = "/health"
port = 80
expected_status = 204
load_balancer = { interval = 10, healthy_threshold = 3 }

[[files]]
source = "settings.py"
dest = "/etc/shop/settings.py"
mode = "0640"
owner = "shop"
config = true

[[directories]]
path = "/var/lib/shop"
owner = "shop"

[scripts]

[rpmlint]
accept = [{ check = "zero-length", path = "/opt/shop/app/static/.keep", reason = "upload folder" }]

[bake]
target_profile = "al2023"
max_receipt_age = "7d"

[publish]
repo = "https://repo.example.invalid/shop"

[deploy.environments.prod]
instance_type = "m5.large"
min = 2
max = 6

[scaffold]
protocol = "HTTPS"

[rehearse]
instances = 3
disposable = ["/var/cache/shop"]
"""


def validate(data: dict[str, Any], found: dict[str, Any] | None = None) -> None:
    jsonschema.validate(data, found or schema.config_schema())


def test_the_example_apps_and_a_config_with_every_section_validate(tmp_path: Path) -> None:
    configs = sorted(EXAMPLES.rglob("rpmkit.toml"))
    assert len(configs) >= 2
    for path in configs:
        validate(toml.load(path))
    app = tmp_path / "shop"
    app.mkdir()
    (app / "rpmkit.toml").write_text(EVERY_SECTION)
    (app / "settings.py").write_text("")
    config.load(app)  # rpmkit accepts it ...
    validate(toml.load(app / "rpmkit.toml"))  # ... and so does the schema


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"summry": "typo"}, "summry"),
        ({"template": "python-webb"}, "template"),
        ({"nginx": {"port": "80"}}, "port"),
        ({"health_check": {"expected_status": 999}}, "expected_status"),
        ({"services": [{"command": "x", "prot": 1}]}, "prot"),
        ({"bake": {"max_receipt_age": True}}, "max_receipt_age"),
    ],
)
def test_mistakes_an_editor_should_flag_are_invalid(change: dict[str, Any], key: str) -> None:
    base = toml.load(EXAMPLES / "hello-world" / "rpmkit.toml")
    with pytest.raises(jsonschema.ValidationError) as exc:
        validate({**base, **change})
    assert any(key in part for part in [*map(str, exc.value.absolute_path), exc.value.message])


def test_keys_carry_their_comment_from_the_model_as_description() -> None:
    found = schema.config_schema()
    assert found["$schema"] == schema.DRAFT
    service = found["$defs"]["Service"]["properties"]
    assert "listens" in service["port"]["description"]
    assert "chkconfig" in found["properties"]["init"]["description"]


def test_the_pyproject_schema_checks_only_the_tool_rpmkit_table() -> None:
    wrapper = schema.pyproject_schema()
    app = toml.load(EXAMPLES / "hello-world" / "rpmkit.toml")
    pyproject = {"project": {"name": "x"}, "tool": {"rpmkit": app, "ruff": {"line-length": 1}}}
    jsonschema.validate(pyproject, wrapper)
    pyproject["tool"]["rpmkit"] = {**app, "nginix": {}}
    with pytest.raises(jsonschema.ValidationError, match="nginix"):
        jsonschema.validate(pyproject, wrapper)


def test_the_command_prints_both_schemas() -> None:
    runner = CliRunner()
    report = runner.invoke(cli.cli, ["schema", "report"])
    assert report.exit_code == 0
    assert json.loads(report.output) == json.loads(schema.REPORT_SCHEMA.read_text())
    printed = runner.invoke(cli.cli, ["schema", "config"])
    assert json.loads(printed.output) == schema.config_schema()
    assert runner.invoke(cli.cli, ["schema", "report", "--pyproject"]).exit_code == 2
    assert runner.invoke(cli.cli, ["schema", "cnfig"]).exit_code == 2
