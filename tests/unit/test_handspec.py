"""A hand-written spec as rpm reads it: NEVRA, its Sources and Patches, where each comes from."""

from __future__ import annotations

import pytest

from rpmkit.build import handspec

# `rpmspec -P` output of a Fedora-style spec (rpm 4.18, offline builder), trimmed.
PARSED = """\
Name:           python-demo
Version:        1.2
Release:        3
Summary:        x
License:        MIT
URL:            https://example.com
Source0:        https://example.com/demo-1.2.tar.gz
Source1:        https://github.com/x/y/archive/v1.2.tar.gz#/demo-extra-1.2.tar.gz
source2:        extra.conf
Patch0:         fix-thing.patch
Patch:          fix-other.patch

%package -n demo-tools
Summary: tools
Source9:        tools.conf

%description
Source7: not a tag in a description
%sourcelist
listed-a.txt
https://example.com/dl/listed-b.txt?raw=1

%patchlist
listed.patch
%prep
cd '/root/rpmbuild/BUILD'
echo 'Patch3: not a tag in a script'
%files
"""


def test_sources_as_rpm_reads_them() -> None:
    found = handspec.sources(PARSED)
    assert [(s.tag, s.file) for s in found] == [
        ("Source0", "demo-1.2.tar.gz"),
        ("Source1", "demo-extra-1.2.tar.gz"),  # the part after #/
        ("Source2", "extra.conf"),
        ("Patch0", "fix-thing.patch"),
        ("Patch", "fix-other.patch"),
        ("Source9", "tools.conf"),
        ("%sourcelist", "listed-a.txt"),
        ("%sourcelist", "listed-b.txt"),
        ("%patchlist", "listed.patch"),
    ]
    assert found[1].value.startswith("https://github.com/x/y/archive/v1.2.tar.gz#/")


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("web-1.0.tar.gz", "web-1.0.tar.gz"),
        ("https://pypi.org/packages/source/w/web/web-1.0.tar.gz", "web-1.0.tar.gz"),
        ("https://github.com/o/web/archive/v1.0.tar.gz#/web-1.0.tar.gz", "web-1.0.tar.gz"),
        ("https://example.com/get?file=x", "get"),
    ],
)
def test_file_name(value: str, name: str) -> None:
    assert handspec.file_name(value) == name


def test_nevra() -> None:
    nevra = handspec.parse_nevra("warning: something\npython-demo|0|1.2|3.amzn2023|noarch\n")
    assert nevra == handspec.Nevra("python-demo", 0, "1.2", "3.amzn2023", "noarch")
    assert nevra.nvr == "python-demo-1.2-3.amzn2023"
    with pytest.raises(ValueError, match="expected one"):
        handspec.parse_nevra("a|0|1|1|noarch\nb|0|1|1|noarch\n")


def test_argv_carries_the_builds_defines() -> None:
    argv = handspec.query_argv("/t/SPECS/x.spec", ["_topdir /t", "with_tests 1"])
    assert argv[:4] == ["rpmspec", "-q", "--srpm", "--qf"]
    assert argv[5:] == ["--define", "_topdir /t", "--define", "with_tests 1", "/t/SPECS/x.spec"]
    assert handspec.parse_argv("/s", [])[:2] == ["rpmspec", "-P"]


def test_provide_prefers_the_app_folder_then_what_rpmkit_makes() -> None:
    needed = handspec.sources(
        "Source0: python-demo-1.2.tar.gz\nSource1: extra.conf\nPatch0: fix-thing.patch\n"
        "Source2: python-demo-1.2-wheels.tar\n"
    )
    made = {"python-demo-1.2.tar.gz": "tarball", "python-demo-1.2-wheels.tar": "wheels"}
    result = handspec.provide(needed, {"extra.conf": True}, made, "demo.spec", "/src/demo")
    assert result.files == {
        "python-demo-1.2.tar.gz": "tarball",
        "extra.conf": "app",
        "python-demo-1.2-wheels.tar": "wheels",
    }
    assert result.missing == ("demo.spec: Patch0: fix-thing.patch is not in /src/demo",)
    # An upstream tarball beside the spec wins over rpmkit's.
    beside = handspec.provide(needed[:1], {"python-demo-1.2.tar.gz": True}, made, "d", "/d")
    assert beside.files == {"python-demo-1.2.tar.gz": "app"}


def test_a_url_source_is_made_only_when_the_config_names_it() -> None:
    needed = handspec.sources("Source0: https://example.com/dl/web-1.0.tar.gz\n")
    made = {"web-1.0.tar.gz": "tarball"}
    result = handspec.provide(needed, {}, made, "web.spec", "/src/web")
    assert result.missing == (
        "web.spec: Source0: web-1.0.tar.gz is not in /src/web (from "
        "https://example.com/dl/web-1.0.tar.gz)",
    )
    named = handspec.provide(needed, {}, made, "web.spec", "/src/web", ["web-1.0.tar.gz"])
    assert named.files == {"web-1.0.tar.gz": "tarball"}
    assert "spectool -g" in handspec.missing_hint(made)


def test_an_unexpanded_macro_is_named_as_such() -> None:
    needed = handspec.sources("Source: %pypi_source gunicorn\n")
    (line,) = handspec.provide(needed, {}, {}, "g.spec", "/g").missing
    assert line == (
        "g.spec: Source: '%pypi_source gunicorn' holds a macro rpm does not know here; define "
        "it with `defines` (or --define), or write the file's name"
    )


def test_a_nevra_tag_still_holding_a_macro_is_named() -> None:
    nevra = handspec.parse_nevra("supervisor|0|4.2.5|%autorelease|noarch\n")
    assert handspec.unexpanded(nevra) == "Release is '%autorelease'"
    assert handspec.unexpanded(handspec.parse_nevra("a|0|1|1|noarch\n")) == ""
