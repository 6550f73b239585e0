"""What the app's package ships and runs: `[[services]]`, `[nginx]`, `[[files]]`, `[[dirs]]`
and `[scripts]` of the app config, as the spec templates render them."""

from __future__ import annotations

import re

from pydantic import model_validator

from rpmkit.fields import (
    AbsPath,
    EnvName,
    HostPort,
    Mode,
    Model,
    Port,
    RelPath,
    ServerName,
    Text,
    Unit,
    UnitLine,
    User,
)

# chkconfig and rpmlint want init script names without '.' (or systemd's '@').
SYSV_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class Service(Model):
    """A long-running process: a systemd unit (or a SysV init script with `init = "sysv"`)."""

    name: Unit | None = None
    """The unit is `<name>.service`. Default: the app's name, then `<name>-2`, `<name>-3`..."""
    command: UnitLine
    """`ExecStart=`. A bare first word is the venv's: `gunicorn ...` runs
    `/opt/<name>/venv/bin/gunicorn ...`; a first word holding `/` is kept as it is."""
    user: User | None = None
    """`User=` and `Group=`, a system user and group made in `%pre`. Default: the app's name
    (set `user` when that is not a valid user name)."""
    working_directory: AbsPath | None = None
    """`WorkingDirectory=`. Default: `/opt/<name>/app`."""
    environment: dict[EnvName, UnitLine] = {}
    """One `Environment="NAME=value"` line each; a value may hold no `"`, `\\` or `%`."""
    port: Port | None = None
    """Where the service listens: checked after boot; the first one is nginx's upstream."""
    enabled: bool = True
    """Enabled at boot by the app's preset; `false` declares it not started at boot (started
    by hand): the check then does not ask it to run."""

    @model_validator(mode="after")
    def _no_quotes(self) -> Service:
        for key, value in self.environment.items():
            if '"' in value or "\\" in value:
                raise ValueError(f"environment.{key}: must not contain '\"' or '\\'")
        return self


class Nginx(Model):
    """nginx in front of the app. python-web and static-site always get a server block,
    with these defaults when the section is absent; when it is present, its `port` is
    also checked as listening."""

    port: Port = 80
    """`listen <port> default_server`."""
    upstream: HostPort | None = None
    """python-web: `proxy_pass http://<upstream>`. Default: `127.0.0.1:<first service port>`."""
    server_name: ServerName = "_"
    """`server_name`."""


class FileEntry(Model):
    """An extra file from the app's sources, installed at `dest`."""

    source: RelPath
    """The file in the app directory; it must exist and not be excluded from the tarball."""
    dest: AbsPath
    """Where it is installed."""
    mode: Mode = "0644"
    """`%attr` mode."""
    owner: User = "root"
    """`%attr` owner; checked after install."""
    group: User = "root"
    """`%attr` group; checked after install."""
    config: bool = False
    """`%config(noreplace)`: an edited file is kept on upgrade and saved on erase."""


class DirEntry(Model):
    """An extra directory the package owns (`%dir`). An owner other than `root` must exist
    at install time: a service user, or a user of the base system."""

    path: AbsPath
    """The directory."""
    mode: Mode = "0755"
    """`%attr` mode."""
    owner: User = "root"
    """`%attr` owner; checked after install."""
    group: User = "root"
    """`%attr` group; checked after install."""


class Scripts(Model):
    """Shell lines appended, after rpmkit's own, to the package's scriptlets. `$1` is what
    rpm passes: 1 on install and 2 on upgrade in `%pre`/`%post`, 0 on erase and 1 on
    upgrade in `%preun`/`%postun`; guard erase-only clean-up with `if [ $1 -eq 0 ]`. A
    scriptlet's status is its last command's: a failing last line fails the install."""

    pre: Text = ""
    """Appended to `%pre`."""
    post: Text = ""
    """Appended to `%post`."""
    preun: Text = ""
    """Appended to `%preun`."""
    postun: Text = ""
    """Appended to `%postun`."""
