"""The balancer's config, runtime API commands and log: what an ELB would do, no more."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rpmkit.errors import RehearsalError
from rpmkit.rehearse import balancer

HEALTH = balancer.local_health("/health_check", 80, 200, 30.0, 5.0, 2, 5, 0.2)


def test_local_health_scales_the_real_balancers_times_and_keeps_its_thresholds() -> None:
    expected = balancer.HealthSettings("/health_check", 80, 200, 0.2, 0.1, 2, 5)
    assert expected == HEALTH
    # 5 s * 0.2 / 30 = 33 ms: below the floor.
    slow = balancer.local_health("/up", 8080, 204, 10.0, 8.0, 3, 2, 0.5)
    assert (slow.interval, slow.timeout, slow.rise, slow.fall) == (0.5, 0.4, 3, 2)


def test_config_checks_health_as_the_app_says_and_never_retries() -> None:
    servers = [balancer.Server("old1", "rpmkit-web-abc-old1", 80)]
    text = balancer.config(HEALTH, servers)
    lines = [line.strip() for line in text.splitlines()]
    assert "retries 0" in lines
    assert "no option redispatch" in lines
    assert "option httpclose" in lines
    assert 'http-after-response set-header X-Rpmkit-Server "%[srv_name]"' in lines
    assert not any(line.startswith(("option redispatch", "retry-on")) for line in lines)
    assert not any("observe" in line for line in lines)
    assert "option httpchk" in lines
    assert "http-check send meth GET uri /health_check ver HTTP/1.1 hdr Host localhost" in lines
    assert "http-check expect status 200" in lines
    assert "timeout check 100ms" in lines
    assert "balance roundrobin" in lines
    assert (
        "server old1 rpmkit-web-abc-old1:80 check inter 200ms fastinter 200ms "
        "downinter 200ms rise 2 fall 5"
    ) in lines
    assert f"stats socket {balancer.MOUNT}/{balancer.SOCKET_FILE} mode 666 level admin" in lines
    assert "bind :80" in lines


def test_config_checks_another_port_when_the_health_check_is_elsewhere() -> None:
    health = balancer.local_health("/status", 8081, 204, 30.0, 5.0, 2, 5, 0.2)
    text = balancer.config(health, [balancer.Server("old1", "web-old1", 8080)])
    assert "server old1 web-old1:8080 check" in text
    assert text.rstrip().endswith("fall 5 port 8081")
    assert "http-check expect status 204" in text


def test_a_target_added_at_run_time_waits_drained_and_down() -> None:
    commands = balancer.add_commands(balancer.Server("new1", "172.18.0.5", 80), HEALTH)
    assert commands == [
        "add server app/new1 172.18.0.5:80 check inter 200ms fastinter 200ms downinter 200ms "
        "rise 2 fall 5",
        "enable health app/new1",
        "set server app/new1 state drain",
        "set server app/new1 health down",
    ]


def test_switch_puts_the_new_group_in_service_and_drains_the_old() -> None:
    assert balancer.switch_commands(["new1", "new2"], ["old1"]) == [
        "set server app/new1 state ready",
        "set server app/new2 state ready",
        "set server app/old1 state drain",
    ]


# `show stat` has some 80 columns; the parser reads them by name from the header.
STAT = """\
# pxname,svname,qcur,scur,status,weight,check_status,check_code
web,FRONTEND,,2,OPEN,,,
app,old1,0,1,UP,1,L7OK,200
app,old2,0,0,UP 2/5,1,* L4TOUT,
app,new1,0,0,DOWN 1/2,1,L7OK,200
app,BACKEND,0,1,UP,2,,
"""


def test_parse_stat_reads_each_targets_state() -> None:
    states = balancer.parse_stat(STAT)
    assert set(states) == {"old1", "old2", "new1"}
    assert states["old1"] == balancer.ServerState("old1", "UP", "L7OK", 1)
    assert states["old1"].healthy
    # Going down: not healthy, not down yet; the check in progress is marked '*'.
    assert states["old2"].check == "L4TOUT"
    assert not states["old2"].healthy
    assert not states["old2"].down
    # One good check of the two it needs: still down.
    assert states["new1"].down
    assert not states["new1"].healthy


def test_parse_stat_refuses_anything_else() -> None:
    with pytest.raises(RehearsalError, match="unexpected answer"):
        balancer.parse_stat("Unknown command.\n")


def test_parse_log_names_the_target_of_each_request() -> None:
    log = "\n".join(
        [
            "rpmkit-request 0-1 old1 200 ---- 3",
            "rpmkit-request 1-1 old2 503 sC-- 1001",
            "rpmkit-request 2-1 <NOSRV> 503 SC-- 0",
            "rpmkit-request - old1 200 ---- 1",  # a request without the header: not ours
            "[WARNING]  (1) : Server app/old2 is DOWN",
        ]
    )
    served = balancer.parse_log(log)
    assert served == {
        "0-1": balancer.Served("old1", 200, "----"),
        "1-1": balancer.Served("old2", 503, "sC--"),
        "2-1": balancer.Served("<NOSRV>", 503, "SC--"),
    }


@pytest.fixture
def fake_haproxy(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """A unix socket that answers like HAProxy's runtime API; records what it was sent."""
    path = tmp_path / "admin.sock"
    received: list[str] = []
    answers = {"add server": "New server registered.", "del server": "Server deleted."}

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            line = self.rfile.readline().decode().strip()
            received.append(line)
            out = []
            for command in line.split("; "):
                answer = next((a for k, a in answers.items() if command.startswith(k)), "")
                if command.startswith("set server app/gone"):
                    answer = "No such server."
                out.append(answer + "\n")
            self.wfile.write("\n".join(out).encode())

    server = socketserver.ThreadingUnixStreamServer(str(path), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path, received
    server.shutdown()
    server.server_close()


def test_api_sends_each_batch_on_one_line(fake_haproxy: tuple[Path, list[str]]) -> None:
    path, received = fake_haproxy
    api = balancer.Api(path)
    api.add(balancer.Server("new1", "172.18.0.5", 80), HEALTH)
    api.run(*balancer.switch_commands(["new1"], ["old1"]))
    assert received[0].startswith("add server app/new1 172.18.0.5:80 check")
    assert received[1] == (
        "enable health app/new1; set server app/new1 state drain; set server app/new1 health down"
    )
    assert received[2] == "set server app/new1 state ready; set server app/old1 state drain"
    assert api.detach("old1") is True


def test_api_raises_when_the_balancer_refuses(fake_haproxy: tuple[Path, list[str]]) -> None:
    api = balancer.Api(fake_haproxy[0])
    with pytest.raises(RehearsalError, match="No such server"):
        api.run("set server app/gone state ready")


def test_api_without_a_balancer_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):  # noqa: PT011 - refused or missing: both mean "not up yet"
        balancer.Api(tmp_path / "none.sock", timeout=0.5).send("show stat")
