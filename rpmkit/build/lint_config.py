"""The `[rpmlint]` config section: findings an app accepts, each with a path and a reason."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from rpmkit.fields import Line, Model, pattern

CHECK_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+%-]*$")
# An absolute path pattern: `*` and `?` within one path segment, `**` across them.
_PATH_PATTERN = re.compile(r"/[A-Za-z0-9._/+@=:,*?~-]*")
NEW_FORM = 'accept = [{ check = "CHECK", path = "/PATH/PATTERN", reason = "why it is right here" }]'


def _path_pattern(value: str) -> str:
    if not _PATH_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an absolute path pattern (letters, digits, ._/+@=:,~- and the "
            "wildcards * ? **)"
        )
    return value


CheckName = Annotated[str, Field(max_length=100), pattern(CHECK_RE, "an rpmlint check name")]
PathPattern = Annotated[str, Field(max_length=1000), AfterValidator(_path_pattern)]


class Accept(Model):
    """One rpmlint finding the app accepts: which check, on which paths, and why."""

    check: CheckName
    """The rpmlint check (`non-executable-script`); one the profile's rpmlint knows."""
    path: PathPattern
    """The files it is accepted on: an absolute pattern, `**` any depth, `*` and `?` in a
    segment."""
    reason: Line
    """Why the finding is right there; printed with it and kept in the build log."""


class Rpmlint(Model):
    """rpmlint settings: the findings (errors or warnings) the app accepts."""

    accept: list[Accept] = []
    """Findings (errors or warnings) accepted, each with its check, path pattern and reason."""

    @model_validator(mode="before")
    @classmethod
    def _no_filters(cls, data: Any) -> Any:
        if isinstance(data, dict) and "filters" in data:
            raise ValueError(
                "'filters' is gone: accept each finding with its check, a path pattern and "
                f"the reason, {NEW_FORM}"
            )
        return data
