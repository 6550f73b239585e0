"""The errors rpmkit raises on purpose; `cli` turns them into exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130


class RpmkitError(Exception):
    """An expected failure: a one-line message, an optional hint and extra evidence."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str | None = None, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Evidence (a log tail, scriptlet output) printed below the one-line message.
        self.details = details

    def __str__(self) -> str:
        return self.message


class ConfigError(RpmkitError):
    """Bad configuration or command-line usage."""


class DockerUnavailable(RpmkitError):
    """The Docker engine cannot be reached."""


class ImageMissing(RpmkitError):
    """A base image rpmkit needs is not present and may not be fetched."""


class BuildError(RpmkitError):
    """rpmbuild, an image build or a tool it needs failed."""

    exit_code = EXIT_CHECK_FAILED


class InstallError(RpmkitError):
    """The RPM did not install cleanly."""

    exit_code = EXIT_CHECK_FAILED


class CheckFailed(RpmkitError):
    """A check ran and found a problem."""

    exit_code = EXIT_CHECK_FAILED


class GateRefused(RpmkitError):
    """The receipt does not let this RPM through to the bake."""

    exit_code = EXIT_CHECK_FAILED


class HandoffError(RpmkitError):
    """Publishing, aminate or the deploy tool failed or refused."""

    exit_code = EXIT_CHECK_FAILED


class RehearsalError(RpmkitError):
    """The rehearsal could not go on: the balancer or an instance misbehaved."""

    exit_code = EXIT_CHECK_FAILED
