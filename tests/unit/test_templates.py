"""Templates as data: the registry agrees with the config and the spec files."""

from __future__ import annotations

import typing

import pytest

from rpmkit import templates
from rpmkit.config import AppConfig
from rpmkit.errors import ConfigError
from rpmkit.resources import specs_dir


def test_the_registry_names_what_the_config_accepts_and_specs_exist() -> None:
    field = AppConfig.model_fields["template"].annotation
    literal = next(a for a in typing.get_args(field) if typing.get_origin(a) is typing.Literal)
    assert set(typing.get_args(literal)) == set(templates.TEMPLATES)
    for name in templates.TEMPLATES:
        assert (specs_dir() / f"{name}.spec.j2").is_file(), name


def test_records_answer_what_code_used_to_branch_on() -> None:
    web, worker, site = (templates.get(n) for n in ("python-web", "python-worker", "static-site"))
    assert (web.nginx, worker.nginx, site.nginx) == (True, False, True)
    assert (web.serves_http, worker.serves_http, site.serves_http) == (True, False, True)
    assert templates.names(python=True) == ("python-web", "python-worker")
    assert site.always_noarch
    assert not web.always_noarch


def test_an_unknown_template_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown template 'django'") as info:
        templates.get("django")
    assert "python-web" in (info.value.hint or "")
