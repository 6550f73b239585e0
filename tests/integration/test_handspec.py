"""Hand-written specs, read by rpm in the builder: their sources, defines, and failures' causes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from rpmkit import labels
from tests.integration.apps import WSGI, config, errors, rpmkit, shown, write

pytestmark = [pytest.mark.docker]

# A daemon packaged the dist-git way: upstream tarball (here rpmkit's of the folder),
# a config file and a patch beside the spec, a data file from a URL renamed with #/,
# macros and conditionals rpm must expand itself.
SPEC = """\
%global confname extra.conf
%bcond_with docs

Name:           rk-daemon
Version:        2.1
Release:        %{build_number}%{?dist}
Summary:        Small daemon for the hand-written spec tests
License:        MIT
URL:            https://example.com/rk-daemon
BuildArch:      noarch
Source0:        %{name}-%{version}.tar.gz
Source1:        %{confname}
Source2:        https://example.com/dl/data-v%{version}.txt?raw=1#/rk-daemon-data.txt
Patch0:         greeting.patch
%if %{with docs}
Source3:        manual.pdf
%endif

%description
A daemon whose sources come from the app folder.

%prep
%autosetup -p1

%build

%install
install -D -m 0644 daemon.txt %{buildroot}%{_datadir}/rk-daemon/daemon.txt
install -D -m 0644 %{SOURCE1} %{buildroot}%{_sysconfdir}/rk-daemon/extra.conf
install -D -m 0644 %{SOURCE2} %{buildroot}%{_datadir}/rk-daemon/data.txt

%files
%{_datadir}/rk-daemon
%config(noreplace) %{_sysconfdir}/rk-daemon/extra.conf

%changelog
* Thu Jan 01 2026 rpmkit tests <tests@example.com> - 2.1-1
- First release.
"""

PATCH = """\
--- a/daemon.txt
+++ b/daemon.txt
@@ -1 +1 @@
-hello
+hello, patched
"""

CONFIG = """\
name = "rk-daemon"
version = "2.1"
summary = "Small daemon"
license = "MIT"
spec = "rk-daemon.spec"
defines = { build_number = "7" }
"""


def daemon(root: Path, spec: str = SPEC, conf: str = CONFIG) -> Path:
    return write(
        root,
        {
            "rpmkit.toml": conf,
            "rk-daemon.spec": spec,
            "daemon.txt": "hello\n",
            "extra.conf": "listen = 8080\n",
            "greeting.patch": PATCH,
            "rk-daemon-data.txt": "data\n",
        },
    )


def read(client: Any, image: str, rpm: Path, path: str) -> str:
    """One file's content from inside a built RPM."""
    script = f"rpm2cpio /rpms/{rpm.name} | cpio -i --quiet --to-stdout .{path}"
    out = client.containers.run(
        image,
        ["sh", "-c", script],
        volumes={str(rpm.parent): {"bind": "/rpms", "mode": "ro"}},
        labels=labels.Run(labels.new_run_id(), "tests").labels(),
        network_disabled=True,
        remove=True,
    )
    return str(out.decode())


def test_sources_and_patches_come_from_the_app_folder(
    docker_client: Any, offline_images: dict[str, str], tmp_path: Path
) -> None:
    app = daemon(tmp_path / "daemon")
    proc = rpmkit("build", app, "--profile", "offline", "--define", "build_number=8")
    assert proc.returncode == 0, shown(proc)
    # --define wins over the config's defines; the spec's NEVR names the package.
    rpm = app / "dist" / "rk-daemon-2.1-8.noarch.rpm"
    assert rpm.is_file(), sorted(p.name for p in (app / "dist").iterdir())
    assert "building rk-daemon-2.1-8 in" in proc.stderr
    image = offline_images["builder"]
    assert read(docker_client, image, rpm, "/usr/share/rk-daemon/daemon.txt") == "hello, patched\n"
    assert read(docker_client, image, rpm, "/etc/rk-daemon/extra.conf") == "listen = 8080\n"
    assert read(docker_client, image, rpm, "/usr/share/rk-daemon/data.txt") == "data\n"


