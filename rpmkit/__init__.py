"""rpmkit: know in a second whether an RPM installs, boots and passes its health check."""

from __future__ import annotations

__version__ = "0.1.0"
