"""Hand-off: aminate and deploy commands built as argument lists, run, and their output parsed.

The fake `aminate`, `sfapp` and `createrepo_c` are real executables put first on PATH;
they record their argv and print what the real tools print.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rpmkit import atomic, cli, config, receipt
from rpmkit.errors import ConfigError, HandoffError
from rpmkit.handoff import config as handoff_config
from rpmkit.handoff import tools as handoff
from rpmkit.rpm import Nevra, sha256_file
from tests.unit.handoff_helpers import (
    AMINATOR_LOG,
    BAKED_AMI,
    BASE_AMI,
    FAKE_AMINATE,
    FAKE_CREATEREPO,
    FAKE_SFAPP,
    RPM_NAME,
    calls,
    fake_tool,
    put_first_on_path,
    write_app,
    write_receipt,
    write_rpm,
)

HANDOFF_TOML = """
[bake]
# `sudo` is part of the default template; the tests have no sudo.
command = ["aminate", "-B", "{base_ami}", "--vm-type", "hvm", "{name}", "--partition", "1"]

[publish]
repo = "../yum"

[deploy.environments.test]
instance_type = "t3.small"
min = 1
max = 3

[deploy.environments.prod]
instance_type = "m5.large"
min = 3
max = 12
"""


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fake aminate, sfapp and createrepo_c, first on PATH."""
    bin_dir = tmp_path / "bin"
    fake_tool(bin_dir, "aminate", FAKE_AMINATE)
    fake_tool(bin_dir, "sfapp", FAKE_SFAPP)
    fake_tool(bin_dir, "createrepo_c", FAKE_CREATEREPO)
    put_first_on_path(monkeypatch, bin_dir)
    for name in ("RPMKIT_BASE_AMI", receipt.KEY_ENV, "FAKE_AMINATE", "FAKE_SFAPP"):
        monkeypatch.delenv(name, raising=False)
    return bin_dir


@pytest.fixture
def app(tmp_path: Path, bin_dir: Path) -> Path:
    """An app whose RPM passed the check a minute ago, with a directory repository."""
    app = write_app(tmp_path, HANDOFF_TOML)
    (tmp_path / "yum").mkdir()
    # As `rpmkit check APP` writes it: the app's own check, with its config's probe.
    write_receipt(write_rpm(app / "dist"), app="hello-world", probe=APP_PROBE)
    return app


@pytest.fixture
def published(app: Path, tmp_path: Path) -> Path:
    """The app's RPM already in the directory repository (for `bake --no-publish`)."""
    rpm = app / "dist" / RPM_NAME
    (tmp_path / "yum" / RPM_NAME).write_bytes(rpm.read_bytes())
    return tmp_path / "yum" / RPM_NAME


def _main(*args: str) -> int | str | None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(args))
    return exit_info.value.code


APP_PROBE = "8080 /status 200"  # the [health_check] of handoff_helpers.APP_TOML
NEVRA = Nevra("hello-world", None, "1.0.0", "1", "noarch")

# Building the commands: pure.


def test_the_default_commands_are_the_well_known_forms(tmp_path: Path) -> None:
    rpm = Path("/dist") / RPM_NAME
    values = handoff.bake_values(rpm, BASE_AMI, NEVRA, "0" * 64)
    # The exact build the gate passed, never the name alone.
    assert handoff.render(handoff_config.DEFAULT_BAKE_COMMAND, values, "bake.command") == [
        "sudo", "/usr/local/bin/aminate", "-B", BASE_AMI, "--vm-type", "hvm",
        "hello-world-1.0.0-1.noarch", "--partition", "1",
    ]  # fmt: skip
    app = config.load(write_app(tmp_path, HANDOFF_TOML)).app
    prod = handoff.environment(app, "prod")
    assert handoff.render(
        handoff_config.DEFAULT_DEPLOY_COMMAND,
        handoff.deploy_values(app, "prod", BAKED_AMI, prod),
        "deploy.command",
    ) == [
        "sfapp", "deploy", "hello-world", "--env", "prod", "--ami", BAKED_AMI,
        "--instance-type", "m5.large", "--min-instances", "3", "--max-instances", "12",
    ]  # fmt: skip
    assert handoff.render(
        handoff_config.DEFAULT_SCAFFOLD_COMMAND,
        handoff.scaffold_values(app, "prod"),
        "scaffold.command",
    ) == [
        "sfapp", "create_application", "hello-world", "--health-check-url", "/status",
        "--port", "8080", "--protocol", "HTTP", "--env", "prod",
    ]  # fmt: skip