def test_a_missing_source_stops_before_rpmbuild_with_one_line(tmp_path: Path) -> None:
    spec = SPEC.replace("Patch0:         greeting.patch", "Patch0:         fix-startup.patch")
    app = daemon(tmp_path / "daemon", spec)
    start = time.monotonic()
    proc = rpmkit("build", app, "--profile", "offline")
    took = time.monotonic() - start
    assert proc.returncode == 2, shown(proc)
    assert errors(proc.stderr) == [
        f"error: rk-daemon.spec: Patch0: fix-startup.patch is not in {app.resolve()}; put each "
        "file in the app folder (rpmkit never downloads; `spectool -g` does); rpmkit makes only "
        "rk-daemon-2.1-wheels.tar, rk-daemon-2.1.tar.gz, and for a URL only the config's `tarball`"
    ]
    assert "building rk-daemon" not in proc.stderr  # rpmbuild never ran
    assert not (app / "dist" / "failed").exists()
    assert not list((app / "dist").glob("*"))
    assert took < 30, took


def test_a_conditional_source_is_needed_only_when_its_condition_holds(tmp_path: Path) -> None:
    app = daemon(tmp_path / "daemon")
    proc = rpmkit("build", app, "--profile", "offline", "--define", "_with_docs=1")
    assert proc.returncode == 2, shown(proc)
    (line,) = errors(proc.stderr)
    assert line.startswith("error: rk-daemon.spec: Source3: manual.pdf is not in ")


def test_a_recursive_name_fails_with_rpms_own_error(tmp_path: Path) -> None:
    spec = SPEC.replace("Name:           rk-daemon", "Name:           %{name}")
    app = daemon(tmp_path / "daemon", spec)
    proc = rpmkit("build", app, "--profile", "offline")
    assert proc.returncode == 1, shown(proc)
    first = errors(proc.stderr)[0]
    assert first.startswith(
        "error: rpmspec cannot read rk-daemon.spec: line 4: Too many levels of recursion in macro "
        "expansion. It is likely caused by recursive macro declaration.; "
    )
    assert "(%name)" not in proc.stderr  # an expansion trace is never printed whole


def test_missing_build_dependencies_are_counted_and_all_listed(tmp_path: Path) -> None:
    needs = "".join(f"BuildRequires:  rk-nosuch-{i:02d}\n" for i in range(1, 31))
    app = daemon(tmp_path / "daemon", SPEC.replace("BuildArch:      noarch\n", needs))
    proc = rpmkit("build", app, "--profile", "offline")
    assert proc.returncode == 1, shown(proc)
    first = errors(proc.stderr)[0]
    assert first.startswith(
        "error: rpmbuild failed building rk-daemon-2.1-7: 30 build dependencies missing: "
        "rk-nosuch-01, rk-nosuch-02, "
    )
    assert "more (all below); log kept in " in first
    evidence = [line for line in proc.stderr.splitlines() if line.startswith("  | ")]
    assert evidence[0] == "  | error: Failed build dependencies:"
    assert sum("is needed by" in line for line in evidence) == 30


@pytest.mark.slow
def test_rpmkit_spec_output_builds_unchanged_as_a_hand_written_spec(tmp_path: Path) -> None:
    template = config("roundtrip", "gunicorn --bind 127.0.0.1:8000 app:application")
    app = write(
        tmp_path / "roundtrip",
        {"rpmkit.toml": template, "requirements.txt": "gunicorn==23.0.0\n", "app.py": WSGI},
    )
    out = rpmkit("spec", app, "--profile", "offline", "-o", app / "roundtrip.spec")
    assert out.returncode == 0, shown(out)
    assert "BuildArch:      noarch" in (app / "roundtrip.spec").read_text()
    handwritten = template.replace('template = "python-web"', 'spec = "roundtrip.spec"')
    (app / "rpmkit.toml").write_text(handwritten)
    proc = rpmkit("run", app, "--profile", "offline")
    assert proc.returncode == 0, shown(proc)
    assert (app / "dist" / "roundtrip-1.0-1.noarch.rpm").is_file()
