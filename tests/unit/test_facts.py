"""Target facts: every profile's facts load, and every fact names its source."""

from __future__ import annotations

import pytest

from rpmkit import profiles, toml
from rpmkit.errors import ConfigError
from rpmkit.target import facts

TARGETS = ("al2023", "al2")


@pytest.mark.parametrize("name", profiles.names())
def test_every_profile_has_facts_that_load(name: str) -> None:
    loaded = facts.load(name)
    assert loaded.target.startswith("Amazon Linux")
    assert loaded.symbols
    assert loaded.owned
    assert loaded.sysctls
    assert loaded.packages
    assert "/run" in loaded.boot_empty


@pytest.mark.parametrize("name", TARGETS)
def test_every_fact_in_the_file_names_its_source(name: str) -> None:
    data = toml.load(facts.path_for(name))
    tables = [data["boot"]]
    for key in ("symbols", "packages", "owned", "sysctl"):
        tables += data[key]
    for table in tables:
        source = table.get("source", "")
        assert len(source) > 20, table
        # A source says where: a page, a spec, a manual.
        assert any(word in source for word in ("http", ".spec", "Documentation/", "(")), source


def test_offline_uses_the_facts_of_the_target_it_stands_in_for() -> None:
    offline, al2023 = facts.load("offline"), facts.load("al2023")
    assert offline.stand_in
    assert not al2023.stand_in
    assert offline.target == "Amazon Linux 2023"
    assert offline.symbols == al2023.symbols
    assert offline.owned == al2023.owned


def test_the_glibc_facts_are_the_targets_versions() -> None:
    glibc = {name: facts.load(name).symbols_for("libc.so.6", "GLIBC_2.17") for name in TARGETS}
    assert glibc["al2023"] is not None
    assert glibc["al2023"].max == "2.34"
    assert glibc["al2"] is not None
    assert glibc["al2"].max == "2.26"


@pytest.mark.parametrize(
    ("node", "defined"),
    [
        ("GLIBC_2.2.5", True),
        ("GLIBC_2.34", True),
        ("GLIBC_2.35", False),
        ("GLIBC_2.36", False),
        ("GLIBC_PRIVATE", True),
        ("GLIBC_ABI_DT_RELR", False),
        ("GLIBC_2.4", True),  # numerically, not as text: 2.4 < 2.34
    ],
)
def test_symbol_versions_compare_as_numbers(node: str, defined: bool) -> None:
    fact = facts.load("al2023").symbols_for("libc.so.6", node)
    assert fact is not None
    assert fact.defines(node) is defined


def test_the_sysctls_and_the_paths_that_boot_empty_are_the_profiles_boot_settings() -> None:
    for name in profiles.names():
        profile, loaded = profiles.get(name), facts.load(name)
        assert profile.boot.empty == loaded.boot_empty
        assert profile.boot.sysctls == {s.name: s.value for s in loaded.sysctls}
        options = profiles.boot_options(profile, cgroup=1)
        assert options["sysctls"]["net.ipv4.ip_unprivileged_port_start"] == "1024"


def test_a_fact_without_a_source_is_refused() -> None:
    data = {
        "target": "Somewhere",
        "owned": [{"package": "nginx", "paths": ["/etc/nginx/nginx.conf"]}],
    }
    with pytest.raises(ConfigError, match="no source: package = 'nginx'"):
        facts.parse("x", data)


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ({"what": "glibc", "prefix": "GLIBC_", "max": "two", "sonames": ["libc.so.6"],
          "source": "a page about it"}, "dotted number"),
        ({"what": "glibc", "prefix": "GLIBC_", "max": "2.34", "sonames": "libc.so.6",
          "source": "a page about it"}, "list of strings"),
    ],
)  # fmt: skip
def test_malformed_facts_are_refused_with_the_fact_named(
    table: dict[str, object], says: str
) -> None:
    with pytest.raises(ConfigError, match=says):
        facts.parse("x", {"target": "Somewhere", "symbols": [table]})


def test_owner_finds_the_package_that_owns_a_path() -> None:
    al2023 = facts.load("al2023")
    owner = al2023.owner("/etc/nginx/nginx.conf")
    assert owner is not None
    assert owner.package == "nginx-core"
    assert al2023.owner("/etc/nginx/conf.d/app.conf") is None
