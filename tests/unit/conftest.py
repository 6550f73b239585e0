"""Unit-test fixtures: nothing here reaches Docker or a package index."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def fixed_arch(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`rpmkit spec` without fetching wheels: the payload's arch is x86_64; returns the apps asked.

    Deciding the arch from real wheels is tested with the builder (tests/integration).
    """
    from rpmkit.commands import spec as spec_command

    asked: list[str] = []

    def decide(loaded: Any, *args: Any) -> str:
        asked.append(loaded.app.name)
        return "x86_64"

    monkeypatch.setattr(spec_command, "payload_arch", decide)
    return asked
