"""The install's repositories: read from config and .repo files, written for dnf and yum."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from rpmkit import profiles, redact
from rpmkit.errors import ConfigError
from rpmkit.install import repos
from rpmkit.install.config import InstallSettings
from rpmkit.install.stage import package_manager_script, with_options


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bake.repo"
    path.write_text(text)
    return path


def test_a_repo_file_gives_its_enabled_sections_with_their_keys(tmp_path: Path) -> None:
    key = tmp_path / "team.asc"
    key.write_text("key")
    path = _file(
        tmp_path,
        "[team]\nname=Team\nbaseurl=https://repo.example.com/el/$basearch\n"
        "gpgcheck=1\ngpgkey=team.asc\npriority=10\n\n"
        "[team-debug]\nbaseurl=https://repo.example.com/debug\nenabled=0\n",
    )
    (team,) = repos.from_file(path)
    assert team.id == "team"
    assert team.baseurl == "https://repo.example.com/el/$basearch"
    assert team.gpgcheck
    assert team.gpgkeys == (key.resolve().as_uri(),)  # relative to the file's folder
    assert team.options == (("priority", "10"),)
    assert team.where == f"{path} [team]"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("baseurl=https://x.example.com/\n", "malformed"),  # no section header
        ("[team]\nname=x\n", "no baseurl"),
        ("[team]\nbaseurl=https://u:p@x.example.com/\n", "holds credentials"),
        ("[team]\nbaseurl=https://x.example.com/\npassword=hunter22\n", "password= holds"),
        ("[team]\nbaseurl=ftp://x.example.com/\n", "not an http://"),
        ("[team]\nbaseurl=https://x.example.com/\ngpgcheck=1\n", "needs a gpgkey"),
        ("[team]\nbaseurl=https://x.example.com/\ngpgkey=missing.asc\n", "does not exist"),
        ("[rpmkit-local]\nbaseurl=https://x.example.com/\n", "cannot be a repository id"),
        ("[team]\nbaseurl=https://x.example.com/\nenabled=0\n", "no enabled repository"),
        ("[a]\nbaseurl=https://x.example.com/\n[a]\nbaseurl=https://y.example.com/\n", "malformed"),
    ],
)
def test_a_bad_repo_file_is_one_line_naming_it(tmp_path: Path, text: str, said: str) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        repos.from_file(path)
    assert said in exc.value.message
    assert str(path) in exc.value.message
    assert "\n" not in exc.value.message
    assert "hunter22" not in exc.value.message


def test_config_repositories_and_a_file_defining_the_same_id_are_refused(tmp_path: Path) -> None:
    _file(tmp_path, "[team]\nbaseurl=https://y.example.com/\n")
    settings = InstallSettings.model_validate(
        {"repos": [{"name": "team", "baseurl": "https://x.example.com/"}],
         "repo_files": ["bake.repo"]}
    )  # fmt: skip
    with pytest.raises(ConfigError, match="repository team is defined twice"):
        repos.from_settings(settings, tmp_path, "rpmkit.toml")


def test_credentials_come_from_the_environment_and_are_redacted() -> None:
    repo = repos.Repo("team.prod", "https://repo.example.com/rpms")
    env = {"RPMKIT_REPO_TEAM_PROD_USERNAME": "deploy", "RPMKIT_REPO_TEAM_PROD_PASSWORD": "s3cr3t-x"}
    try:
        login = repos.credentials(repo, env)
        assert login == ("deploy", "s3cr3t-x")
        text = repos.section(repo, repo.baseurl, (), login)
        assert "username=deploy\npassword=s3cr3t-x\n" in text
        assert "s3cr3t-x" not in redact.redact(f"dnf said: {text}")
    finally:
        redact.reset()


def test_credentials_come_from_netrc_for_the_baseurl_host(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine repo.example.com login ci password n3trc-pass\n")
    netrc.chmod(0o600)
    repo = repos.Repo("team", "https://repo.example.com/rpms")
    try:
        assert repos.credentials(repo, {"NETRC": str(netrc)}) == ("ci", "n3trc-pass")
        assert repos.credentials(repos.Repo("x", "https://other.example.com/"), {}) is None
    finally:
        redact.reset()


def test_local_folders_and_keys_are_copied_in_and_others_left_as_paths_inside(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "repo"
    (folder / "repodata").mkdir(parents=True)
    (folder / "repodata" / "repomd.xml").write_text("<repomd/>")
    key = tmp_path / "k.asc"
    key.write_text("key")
    local = repos.Repo("team", folder.as_uri(), True, (key.as_uri(),))
    inside = repos.Repo("mirror", "file:///srv/in-the-image", False)
    with repos.archive((local, inside), {}) as data, tarfile.open(fileobj=data) as tar:
        names = tar.getnames()
        extracted = tar.extractfile(repos.REPO_FILE.lstrip("/"))
        assert extracted is not None
        text = extracted.read().decode()
    assert "var/tmp/rpmkit-repos/team/repodata/repomd.xml" in names
    assert "var/tmp/rpmkit-repos/keys/team-0.asc" in names
    assert "baseurl=file:///var/tmp/rpmkit-repos/team\n" in text
    assert "gpgkey=file:///var/tmp/rpmkit-repos/keys/team-0.asc\n" in text
    assert "baseurl=file:///srv/in-the-image\n" in text
    assert text.count("skip_if_unavailable=0") == 2  # an unreadable one fails the install


def test_before_boot_the_repositories_go_or_keep_no_credentials() -> None:
    assert repos.removal(False) == f"rm -rf {repos.REPO_FILE} {repos.COPIES}\n"
    kept = repos.removal(True)
    assert "/^username=/d;/^password=/d" in kept
    assert "rm" not in kept


@pytest.mark.parametrize(
    ("profile", "off"), [("offline", "False"), ("al2023", "False"), ("al2", "0")]
)
def test_each_profile_enables_the_repositories_strictly_before_its_subcommand(
    profile: str, off: str
) -> None:
    p = profiles.get(profile)
    options = tuple(repos.manager_options(p, (repos.Repo("team", "https://x.example.com/"),)))
    assert options == ("--enablerepo=team", f"--setopt=team.skip_if_unavailable={off}")
    script = package_manager_script(p, "/rpmkit/rpms", ["rk-app"], False, options)
    command = script.rsplit("exec ", 1)[1].split()
    verb = command.index("install")
    # After the profile's own (--disablerepo=*, *.skip_if_unavailable): those come first.
    assert command[verb - 2 : verb] == list(options)
    assert command[0] == p.package_manager.name


def test_options_go_before_the_subcommand() -> None:
    assert with_options(("yum", "-y", "install", "{packages}"), ("--enablerepo=a",)) == (
        "yum", "-y", "--enablerepo=a", "install", "{packages}",
    )  # fmt: skip


def test_al2_yum_flags() -> None:
    pm = profiles.get("al2").package_manager
    # yum 3 exits 0 when a name matches nothing unless told otherwise.
    assert "--setopt=skip_missing_names_on_install=False" in pm.image_install
    assert pm.install[:3] == ("yum", "-y", "--setopt=*.skip_if_unavailable=1")
    assert "--enablerepo=rpmkit-local" in pm.install
    assert pm.erase[:3] == ("yum", "-y", "--disablerepo=*")
    assert pm.installed_from[0] == "repoquery"
    assert "%{ui_from_repo}" in pm.installed_from[-2]


def test_failures_name_the_repository_from_dnf_and_yum_lines() -> None:
    team = repos.Repo("team", "https://repo.example.com/", True,
                      ("https://repo.example.com/key.asc",), "bake.repo [team]")  # fmt: skip
    dnf = (
        "Errors during downloading metadata for repository 'team':\n"
        "  - Curl error (6): Couldn't resolve host name for https://repo.example.com/"
        "repodata/repomd.xml [Could not resolve host: repo.example.com]\n"
        "Error: Failed to download metadata for repo 'team': Cannot download repomd.xml\n"
    )
    assert repos.failure(dnf, (team,)) == (
        "repository team (bake.repo [team]) could not be read at https://repo.example.com/: "
        "Curl error (6): Couldn't resolve host name"
    )
    yum = "failure: repodata/repomd.xml from team: [Errno 256] No more mirrors to try.\n"
    assert repos.failure(yum, (team,)).startswith("repository team (bake.repo [team]) could not")
    gpg = (
        "Public key for rk-dep-1.0-1.noarch.rpm is not installed. Failing package is: "
        "rk-dep-1.0-1.noarch\n GPG Keys are configured as: "
        "file:///var/tmp/rpmkit-repos/keys/team-0.asc\nError: GPG check FAILED\n"
    )
    assert repos.failure(gpg, (team,)) == (
        "repository team (bake.repo [team]): GPG check failed for rk-dep-1.0-1.noarch: "
        "its gpgkey https://repo.example.com/key.asc does not verify it"
    )
    assert repos.failure("nothing provides rk-dep needed by rk-app", (team,)) == ""


def test_sources_are_the_dependencies_only() -> None:
    text = "rk-app-1.0-1.noarch @rpmkit-local\nrk-dep-1.0-1.noarch team\nnoise\n"
    assert repos.parse_sources(text, {"rk-app"}) == (("rk-dep-1.0-1.noarch", "team"),)


def test_the_cache_key_parts_follow_a_local_repository_s_content(tmp_path: Path) -> None:
    (tmp_path / "repodata").mkdir()
    repomd = tmp_path / "repodata" / "repomd.xml"
    repomd.write_text("one")
    repo = repos.Repo("team", tmp_path.as_uri())
    first = repos.cache_parts((repo,))
    repomd.write_text("two")
    assert repos.cache_parts((repo,)) != first
    remote = repos.cache_parts((repos.Repo("r", "https://x.example.com/"),))
    assert remote[0]["content"] == []


def test_archive_is_a_tar_at_the_root() -> None:
    with repos.archive((repos.Repo("r", "https://x.example.com/"),), {}) as data:
        raw = data.read()
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        assert tar.getnames() == [repos.REPO_FILE.lstrip("/")]
        assert tar.getmember(repos.REPO_FILE.lstrip("/")).mode == 0o600


def test_a_profile_mirror_replaces_the_base_s_repositories_in_its_dockerfiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64

    from rpmkit import images
    from rpmkit.images.mirror import MIRROR_FILE

    al2023 = profiles.get("al2023")
    plain = images.render_dockerfile(al2023, "runtime", "amazonlinux:2023")
    assert "rpmkit-mirror" not in plain
    tags = [p.tag for p in images.plan(al2023, base_id="sha256:base")]
    mirror = _file(tmp_path, "[al-mirror]\nbaseurl=https://mirror.example.com/al2023/\n")
    monkeypatch.setenv("RPMKIT_AL2023_REPO_FILE", str(mirror))
    text = images.render_dockerfile(al2023, "runtime", "amazonlinux:2023")
    step, install = text.split("\nRUN ", 2)[1:]
    assert step.index("mv") < step.index(MIRROR_FILE)  # the base's own set aside first
    encoded = step.split("echo ", 1)[1].split()[0]
    written = base64.b64decode(encoded).decode()
    assert "[al-mirror]\n" in written
    assert "baseurl=https://mirror.example.com/al2023/\n" in written
    assert install.startswith("dnf -y")  # the packages come after, from the mirror
    # The mirror is an input of the images: their tags change with it.
    assert not set(tags) & {p.tag for p in images.plan(al2023, base_id="sha256:base")}
    monkeypatch.setenv("RPMKIT_AL2023_REPO_FILE", str(tmp_path / "missing.repo"))
    with pytest.raises(ConfigError, match="^RPMKIT_AL2023_REPO_FILE: repository file"):
        images.render_dockerfile(al2023, "runtime", "amazonlinux:2023")
