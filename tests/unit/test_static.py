"""The static checks' reading of rpm's own output: rpm -V lines, %config files by their column."""

from __future__ import annotations

from typing import Any

import pytest

from rpmkit.engine import Result
from rpmkit.verify import static


class _Host:
    """A Shell whose one command answers `rpm -q` and `rpm -V` as given."""

    def __init__(self, verified: str) -> None:
        self.stdout = f"1.0-1\n{static.SPLIT}0\n{verified}"

    def run(self, command: str, *args: str) -> Result:
        return Result(0, self.stdout, "", self.stdout, 0.01)


@pytest.mark.parametrize(
    ("line", "config"),
    [
        ("S.5....T.  c /etc/app.conf", True),
        ("missing   c /etc/app.conf", True),
        (".M.......    /opt/app/x c /y", False),  # " c /" inside a path is no type column
        (".M...U...    /opt/app/a b", False),
        ("missing     /opt/app/gone", False),
        ("..5....T.  d /usr/share/doc/app/README", False),
    ],
)
def test_config_lines_are_known_by_their_type_column(line: str, config: bool) -> None:
    assert static._config(line) is config


def test_a_path_holding_c_slash_does_not_hide_a_changed_owner() -> None:
    host: Any = _Host(".M...U...    /opt/app/x c /y\nS.5....T.  c /etc/app.conf\n")
    installed, files = static.package(host, "app", "1.0-1", [])
    assert installed.ok
    assert not files.ok
    assert "/opt/app/x c /y" in files.detail
    assert "/etc/app.conf" not in files.detail  # a %config file may be edited
