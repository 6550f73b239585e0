"""The install fallback with each dnf profile's own flags, on real dnf (the offline runtime's).

The Amazon Linux images cannot be made here, but al2023's package-manager data
is dnf's: run through the same install script on Debian's dnf 4, its local
repository file and flags must be accepted, and a missing dependency named.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rpmkit import profiles
from rpmkit.verify import Expectations
from tests.integration.conftest import check_paths
from tests.integration.test_check import web_spec

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("package_manager_of", ["offline", "al2023"])
def test_missing_dependency_goes_through_the_local_repository(
    rpm_factory: Callable[[str], Path],
    offline_images: dict[str, str],
    engine: Any,
    package_manager_of: str,
) -> None:
    profile = dataclasses.replace(
        profiles.get("offline"),
        package_manager=profiles.get(package_manager_of).package_manager,
    )
    rpm = rpm_factory(web_spec(name="rk-repo", requires="Requires: libfrobnicate >= 2"))
    report = check_paths(
        engine, offline_images["runtime"], (rpm,), "rk-repo", Expectations(probe=None),
        profile=profile, boot=False,
    ).report  # fmt: skip
    assert report.failed_stage == "install"
    (check,) = [c for c in report.checks if not c.ok]
    assert "missing dependencies: libfrobnicate" in check.detail
    # dnf read the repository file and resolved against it: it got as far as the
    # dependency, not stopping at a flag or the repository.
    assert "rpmkit: the RPMs being checked" in check.evidence  # the repository's name
    assert "nothing provides libfrobnicate >= 2 needed by rk-repo-1.0-1.noarch" in check.evidence
    assert "Unknown" not in check.evidence
