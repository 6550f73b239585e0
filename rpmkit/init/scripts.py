"""Scripts: one that serves HTTP itself (python-web), one with a `__main__` block (a worker)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from rpmkit.init import modules, serve

# Servers a script can start itself: (qualified name's end, index of host, index of port).
SERVER_CALLS = {
    "HTTPServer": None,
    "ThreadingHTTPServer": None,
    "TCPServer": None,
    "ThreadingTCPServer": None,
    "make_server": (0, 1),
}


def serving(parsed: list[modules.Module]) -> tuple[modules.Module, int] | None:
    """A top-level script that serves HTTP itself on a literal loopback-reachable port."""
    for module in parsed:
        if "." in module.name:
            continue
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            kind = module.qualified(node.func).rsplit(".", 1)[-1]
            if kind not in SERVER_CALLS:
                continue
            where = SERVER_CALLS[kind]
            if where is None:
                address = node.args[0]
                parts = address.elts if isinstance(address, ast.Tuple) else []
            else:
                parts = node.args[:2]
            values = [p.value for p in parts if isinstance(p, ast.Constant)]
            if len(values) != 2:
                continue
            host, port = values
            if (
                isinstance(host, str)
                and isinstance(port, int)
                and host in serve.LOOPBACK_REACHABLE
                and port >= serve.FIRST_UNPRIVILEGED
            ):
                return module, port
    return None


def find_worker(app_dir: Path) -> str | None:
    """A top-level script with an `if __name__ == "__main__":` block (a worker)."""
    for path in sorted(app_dir.glob("*.py")):
        if path.name in modules.SKIPPED_FILES or path.name.startswith("test_"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if re.search(r"^if __name__ == ['\"]__main__['\"]\s*:", text, re.MULTILINE):
            return path.name
    return None