def test_values_with_spaces_or_shell_characters_arrive_as_single_arguments(
    tmp_path: Path, bin_dir: Path
) -> None:
    target = tmp_path / "pwned"
    nasty = f"a b; touch {target} && $(touch {target}) `touch {target}` | cat > {target} 'q' \"d\""
    tricky = "{name} {{x}} %s \\ *"
    argv = handoff.render(
        ["show-argv", "--tag={v}", "{v}", "{w}", "{{literal}}", ""],
        {"v": nasty, "w": tricky},
        "test.command",
    )
    assert argv == ["show-argv", f"--tag={nasty}", nasty, tricky, "{literal}", ""]
    fake_tool(bin_dir, "show-argv", "print(json.dumps(sys.argv[1:]))\n")
    lines: list[str] = []
    done = handoff.run(argv, lines.append)
    assert done.returncode == 0
    assert json.loads(lines[0]) == argv[1:]
    assert calls(bin_dir, "show-argv") == [argv[1:]]
    assert not target.exists()


@pytest.mark.parametrize(
    ("section", "placeholder"),
    [("bake", "{base_amii}"), ("bake", "{ami}"), ("deploy", "{instance}"), ("scaffold", "{url}")],
)
def test_an_unknown_placeholder_is_a_config_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str, placeholder: str
) -> None:
    app = write_app(tmp_path, f'\n[{section}]\ncommand = ["tool", "--x", "{placeholder}"]\n')
    with pytest.raises(ConfigError) as error:
        config.load(app)
    message = error.value.message
    assert f"{section}.command: argument 2 '{placeholder}': unknown placeholder {placeholder}" in (
        message
    )
    args = [section, str(app)] + ([] if section == "bake" else ["--env", "test"])
    assert _main(*args) == 2
    assert placeholder in capsys.readouterr().err


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[bake]\ncommand = []", "bake.command: must be a non-empty list"),
        ('[bake]\ncommand = ["a", "{name:>9}"]', "takes no format spec"),
        ('[bake]\ncommand = ["a", "{name"]', "bake.command: argument 1"),
        ('[bake]\nbase_ami = "ami-12"', "bake.base_ami: 'ami-12' is not an AMI id"),
        ('[bake]\ntarget_profile = "al3"', "unknown profile 'al3'"),
        ('[bake]\nmax_receipt_age = "1 week"', "is not a duration"),
        ('[publish]\nrepo = "https://u:p@h/r"', "must not carry credentials"),
        ('[publish]\npassword = "x"', "publish.password: unknown field"),
        ('[deploy.environments.prod]\ninstance_type = "m5.large"\nmin = 4\nmax = 2', "min (4)"),
        ('[deploy.environments.prod]\ninstance_type = "m5 large"\nmin = 2\nmax = 2', "instance"),
        ('[deploy.environments."prod; rm"]\ninstance_type = "m5.large"\nmin = 2\nmax = 2', "env"),
        ('[scaffold]\nprotocol = "UDP"', "scaffold.protocol"),
    ],
)
def test_every_handoff_value_is_validated(tmp_path: Path, toml: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(needle)):
        config.load(write_app(tmp_path, "\n" + toml + "\n"))


