"""Receipts: one versioned format, written and read by the same `Receipt`."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from rpmkit import receipt
from rpmkit.errors import ConfigError
from tests.unit.handoff_helpers import receipt_for, write_rpm


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(receipt.KEY_ENV, raising=False)


def test_written_and_read_back_equal(tmp_path: Path) -> None:
    rpm = write_rpm(tmp_path)
    made = receipt_for(rpm)
    path = receipt.write(made, receipt.path_for(rpm))
    assert path.name == "hello-world-1.0.0-1.noarch.rpm.receipt.json"
    content = json.loads(path.read_text())
    assert content["format"] == "rpmkit.receipt/2"
    assert content["digest"]["algorithm"] == "sha256"
    assert receipt.Receipt.parse(path.read_text()) == made


def test_the_format_has_room_for_what_a_check_binds(tmp_path: Path) -> None:
    content = receipt_for(write_rpm(tmp_path)).body()
    assert set(content) >= {"format", "rpm", "check", "target", "checked_at", "cache_key"}
    assert set(content["rpm"]) == {"file", "sha256", "size", "nevra"}
    assert set(content["check"]) >= {"tier", "settle", "upgrade_from", "repositories"}
    assert set(content["target"]) >= {"profile", "arch", "runtime_image", "stand_in"}


def test_hmac_with_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(receipt.KEY_ENV, "s3cret")
    rpm = write_rpm(tmp_path)
    path = receipt.write(receipt_for(rpm), receipt.path_for(rpm))
    content = json.loads(path.read_text())
    assert content["digest"]["algorithm"] == "hmac-sha256"
    assert content["digest"] == receipt.digest(content, "s3cret")
    assert receipt.Receipt.parse(path.read_text(), "s3cret") == receipt_for(rpm)
    with pytest.raises(receipt.ReceiptInvalid, match="signed with another key"):
        receipt.Receipt.parse(path.read_text(), "guess")
    assert "s3cret" not in path.read_text()


@pytest.mark.parametrize(
    "text",
    ["", "null", "[]", '"x"', "{}", '{"format": []}', '{"format": {"a": 1}}', "\x00", "{" * 10000],
)
def test_garbage_is_one_line_never_a_crash(text: str) -> None:
    with pytest.raises(receipt.ReceiptInvalid) as invalid:
        receipt.Receipt.parse(text)
    assert "\n" not in invalid.value.message
    assert len(invalid.value.message) < 300


def test_concurrent_writes_never_share_a_temporary_file(tmp_path: Path) -> None:
    rpm = write_rpm(tmp_path)
    made = receipt_for(rpm)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(20):
                receipt.write(made, receipt.path_for(rpm))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert receipt.Receipt.parse(receipt.path_for(rpm).read_text()) == made
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_a_receipt_gets_the_usual_mode_not_a_private_one(tmp_path: Path, mask: int) -> None:
    rpm = write_rpm(tmp_path)
    old = os.umask(mask)
    try:
        path = receipt.write(receipt_for(rpm), receipt.path_for(rpm))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_a_key_set_but_empty_is_refused() -> None:
    assert receipt.signing_key({}) is None
    assert receipt.signing_key({receipt.KEY_ENV: "k3y"}) == "k3y"
    for empty in ("", "  "):
        with pytest.raises(ConfigError, match="set but empty"):
            receipt.signing_key({receipt.KEY_ENV: empty})


@pytest.mark.parametrize(
    "text",
    ["[" * 200_000, '{"format": "rpmkit.receipt/2", "x": ' + "[" * 990 + "]" * 990 + "}"],
    ids=["unparsable", "parsable"],
)
def test_a_deeply_nested_receipt_is_refused_with_one_line(text: str) -> None:
    with pytest.raises(receipt.ReceiptInvalid):
        receipt.Receipt.parse(text)
