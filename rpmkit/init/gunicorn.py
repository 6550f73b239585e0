"""A gunicorn configuration file, read without running it: where it binds, what it needs.

gunicorn reads `./gunicorn.conf.py` from its working directory by itself, and
any other file named with `--config`; settings on the command line win over
the file's (gunicorn's "Configuration Overview"). Values are worked out from
literals, module-level names, f-strings, `+`, `%`, `str()`/`int()` and
`os.environ.get(NAME, default)`: the service's unit sets no environment, so
the default is what gunicorn sees.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_FILES = ("gunicorn.conf.py", "gunicorn_config.py", "gunicorn_conf.py", "gunicorn.py")
# Worker classes that need a package of their own (gunicorn's `worker_class` setting).
WORKER_PACKAGES = {"gevent": "gevent", "eventlet": "eventlet", "tornado": "tornado"}
# Settings that write files: fine when they go to stdout/stderr ("-").
FILE_SETTINGS = ("accesslog", "errorlog", "pidfile")


class Unknown(Exception):
    """A value that cannot be worked out without running the file."""


@dataclass(frozen=True)
class Settings:
    """What rpmkit init reads from one gunicorn configuration file."""

    file: str  # relative to the app folder
    values: dict[str, object]  # setting -> value, for the settings it could work out
    unknown: dict[str, str]  # setting -> the expression it could not work out
    required_env: tuple[str, ...] = field(default=())  # os.environ["X"] read without a default

    @property
    def bind(self) -> list[str] | None:
        """The bind addresses, as a list (gunicorn takes one string or a list)."""
        value = self.values.get("bind")
        if isinstance(value, str):
            return [value]
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return list(value)
        return None

    def describe(self) -> str:
        """`bind 0.0.0.0:8085, workers 4` for messages; unknown ones with their expression."""
        parts = []
        for key in ("bind", "workers", "worker_class", "wsgi_app"):
            if key in self.values:
                value = self.values[key]
                shown = ", ".join(value) if isinstance(value, list | tuple) else value
                parts.append(f"{key} {shown}")
            elif key in self.unknown:
                parts.append(f"{key} = {self.unknown[key]} (worked out when gunicorn starts)")
        return ", ".join(parts) or "no bind or workers setting"


def find(app_dir: Path) -> Path | None:
    """The app's gunicorn configuration file, if it has one of the usual names."""
    for name in CONFIG_FILES:
        if (app_dir / name).is_file():
            return app_dir / name
    return None


def read(path: Path, app_dir: Path, environ: dict[str, str] | None = None) -> Settings:
    """The module-level settings of a gunicorn configuration file; Unknown for a syntax error.

    `environ` is what the service's unit sets: it wins over `os.environ.get` defaults.
    """
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError) as exc:
        raise Unknown(f"{path.name} does not parse: {exc}") from None
    evaluator = _Evaluator(environ or {})
    unknown: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            try:
                evaluator.names[target.id] = evaluator.eval(node.value)
                unknown.pop(target.id, None)
            except Unknown:
                evaluator.names.pop(target.id, None)
                unknown[target.id] = ast.unparse(node.value)
    return Settings(
        file=path.relative_to(app_dir).as_posix(),
        values=dict(evaluator.names),
        unknown=unknown,
        required_env=tuple(evaluator.required),
    )


def problems(settings: Settings, user: str) -> list[str]:
    """Settings that stop gunicorn under the app's systemd unit, each with what to do instead."""
    found = []
    where = settings.file
    if settings.values.get("daemon") is True:
        found.append(
            f"{where}: daemon = True makes gunicorn fork away, so systemd sees the service "
            "exit at once: remove it (systemd keeps the service in the background)"
        )
    for key in ("user", "group"):
        if settings.values.get(key) not in (None, ""):
            found.append(
                f"{where}: {key} = {settings.values[key]!r}: the service already runs as "
                f"{user!r} and cannot switch {key}: remove it"
            )
    for key in FILE_SETTINGS:
        value = settings.values.get(key)
        if isinstance(value, str) and value != "-" and not value.startswith(("/tmp/", "/var/tmp/")):
            found.append(
                f"{where}: {key} = {value!r}: the service user {user!r} cannot write there "
                "(the app's files are root's): "
                + ("remove it" if key == "pidfile" else f'use {key} = "-" (the journal)')
            )
    return found


class _Evaluator:
    """A small evaluator for the constant expressions gunicorn files use."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.environ = environ
        self.names: dict[str, object] = {}
        self.required: list[str] = []

    def eval(self, node: ast.expr) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            raise Unknown(node.id)
        if isinstance(node, ast.List | ast.Tuple):
            return [self.eval(e) for e in node.elts]
        if isinstance(node, ast.JoinedStr):
            return "".join(
                str(self.eval(v.value)) if isinstance(v, ast.FormattedValue) else str(self.eval(v))
                for v in node.values
            )
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            name = str(self.eval(node.slice))
            if name in self.environ:
                return self.environ[name]
            self.required.append(name)
            raise Unknown(f"os.environ[{name!r}]")
        raise Unknown(ast.unparse(node))

    def _binop(self, node: ast.BinOp) -> object:
        left, right = self.eval(node.left), self.eval(node.right)
        if (
            isinstance(node.op, ast.Add)
            and type(left) is type(right)
            and isinstance(left, str | int)
        ):
            return left + right  # type: ignore[operator]
        if isinstance(node.op, ast.Mod) and isinstance(left, str):
            return left % (tuple(right) if isinstance(right, list) else right)
        if isinstance(left, int) and isinstance(right, int) and isinstance(node.op, ast.Mult):
            return left * right
        raise Unknown(ast.unparse(node))

    def _call(self, node: ast.Call) -> object:
        func = ast.unparse(node.func)
        args = [self.eval(a) for a in node.args]
        if func in ("str", "int") and len(args) == 1:
            return str(args[0]) if func == "str" else int(str(args[0]))
        if func in ("os.environ.get", "environ.get", "os.getenv", "getenv") and args:
            if str(args[0]) in self.environ:
                return self.environ[str(args[0])]
            if len(args) < 2:
                raise Unknown(func)  # None when unset: gunicorn's default applies
            return args[1]
        raise Unknown(ast.unparse(node))


def _is_environ(node: ast.expr) -> bool:
    return ast.unparse(node) in ("os.environ", "environ")