def test_the_ami_id_comes_from_aminators_log() -> None:
    assert handoff.parse_ami(AMINATOR_LOG) == BAKED_AMI
    no_registered = "\n".join(li for li in AMINATOR_LOG.splitlines() if "registered" not in li)
    assert handoff.parse_ami(no_registered) == BAKED_AMI
    assert handoff.parse_ami("[INFO] Looking up base AMI with ID ami-0123456789abcdef0") is None
    assert handoff.parse_ami("AMI registered: ami-11111111 a\nAMI registered: ami-22222222 b") == (
        "ami-22222222"
    )


def test_a_missing_tool_is_named() -> None:
    with pytest.raises(HandoffError, match="cannot run no-such-tool-here"):
        handoff.run(["no-such-tool-here"], lambda _: None)


# The commands, end to end with the fake tools.


def test_bake_gates_publishes_runs_aminate_and_deploy_passes_the_ami_on(
    app: Path, bin_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rpm = app / "dist" / RPM_NAME
    assert _main("bake", str(app), "--base-ami", BASE_AMI) == 0
    assert calls(bin_dir, "createrepo_c") == [["--update", str(app / "../yum")]]
    assert (tmp_path / "yum" / RPM_NAME).read_bytes() == rpm.read_bytes()
    assert calls(bin_dir, "aminate") == [
        ["-B", BASE_AMI, "--vm-type", "hvm", "hello-world", "--partition", "1"]
    ]
    out, err = capsys.readouterr()
    assert "gate passed" in out
    assert f"ami: {BAKED_AMI}" in out
    assert "Amination complete!" in err  # streamed
    assert (app / "dist" / "aminate.out").read_text() == AMINATOR_LOG
    record = json.loads(handoff.record_path(rpm).read_text())
    assert record["ami"] == BAKED_AMI
    assert record["rpm"] == {
        "file": RPM_NAME, "sha256": sha256_file(rpm), "nevra": "hello-world-1.0.0-1.noarch"
    }  # fmt: skip
    assert record["log"] == str((app / "dist" / "aminate.out").resolve())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["baked_at"])
    assert handoff.record_path(rpm) == rpm.parent / f"{RPM_NAME}.bake.json"
    usual = 0o666 & ~atomic.umask()  # readable by a gate or a publisher running as another user
    for output in (handoff.record_path(rpm), tmp_path / "yum" / RPM_NAME):
        assert stat.S_IMODE(output.stat().st_mode) == usual, output

    assert _main("deploy", str(app), "--env", "prod") == 0
    assert calls(bin_dir, "sfapp") == [
        ["deploy", "hello-world", "--env", "prod", "--ami", BAKED_AMI, "--instance-type",
         "m5.large", "--min-instances", "3", "--max-instances", "12"],
    ]  # fmt: skip
    out, err = capsys.readouterr()
    assert f"deployed: hello-world {BAKED_AMI} to prod" in out
    assert "warning" not in err


def test_a_minimum_below_two_instances_is_allowed_with_a_warning(
    app: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main("deploy", str(app), "--env", "test", "--ami", "ami-0aaaaaaaaaaaaaaaa") == 0
    assert calls(bin_dir, "sfapp")[0][5:] == [
        "ami-0aaaaaaaaaaaaaaaa", "--instance-type", "t3.small", "--min-instances", "1",
        "--max-instances", "3",
    ]  # fmt: skip
    assert "warning: test: min 1 instance: losing it means an outage" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("mode", "needle"),
    [
        ("fail", "Could not find base AMI"),
        ("no-ami", "printed no AMI id"),
    ],
)
def test_a_failed_bake_exits_1_with_the_last_lines_of_the_log(
    app: Path,
    published: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mode: str,
    needle: str,
) -> None:
    monkeypatch.setenv("FAKE_AMINATE", mode)
    assert _main("-q", "bake", str(app), "--base-ami", BASE_AMI, "--no-publish") == 1
    err = capsys.readouterr().err
    assert needle in err
    assert f"full log: {app / 'dist' / 'aminate.out'}" in err
    assert "  | " in err  # the log's tail, below the one-line message
    assert not handoff.record_path(app / "dist" / RPM_NAME).exists()


