"""A team's yum repository made by the tests: signed RPMs, repodata, and two gpg keys.

Everything is made in the offline builder (rpmbuild, gpg, rpmsign, createrepo_c
from Debian's packages) and copied out: the key pair is the tests' own.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rpmkit import labels

SPEC = """\
Name: {name}
Version: 1.0
Release: 1
Summary: {name} for the repository tests
License: MIT
BuildArch: noarch
{requires}
%description
{name} for the repository tests.
%install
mkdir -p %{{buildroot}}/usr/share/{name}
echo {name} > %{{buildroot}}/usr/share/{name}/marker
%files
/usr/share/{name}/marker
"""

# rk-dep is only in the repository (signed with the "team" key); rk-app requires it,
# and rk-weak only recommends rk-rec, which the repository also has.
SCRIPT = """\
set -e
cd /tmp/w
for spec in *.spec; do
    rpmbuild -bb --quiet --define "_topdir /tmp/w/rb" "$spec"
done
export GNUPGHOME=/tmp/w/gnupg
mkdir -m 700 "$GNUPGHOME"
for who in team other; do
    gpg --batch --passphrase '' --quick-gen-key "rpmkit tests <$who@example.com>" rsa2048 sign never
done
gpg --armor --export team@example.com > out/team.asc
gpg --armor --export other@example.com > out/other.asc
mkdir -p out/repo out/app
cp rb/RPMS/noarch/rk-dep-*.rpm rb/RPMS/noarch/rk-rec-*.rpm out/repo/
rpmsign --addsign --define '__gpg /usr/bin/gpg' --define '_gpg_name team@example.com' out/repo/*.rpm
createrepo_c --quiet out/repo
cp rb/RPMS/noarch/rk-app-*.rpm rb/RPMS/noarch/rk-weak-*.rpm out/app/
"""


@dataclass(frozen=True)
class TeamRepo:
    """What the tests' repository is made of, on this machine."""

    repo: Path  # a yum repository (repodata/) of signed rk-dep and rk-rec
    app: Path  # rk-app, which requires rk-dep
    weak: Path  # rk-weak, which only recommends rk-rec
    key: Path  # the key that signed the repository's packages
    other_key: Path  # a key that signed nothing


def make(docker_client: Any, builder: str, out: Path) -> TeamRepo:
    """Build, sign and index the repository in the builder; copy it to `out`."""
    container = docker_client.containers.run(
        builder, ["sleep", "infinity"], detach=True,
        labels=labels.Run(labels.new_run_id(), "tests").labels(),
    )  # fmt: skip
    try:
        specs = {
            "rk-dep.spec": SPEC.format(name="rk-dep", requires=""),
            "rk-rec.spec": SPEC.format(name="rk-rec", requires=""),
            "rk-app.spec": SPEC.format(name="rk-app", requires="Requires: rk-dep"),
            "rk-weak.spec": SPEC.format(name="rk-weak", requires="Recommends: rk-rec"),
            "make.sh": SCRIPT,
        }
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for name, text in specs.items():
                info = tarfile.TarInfo(f"tmp/w/{name}")
                info.size = len(text.encode())
                tar.addfile(info, io.BytesIO(text.encode()))
        container.put_archive("/", buf.getvalue())
        code, output = container.exec_run(["sh", "-c", "mkdir -p /tmp/w/out && sh /tmp/w/make.sh"])
        assert code == 0, output.decode(errors="replace")
        stream, _ = container.get_archive("/tmp/w/out")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            tar.extractall(out, filter="data")
    finally:
        container.remove(force=True)
    root = out / "out"
    (app,) = sorted((root / "app").glob("rk-app-*.rpm"))
    (weak,) = sorted((root / "app").glob("rk-weak-*.rpm"))
    return TeamRepo(root / "repo", app, weak, root / "team.asc", root / "other.asc")


def repo_file(path: Path, repo_id: str, baseurl: str, key: Path | None) -> Path:
    """Write a .repo file with one section; gpgcheck on when `key` is given."""
    lines = [f"[{repo_id}]", f"name={repo_id} for the tests", f"baseurl={baseurl}"]
    lines += [f"gpgcheck=1\ngpgkey={key.as_uri()}"] if key else ["gpgcheck=0"]
    path.write_text("\n".join(lines) + "\n")
    return path
