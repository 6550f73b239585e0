"""Rendered specs parse with the builder's own rpm, with the systemd macros expanded."""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest

from rpmkit import config, labels
from rpmkit.build import spec
from tests.unit.test_spec import EXAMPLE, SAMPLES, write_app

pytestmark = pytest.mark.docker


def rpmspec_parse(client: Any, image: str, rendered: spec.Spec) -> tuple[int, str, str]:
    """`rpmspec -P` on the spec inside a builder container: exit code, stdout, stderr."""
    name = f"{rendered.name}.spec"
    data = rendered.text.encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    container = client.containers.create(
        image,
        ["rpmspec", "-P", f"/work/{name}"],
        labels=labels.Run(labels.new_run_id(), rendered.name).labels(),
    )
    try:
        assert container.put_archive("/work", buf.getvalue())
        container.start()
        code = container.wait(timeout=60)["StatusCode"]
        out = container.logs(stdout=True, stderr=False).decode(errors="replace")
        err = container.logs(stdout=False, stderr=True).decode(errors="replace")
    finally:
        container.remove(force=True, v=True)
    return int(code), out, err


def _app(tmp_path: Path, case: str) -> Path:
    return EXAMPLE if case == "hello-world" else write_app(tmp_path / case, case)


@pytest.mark.parametrize("case", [*sorted(SAMPLES), "hello-world"])
def test_rpmspec_accepts_the_spec(
    docker_client: Any, offline_images: dict[str, str], tmp_path: Path, case: str
) -> None:
    rendered = spec.render(config.load(_app(tmp_path, case)))
    code, out, err = rpmspec_parse(docker_client, offline_images["builder"], rendered)

    assert code == 0, err
    assert "warning" not in err.lower(), err
    for macro in (
        "%systemd_post",
        "%systemd_preun",
        "%systemd_postun",
        "%{_unitdir}",
        "%{_presetdir}",
    ):
        assert macro not in out
    post = out.split("\n%post\n", 1)[1].split("\n%", 1)[0]
    assert "systemctl --no-reload preset" in post
    assert "if [ $1 -eq 1 ] ; then" in post
    assert f"/usr/lib/systemd/system-preset/50-{rendered.name}.preset" in out
    if rendered.units:
        preun = out.split("\n%preun\n", 1)[1].split("\n%", 1)[0]
        assert "if [ $1 -eq 0 ] ; then" in preun
        assert f"disable --now {' '.join(rendered.units)}" in preun
        assert f"/usr/lib/systemd/system/{rendered.units[0]}" in out
    if rendered.template != "static-site":
        # The venv is bound to the builder's Python X.Y.
        assert re.search(r"^Requires:\s+python\(abi\) = 3\.\d+$", out, re.M), out