def test_the_id_line_is_the_fallback(
    app: Path, published: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAKE_AMINATE", "id-only")
    assert _main("-q", "bake", str(app), "--base-ami", BASE_AMI, "--no-publish") == 0
    assert f"ami: {BAKED_AMI}" in capsys.readouterr().out


def test_a_refused_gate_bakes_and_publishes_nothing(
    app: Path, bin_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rpm = app / "dist" / RPM_NAME
    rpm.write_bytes(rpm.read_bytes() + b"!")
    assert _main("bake", str(app), "--base-ami", BASE_AMI) == 1
    err = capsys.readouterr().err
    assert "changed after the check" in err
    assert f"run `rpmkit check {app}`" in err
    assert calls(bin_dir, "aminate") == []
    assert calls(bin_dir, "createrepo_c") == []
    assert list((tmp_path / "yum").iterdir()) == []


def test_another_profiles_receipt_needs_accept_profile(
    app: Path, published: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_receipt(app / "dist" / RPM_NAME, profile="offline", app="hello-world", probe=APP_PROBE)
    assert _main("bake", str(app), "--base-ami", BASE_AMI, "--no-publish") == 1
    assert calls(bin_dir, "aminate") == []
    assert "--accept-profile offline" in capsys.readouterr().err
    args = ("bake", str(app), "--base-ami", BASE_AMI, "--no-publish", "--accept-profile", "offline")
    assert _main(*args) == 0
    assert len(calls(bin_dir, "aminate")) == 1
    assert "warning: accepting" in capsys.readouterr().err


def test_dry_run_prints_every_command_and_runs_none(
    app: Path, bin_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main("bake", str(app), "--base-ami", BASE_AMI, "--dry-run") == 0
    rpm = app / "dist" / RPM_NAME
    yum = app / "../yum"
    assert [line for line in capsys.readouterr().out.splitlines() if "dry run" in line] == [
        f"dry run: cp {rpm} {yum / RPM_NAME}",
        f"dry run: createrepo_c --update {yum}",
        f"dry run: aminate -B {BASE_AMI} --vm-type hvm hello-world --partition 1",
    ]
    for args in (["deploy", "--env", "prod", "--ami", BAKED_AMI], ["scaffold", "--env", "test"]):
        assert _main(args[0], str(app), *args[1:], "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"dry run: sfapp deploy hello-world --env prod --ami {BAKED_AMI}" in out
    assert "dry run: sfapp create_application hello-world --health-check-url /status" in out
    for tool in ("aminate", "createrepo_c", "sfapp"):
        assert calls(bin_dir, tool) == []
    assert list((tmp_path / "yum").iterdir()) == []
    assert not handoff.record_path(rpm).exists()


def test_the_base_ami_comes_from_the_option_the_environment_or_the_config(
    app: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def baked_on(*extra: str) -> str:
        code = _main("bake", str(app), "--no-publish", "--dry-run", *extra)
        out, err = capsys.readouterr()
        if code != 0:
            return f"exit {code}: {err.strip()}"
        return out.split("aminate -B ")[1].split()[0]

    assert "no base AMI to bake on; pass --base-ami, set RPMKIT_BASE_AMI" in baked_on()
    toml = app / "rpmkit.toml"
    toml.write_text(toml.read_text().replace("[bake]", '[bake]\nbase_ami = "ami-0ccccccc"'))
    assert baked_on() == "ami-0ccccccc"
    monkeypatch.setenv("RPMKIT_BASE_AMI", "ami-0eeeeeee")
    assert baked_on() == "ami-0eeeeeee"
    assert baked_on("--base-ami", "ami-0aaaaaaa") == "ami-0aaaaaaa"
    assert baked_on("--base-ami", "ami-0aaa; id").startswith("exit 2")


def test_an_rpm_alone_bakes_with_the_default_command(
    tmp_path: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rpm = write_rpm(tmp_path / "dist")
    write_receipt(rpm)
    repo = str(tmp_path / "yum")
    args = ("bake", str(rpm), "--base-ami", BASE_AMI, "--no-publish", "--repo", repo, "--dry-run")
    assert _main(*args) == 0
    assert (
        f"dry run: sudo /usr/local/bin/aminate -B {BASE_AMI} --vm-type hvm "
        "hello-world-1.0.0-1.noarch --partition 1" in capsys.readouterr().out
    )


def test_deploy_needs_a_bake_record_for_this_very_rpm(
    app: Path, published: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main("deploy", str(app), "--env", "prod") == 2
    assert "has no bake record" in capsys.readouterr().err
    assert _main("-q", "bake", str(app), "--base-ami", BASE_AMI, "--no-publish") == 0
    rpm = app / "dist" / RPM_NAME
    rpm.write_bytes(rpm.read_bytes() + b"rebuilt")
    assert _main("deploy", str(app), "--env", "prod") == 1
    assert f"changed after it was baked into {BAKED_AMI}" in capsys.readouterr().err
    assert calls(bin_dir, "sfapp") == []


def test_deploy_names_the_configured_environments_and_reports_failures(
    app: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main("deploy", str(app), "--env", "staging", "--ami", BAKED_AMI) == 2
    err = capsys.readouterr().err
    assert "no environment 'staging' in the app config (configured: prod, test)" in err
    monkeypatch.setenv("FAKE_SFAPP", "fail")
    assert _main("deploy", str(app), "--env", "prod", "--ami", BAKED_AMI) == 1
    err = capsys.readouterr().err
    assert "exited with status 2" in err
    assert "  | sfapp: deployment failed: ASG did not become healthy" in err


def test_scaffold_uses_the_checks_health_check(
    app: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main("scaffold", str(app), "--env", "test") == 0
    assert calls(bin_dir, "sfapp") == [
        ["create_application", "hello-world", "--health-check-url", "/status", "--port", "8080",
         "--protocol", "HTTP", "--env", "test"],
    ]  # fmt: skip
    assert "scaffolded: hello-world in test" in capsys.readouterr().out


def test_scaffold_values_carry_the_load_balancer_timings(tmp_path: Path) -> None:
    extra = "\n[health_check.load_balancer]\ninterval = 10.0\ntimeout = 2.5\n"
    app = config.load(write_app(tmp_path, extra)).app
    values = handoff.scaffold_values(app, "prod")
    assert values["interval"] == "10"
    assert values["timeout"] == "2.5"
    assert values["healthy_threshold"] == "2"
    assert set(values) == handoff_config.SCAFFOLD_PLACEHOLDERS
    values = set(handoff.bake_values(Path(RPM_NAME), BASE_AMI, NEVRA, "0" * 64))
    assert values == handoff_config.BAKE_PLACEHOLDERS


def test_a_bake_that_installed_another_build_is_refused(
    app: Path, bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bake machine's yum picked another build of the same name from the repository.
    log = "Installed:\n  hello-world-1.0.0-2.noarch\nAMI registered: ami-0fedcba9876543210 x\n"
    rpm = app / "dist" / RPM_NAME
    fake_tool(bin_dir, "aminate", f"print({log!r})")
    put_first_on_path(monkeypatch, bin_dir)
    with pytest.raises(HandoffError, match="aminate installed hello-world-1.0.0-2.noarch, not"):
        handoff.bake(["aminate"], rpm, "0" * 64, lambda line: None, NEVRA)
    assert handoff.read_record(rpm) is None
    fake_tool(bin_dir, "aminate", f"print({log.replace('-2.noarch', '-1.noarch')!r})")
    assert handoff.bake(["aminate"], rpm, "0" * 64, lambda line: None, NEVRA).ami.startswith("ami")


@pytest.mark.parametrize(
    ("log", "seen"),
    [
        ("Installed:\n  hello-world-1.0.0-2.noarch\n", ["hello-world-1.0.0-2.noarch"]),
        ("Installed:\n  hello-world.noarch 0:1.0.0-2\n", ["hello-world-1.0.0-2.noarch"]),
        # dnf's and yum's transaction tables, alone.
        (
            "Installing:\n hello-world   noarch   1.0.0-2   team-repo   16 k\n",
            ["hello-world-1.0.0-2.noarch"],
        ),
        (
            " hello-world  x86_64  1:1.0.0-2.amzn2023  team  1.2 M\n",
            ["hello-world-1.0.0-2.amzn2023.x86_64"],
        ),
        (" hello-world-extras  noarch  9-9  team  1 k\n", []),  # another package
    ],
)
def test_the_installed_build_is_read_from_every_form_yum_and_dnf_print(
    log: str, seen: list[str]
) -> None:
    assert handoff.installed_nevras(log, "hello-world") == seen


def test_rpm_file_names_are_parsed() -> None:
    assert handoff.rpm_name(Path("my-app-2.0-3.el9.x86_64.rpm")) == handoff.RpmName(
        "my-app", "2.0", "3.el9", "x86_64"
    )
    with pytest.raises(ConfigError, match="not a binary RPM file name"):
        handoff.rpm_name(Path("myapp.rpm"))


def test_no_publish_bakes_only_when_the_repository_holds_these_very_bytes(
    app: Path, bin_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("-q", "bake", str(app), "--base-ami", BASE_AMI, "--no-publish")
    rpm = app / "dist" / RPM_NAME
    assert _main(*args) == 1  # not there: the bake would install something else
    assert "not in the repository" in capsys.readouterr().err
    # Another build of the same version, published without the gate.
    (tmp_path / "yum" / RPM_NAME).write_bytes(rpm.read_bytes() + b"unchecked rebuild")
    assert _main(*args) == 1
    assert "the bake would install another build of this version" in capsys.readouterr().err
    # The right bytes, but another file of the same NEVRA beside them.
    (tmp_path / "yum" / RPM_NAME).write_bytes(rpm.read_bytes())
    (tmp_path / "yum" / "copy-of-it.rpm").write_bytes(rpm.read_bytes() + b"rebuilt")
    assert _main(*args) == 1
    assert "also holds copy-of-it.rpm" in capsys.readouterr().err
    assert calls(bin_dir, "aminate") == []
    (tmp_path / "yum" / "copy-of-it.rpm").unlink()
    assert _main(*args) == 0
    assert len(calls(bin_dir, "aminate")) == 1
    assert calls(bin_dir, "createrepo_c") == []  # verified, not published


def test_no_publish_needs_a_repository_to_verify(
    tmp_path: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rpm = write_rpm(tmp_path / "dist")
    write_receipt(rpm)
    assert _main("bake", str(rpm), "--base-ami", BASE_AMI, "--no-publish") == 2
    assert "no repository to publish to" in capsys.readouterr().err
    assert calls(bin_dir, "aminate") == []


STOPPABLE_AMINATE = """
import signal, time
marks = os.environ["STOP_MARKS"]

def stopped(signum, frame):
    with open(marks + ".done", "w") as fh:
        fh.write(signal.Signals(signum).name)
    sys.exit(1)

for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(sig, stopped)
open(marks + ".started", "w").close()
time.sleep(30)
"""


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_a_stopped_bake_passes_the_signal_to_aminate(
    app: Path, published: Path, bin_dir: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    # CI cancelling a job signals rpmkit alone: aminate must hear of it, once, and clean up.
    fake_tool(bin_dir, "aminate", STOPPABLE_AMINATE)
    marks = tmp_path / "aminate"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rpmkit", "-q", "bake", str(app), "--base-ami", BASE_AMI,
         "--no-publish"],
        env={**os.environ, "STOP_MARKS": str(marks)}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not Path(f"{marks}.started").exists():
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    began = time.monotonic()
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 128 + sig, out
    assert time.monotonic() - began < 10  # not aminate's 30 s
    assert Path(f"{marks}.done").read_text() == sig.name
    assert not handoff.record_path(app / "dist" / RPM_NAME).exists()
