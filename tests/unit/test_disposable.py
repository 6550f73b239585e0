"""Disposability: what an instance wrote outside the places meant to be thrown away."""

from __future__ import annotations

from typing import Any

import pytest

from rpmkit.verify.disposable import DEFAULT_DISPOSABLE, Change, is_disposable, kept_state


def diff(*entries: tuple[int, str]) -> list[dict[str, Any]]:
    """`docker diff` as the engine returns it: Kind 0 changed, 1 added, 2 deleted."""
    return [{"Kind": kind, "Path": path} for kind, path in entries]


# What `docker diff` showed for an instance of the offline runtime after a boot and some
# requests (systemd, nginx and a Python service), against its baked image.
BOOT = diff(
    (0, "/etc"), (0, "/etc/machine-id"), (0, "/etc/mtab"),
    (0, "/tmp"), (1, "/tmp/.ICE-unix"), (1, "/tmp/.X11-unix"),
    (0, "/var"), (0, "/var/lib"), (0, "/var/lib/nginx"), (1, "/var/lib/nginx/body"),
    (1, "/var/lib/nginx/proxy"), (0, "/var/lib/systemd"), (1, "/var/lib/systemd/timers"),
    (1, "/var/lib/systemd/timers/stamp-apt-daily.timer"),
    (0, "/var/log"), (0, "/var/log/journal"), (1, "/var/log/journal/7d64/system.journal"),
    (0, "/var/log/nginx"), (0, "/var/log/nginx/access.log"), (0, "/var/log/wtmp"),
)  # fmt: skip


def test_a_plain_boot_writes_nothing_that_counts() -> None:
    assert kept_state(BOOT, DEFAULT_DISPOSABLE) == []


def test_data_under_opt_counts_and_only_the_file_is_named() -> None:
    found = kept_state(
        [*BOOT, *diff((0, "/opt"), (0, "/opt/shop"), (1, "/opt/shop/data.db"))], DEFAULT_DISPOSABLE
    )
    assert found == [Change("/opt/shop/data.db", "added")]


def test_the_same_data_under_tmp_does_not_count() -> None:
    assert kept_state([*BOOT, *diff((1, "/tmp/data.db"))], DEFAULT_DISPOSABLE) == []


@pytest.mark.parametrize(
    ("path", "disposable"),
    [
        ("/var/tmp/upload-1", True),
        ("/run/app.pid", True),
        ("/var/cache/app/index", True),
        ("/home/alice/.cache/pip/x", True),
        ("/root/.cache/x", True),
        ("/opt/shop/app/__pycache__/app.cpython-311.pyc", True),
        ("/var/lib/systemd/random-seed", True),
        ("/etc/machine-id", True),
        ("/var/lib/shop/state.json", False),
        ("/var/spool/mail/root", False),
        ("/etc/shop.conf", False),
        ("/home/alice/notes", False),
        ("/tmpfoo/x", False),  # a sibling of /tmp, not below it
        ("/opt/shop/data.db", False),
    ],
)
def test_default_disposable_paths(path: str, disposable: bool) -> None:
    assert is_disposable(path, DEFAULT_DISPOSABLE) is disposable


def test_extra_disposable_paths_with_wildcards() -> None:
    extra = ("/opt/*/spool", "/srv/**/thumbs")
    assert is_disposable("/opt/shop/spool/1", extra)
    assert not is_disposable("/opt/shop/data/spool", extra)
    assert is_disposable("/srv/thumbs/1.png", extra)
    assert is_disposable("/srv/a/b/thumbs", extra)
    assert not is_disposable("/srv/a/b/photos", extra)


def test_a_deletion_counts_and_a_directory_counts_when_nothing_below_it_is_listed() -> None:
    found = kept_state(
        diff((0, "/opt/shop"), (2, "/opt/shop/seed.json"), (0, "/srv/cache-dir")),
        DEFAULT_DISPOSABLE,
    )
    assert found == [Change("/opt/shop/seed.json", "deleted"), Change("/srv/cache-dir", "changed")]
