"""One shell per instance: the same results as an exec each, one exec in all, and a way back."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from rpmkit import engine as engines
from rpmkit.engine import Container

from .conftest import Start

COMMANDS = [
    ["true"],
    ["sh", "-c", "echo out; echo err >&2; exit 3"],
    ["printf", "%s", "no newline at the end"],
    ["echo", 'it\'s "quoted"\nsecond line $HOME `id` $(id)'],
    ["sh", "-c", "echo one; echo two >&2; echo three; echo four >&2"],
    ["sh", "-c", "head -c 400000 /dev/zero | tr '\\0' x; echo; echo the tail"],  # cut in the middle
    ["cat"],  # standard input is empty: returns at once
    ["sh", "-c", "kill -SEGV $$"],
    ["ls", "/no/such/path"],
]


@pytest.fixture
def instance(start_container: Start, offline_images: dict[str, str]) -> Container:
    started = start_container(offline_images["runtime"], ["sleep", "infinity"], tmpfs={"/run": ""})
    return engines.connect().container(started.name)


def _counting(container: Container) -> list[Any]:
    """Every exec the engine is asked to create in `container`, from now on."""
    created: list[Any] = []
    api = container._api
    original = api.exec_create

    def exec_create(*args: Any, **kwargs: Any) -> Any:
        created.append(args)
        return original(*args, **kwargs)

    api.exec_create = exec_create
    return created


def test_the_session_answers_as_an_exec_would(instance: Container) -> None:
    plain = [instance.exec(argv) for argv in COMMANDS]
    created = _counting(instance)
    with instance.session():
        shared = [instance.exec(argv) for argv in COMMANDS]
    assert len(created) == 1  # the session's own shell: one exec for every command
    for argv, a, b in zip(COMMANDS, plain, shared, strict=True):
        assert (b.rc, b.stdout, b.stderr, b.timed_out) == (a.rc, a.stdout, a.stderr, a.timed_out), (
            argv
        )
    assert shared[1].rc == 3
    assert shared[5].stdout.endswith("x\nthe tail\n")
    assert "bytes of output cut" in shared[5].stdout
    assert shared[7].rc == 139


def test_a_timeout_kills_the_command_as_an_exec_does(instance: Container) -> None:
    plain = instance.exec(["sleep", "5"], timeout=0.5)
    with instance.session():
        shared = instance.exec(["sleep", "5"], timeout=0.5)
        after = instance.exec(["echo", "still here"])
    assert (shared.rc, shared.timed_out, shared.stderr) == (plain.rc, plain.timed_out, plain.stderr)
    assert shared.timed_out
    assert after.stdout == "still here\n"


def test_the_token_is_nowhere_a_process_in_the_instance_can_read_it(instance: Container) -> None:
    """Not on a command line nor in an environment: output cannot end a command early."""
    with instance.session():
        session = instance._session
        shown = instance.exec(
            ["sh", "-c", "cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | tr '\\0' ' '"]
        )
        assert "sleep infinity" in shown.stdout
        assert session._mark.decode() not in shown.stdout
        forged = instance.exec(["sh", "-c", "printf '\\n@@rpmkit %s 0\\n' x; exit 4"])
        assert forged.rc == 4


def test_a_busy_session_sends_the_next_command_to_its_own_exec(instance: Container) -> None:
    with instance.session():
        instance.exec(["true"])
        slow = threading.Thread(target=instance.exec, args=(["sleep", "2"],))
        slow.start()
        time.sleep(0.3)
        began = time.monotonic()
        quick = instance.exec(["echo", "beside"])
        took = time.monotonic() - began
        slow.join()
    assert quick.stdout == "beside\n"
    assert took < 1.5  # it did not wait for the sleep to end


def test_a_session_whose_shell_was_killed_falls_back_to_execs(instance: Container) -> None:
    with instance.session():
        assert instance.exec(["echo", "first"]).stdout == "first\n"
        # From outside the session (a user makes it an exec of its own): its shell, killed.
        killer = instance.exec(["pkill", "-9", "-f", "read -r m"], user="root")
        assert killer.rc == 0, killer.output
        created = _counting(instance)
        after = instance.exec(["sh", "-c", "echo fine; exit 5"])
        again = instance.exec(["echo", "again"])
    assert (after.rc, after.stdout) == (5, "fine\n")
    assert again.stdout == "again\n"
    assert len(created) == 2  # an exec each: the session is not started again


def test_a_warm_session_starts_its_shell_beside_an_exec_of_its_own(instance: Container) -> None:
    created = _counting(instance)
    instance.open_session(warm=True)
    try:
        own = instance.exec(["sh", "-c", "sleep 0.3; echo own"], own=True)
        queries = [instance.exec(["echo", str(i)]) for i in range(5)]
    finally:
        instance.close_session()
    assert own.stdout == "own\n"
    assert [q.stdout for q in queries] == [f"{i}\n" for i in range(5)]
    assert len(created) == 2  # the `own` command's exec and the session's shell


def test_a_stopped_shell_is_given_up_and_the_command_runs_on_its_own_exec(
    instance: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rpmkit.engine import session as session_module

    monkeypatch.setattr(session_module, "QUERY_LIMIT", 1.0)
    with instance.session():
        assert instance.exec(["echo", "first"]).stdout == "first\n"
        stopper = instance.exec(["pkill", "-STOP", "-f", "read -r m"], user="root")
        assert stopper.rc == 0, stopper.output
        began = time.monotonic()
        after = instance.exec(["sh", "-c", "echo fine; exit 5"])
        took = time.monotonic() - began
    assert (after.rc, after.stdout) == (5, "fine\n")
    assert took < 5
