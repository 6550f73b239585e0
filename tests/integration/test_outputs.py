"""A failed build leaves no RPM a check could take: dist/failed/ keeps it, check and gate refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.apps import STDLIB, config, errors, rpmkit, shown, write

pytestmark = [pytest.mark.docker, pytest.mark.slow]

# The app's own script with a shebang, mode 0644: rpmlint's non-executable-script error.
# No rule accepts it: it is in /opt/<name>/app, the author's to fix.
TOOL = "#!/usr/bin/python3\nprint('maintenance')\n"


def test_failed_lint_keeps_the_rpm_out_of_dist_and_check_and_gate_refuse(tmp_path: Path) -> None:
    app = write(
        tmp_path / "lintfail",
        {
            "rpmkit.toml": config("lintfail", "python3 app.py", requirements=False),
            "app.py": STDLIB,
        },
    )
    dist = app / "dist"
    good = rpmkit("build", app, "--profile", "offline")
    assert good.returncode == 0, shown(good)
    assert (dist / "lintfail-1.0-1.noarch.rpm").is_file()

    write(app, {"tools/maintain.py": TOOL})
    failed = rpmkit("build", app, "--profile", "offline")
    assert failed.returncode == 1, shown(failed)
    (line,) = errors(failed.stderr)
    assert line == (
        "error: rpmlint found 1 error(s) in lintfail-1.0-1, first non-executable-script on "
        "/opt/lintfail/app/tools/maintain.py; fix them in the app, or accept one that is right "
        "there with [rpmlint] accept (check, path, reason); "
        f"RPMs and log kept in {dist / 'failed'} (never checked); the earlier build of it "
        "removed from dist/"
    )
    # The earlier RPM of the same version was not built from these sources: it is gone too.
    earlier = "lintfail-1.0-1.build.log, lintfail-1.0-1.noarch.rpm, lintfail-1.0-1.src.rpm"
    assert f"removed the earlier {earlier} from dist/" in failed.stderr
    assert failed.stdout == ""
    assert sorted(p.name for p in dist.iterdir()) == ["failed"]
    assert sorted(p.name for p in (dist / "failed").iterdir()) == [
        "lintfail-1.0-1.build.log",
        "lintfail-1.0-1.noarch.rpm",
        "lintfail-1.0-1.src.rpm",
    ]

    check = rpmkit("check", app, "--profile", "offline")
    assert check.returncode == 2, shown(check)
    assert errors(check.stderr)[0].startswith(
        f"error: no built RPM for lintfail 1.0-1 in {dist} (the last build failed: its files "
        "are in failed/, never checked)"
    )
    gate = rpmkit("gate", app)
    assert gate.returncode != 0, shown(gate)
    assert "no built RPM for lintfail 1.0-1" in gate.stderr
    assert not list(dist.rglob("*.receipt*"))

    # Accepted with a path and a reason, the same finding passes: and it is listed.
    accept = (
        '[rpmlint]\naccept = [{ check = "non-executable-script", '
        'path = "/opt/lintfail/app/tools/*.py", reason = "run with python3 by the runbook" }]\n'
    )
    (app / "rpmkit.toml").write_text((app / "rpmkit.toml").read_text() + accept)
    fixed = rpmkit("build", app, "--profile", "offline")
    assert fixed.returncode == 0, shown(fixed)
    assert "run with python3 by the runbook (accepted by rpmlint.accept[0])" in fixed.stderr
    assert (dist / "lintfail-1.0-1.noarch.rpm").is_file()
