from dockyard.images.checks.health import listening_ports, probe_of

NS = 1_000_000_000
WEB = {
    "Healthcheck": {
        "Test": ["CMD-SHELL", "curl -fsS -o /dev/null http://127.0.0.1:80/health/ || exit 1"],
        "Interval": 30 * NS,
        "Timeout": 10 * NS,
        "StartPeriod": 40 * NS,
        "StartInterval": 1 * NS,
        "Retries": 3,
    }
}


def test_shell_probe_with_url_is_http_on_its_port():
    probe = probe_of(WEB)
    assert probe is not None and probe.http_port == 80
    assert (probe.interval, probe.start_period, probe.start_interval, probe.retries) == (30, 40, 1, 3)
    assert probe.summary().endswith("(every 30s, start period 40s, every 1s while starting)")


def test_exec_probe_and_default_ports():
    assert probe_of({"Healthcheck": {"Test": ["CMD", "wget", "-q", "https://localhost/x"]}}).http_port == 443
    assert probe_of({"Healthcheck": {"Test": ["CMD", "curl", "http://[::1]:5555/h"]}}).http_port == 5555
    celery = probe_of({"Healthcheck": {"Test": ["CMD-SHELL", "celery --app config.celery inspect ping"]}})
    assert celery.http_port is None and celery.interval is None


def test_no_healthcheck_or_none():
    assert probe_of({}) is None
    assert probe_of({"Healthcheck": {"Test": ["NONE"]}}) is None


PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1
   1: 0100007F:15B3 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2 1
   2: 0100007F:0050 0100007F:A0B2 01 00000000:00000000 00:00000000 00000000  1000        0 3 1
  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 0 0
"""


def test_listening_ports_reads_listen_state_only():
    assert listening_ports(PROC_NET_TCP) == {80, 5555, 8080}
    assert listening_ports("") == set()
