from __future__ import annotations

from rpmkit.cli import main

main()
