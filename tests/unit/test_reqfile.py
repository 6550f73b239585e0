"""Requirement files: what they may include, and what pip then reads."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

import pytest

from rpmkit.build import reqfile, wheelhouse
from rpmkit.errors import ConfigError
from rpmkit.progress import Reporter

QUIET = Reporter(verbosity=-1)
TARGET = wheelhouse.target("3.11", "x86_64")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree with an app folder and a shared requirements file at the top."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "common.txt").write_text("rk_shared==1.0\n")
    (tmp_path / "app").mkdir()
    return tmp_path


def _read(repo: Path, text: str) -> reqfile.Requirements:
    path = repo / "app/requirements.txt"
    path.write_text(text)
    return reqfile.read(path, reqfile.repository_root(path.parent))


def test_a_plain_file_is_kept_line_by_line(repo: Path) -> None:
    reqs = _read(
        repo,
        "# pinned\nflask==3.1.2  # web\n--pre\nrequests>=2 ; python_version >= '3.9'\n"
        "gunicorn==23.0 \\\n    --hash=sha256:abc\n",
    )
    assert reqs.lines == (
        "flask==3.1.2",
        "--pre",
        "requests>=2 ; python_version >= '3.9'",
        "gunicorn==23.0      --hash=sha256:abc",
    )
    assert reqs.local == ()


def test_a_monorepos_shared_file_is_inlined(repo: Path) -> None:
    (repo / "app/pins.txt").write_text("flask==3.1.2\n")
    reqs = _read(repo, "-r ../common.txt\n-c pins.txt\nflask\n")
    assert reqs.lines == ("rk_shared==1.0", "flask")
    assert reqs.constraints == ("flask==3.1.2",)
    assert reqs.text(constraints="constraints.txt").endswith("-c constraints.txt\n")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("-r /etc/passwd\n", "app/requirements.txt:1: /etc/passwd resolves outside the repository"),
        ("flask\n--requirement=../../../etc/passwd\n", "requirements.txt:2:"),
        ("-c /etc/hostname\n", "outside the repository"),
        ("--index-url https://u:p@idx.example.com/simple\n", "--index-url is not allowed"),
        ("-i https://idx.example.com/simple\n", "--index-url is not allowed"),
        ("flask\n--extra-index-url=https://x/simple\n", "requirements.txt:2: --extra-index-url"),
        ("-f https://x/links\n", "--find-links is not allowed"),
        ("--find-links ./wheels\n", "--find-links is not allowed"),
        ("--no-index\n", "--no-index is not allowed"),
        ("--trusted-host x\n", "--trusted-host is not allowed"),
        ("git+https://github.com/o/r.git#egg=r\n", "URL and VCS requirements"),
        ("-e git+https://github.com/o/r.git#egg=r\n", "URL and VCS requirements"),
        ("r @ https://files.example.com/r-1.0.tar.gz\n", "URL and VCS requirements"),
        ("r@https://files.example.com/r-1.0.tar.gz\n", "URL and VCS requirements"),
        ("https://files.example.com/r-1.0-py3-none-any.whl\n", "URL and VCS requirements"),
        ("flask==${FLASK_VERSION}\n", "environment variables are not expanded"),
        ("/etc\n", "local project /etc resolves outside the repository"),
        ("./missing\n", "no such file or folder"),
        ("-r https://x/req.txt\n", "-r needs a file in the repository"),
        ("--global-option=x\n", "pip option --global-option is not supported"),
        ("-e flask\n", "-e needs a local project path"),
        ("flask\0\n", "NUL"),
    ],
)
def test_refused_lines_name_the_file_and_line(repo: Path, text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        _read(repo, text)
    assert needle in info.value.message
    assert "\n" not in info.value.message
    assert "root:" not in info.value.message  # nothing of a host file is quoted


def test_a_symlink_out_of_the_repository_is_refused(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "host.txt"
    outside.write_text("secret-host-content\n")
    (repo / "app/requirements.txt").symlink_to(outside)
    with pytest.raises(ConfigError) as info:
        reqfile.read(repo / "app/requirements.txt", repo)
    assert "resolves outside the repository" in info.value.message
    (repo / "app/base.txt").symlink_to(outside)
    (repo / "app/requirements.txt").unlink()
    with pytest.raises(ConfigError, match=r"^app/requirements.txt:1: base.txt resolves outside"):
        _read(repo, "-r base.txt\n")


def test_a_symlink_inside_the_repository_is_followed(repo: Path) -> None:
    (repo / "app/base.txt").symlink_to(repo / "common.txt")
    assert _read(repo, "-r base.txt\n").lines == ("rk_shared==1.0",)


def test_includes_that_loop_are_read_once(repo: Path) -> None:
    (repo / "app/a.txt").write_text("-r requirements.txt\nrk_a\n")
    assert _read(repo, "-r a.txt\nrk_top\n").lines == ("rk_a", "rk_top")


def test_a_non_utf8_file_is_one_line(repo: Path) -> None:
    (repo / "app/requirements.txt").write_bytes(b"fl\xffask\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        reqfile.read(repo / "app/requirements.txt", repo)


def test_repository_root(tmp_path: Path) -> None:
    (tmp_path / "mono/apps/web").mkdir(parents=True)
    (tmp_path / "mono/tox.ini").write_text("[tox]\n")
    (tmp_path / "mono/apps/web/rpmkit.toml").write_text("")
    assert reqfile.repository_root(tmp_path / "mono/apps/web") == tmp_path / "mono"
    (tmp_path / "mono/apps/.git").mkdir()
    assert reqfile.repository_root(tmp_path / "mono/apps/web") == tmp_path / "mono/apps"


def _project(folder: Path, name: str) -> Path:
    """A local project with an in-tree PEP 517 backend: builds without any index."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
            [project]
            name = "{name}"
            version = "0.3"
            [build-system]
            requires = []
            build-backend = "backend"
            backend-path = ["."]
            """)
    )
    (folder / "backend.py").write_text(
        textwrap.dedent(f"""\
            import os, zipfile
            NAME = "{name}"
            def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
                filename = f"{{NAME}}-0.3-py3-none-any.whl"
                info = f"{{NAME}}-0.3.dist-info"
                with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as whl:
                    whl.writestr(f"{{NAME}}.py", "")
                    whl.writestr(f"{{info}}/METADATA",
                        f"Metadata-Version: 2.1\\nName: {{NAME}}\\nVersion: 0.3\\n"
                        "Requires-Dist: rk_dep\\n")
                    whl.writestr(f"{{info}}/WHEEL",
                        "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
                    whl.writestr(f"{{info}}/RECORD", "")
                return filename
            """)
    )
    return folder


def test_editable_local_project_is_built_and_pinned(repo: Path) -> None:
    house = repo / "house"
    house.mkdir()
    with zipfile.ZipFile(house / "rk_dep-1.0-py3-none-any.whl", "w") as whl:
        info = "rk_dep-1.0.dist-info"
        whl.writestr("rk_dep.py", "")
        whl.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: rk_dep\nVersion: 1.0\n")
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")
        whl.writestr(f"{info}/RECORD", "")
    _project(repo / "app", "rk_app")
    _project(repo / "libs/shared", "rk_lib")
    requirements = repo / "app/requirements.txt"
    requirements.write_text("-e .\n../libs/shared ; python_version >= '3'\n")
    found = wheelhouse.fetch(requirements, TARGET, QUIET, repo / "scratch", wheelhouse=house)
    assert sorted(p.name for p in found.glob("*.whl")) == [
        "rk_app-0.3-py3-none-any.whl",
        "rk_dep-1.0-py3-none-any.whl",
        "rk_lib-0.3-py3-none-any.whl",
    ]
    # The builder installs them by name from the wheels, never as an editable checkout.
    assert (found / "requirements.txt").read_text() == (
        "rk_app==0.3\nrk_lib==0.3; python_version >= '3'\n"
    )
    assert not any("-e" in line for line in (found / "requirements.txt").read_text().splitlines())
