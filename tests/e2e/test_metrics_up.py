"""`ketnap up` gives every service its own metrics port, prints where, and each serves there."""

from __future__ import annotations

import random
import socket
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from ketnap.platform.settings import SERVICES
from tests.e2e.up import Up


def free_ports_in_a_row(count: int, taken: set[int]) -> int:
    """The first of `count` ports in a row that can be bound now, none of them one the stack is about to
    take. Drawn below the kernel's ephemeral range: a port found free by binding port 0 lies inside it,
    where the stack's own outgoing connections (NATS, PostgreSQL clients) may take it before the service
    that should serve there starts."""
    low, _high = (int(n) for n in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
    while True:
        first = random.randrange(20000, low - count)
        row = range(first, first + count)
        if not taken.intersection(row) and all(bindable(port) for port in row):
            return first


def bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def samples(url: str) -> list:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return [s for family in text_string_to_metric_families(answer.read().decode()) for s in family.samples]


def test_ketnap_up_serves_each_services_metrics_on_its_own_port_and_prints_where(stack: Up) -> None:
    first = free_ports_in_a_row(len(SERVICES), {int(v) for k, v in stack.env.items() if k.startswith("KETNAP_") and k.endswith("_PORT")})
    stack.env["KETNAP_METRICS_PORT"] = str(first)
    stack.start()
    summary = "".join(stack.output)
    urls = {name: f"http://127.0.0.1:{first + i}/metrics" for i, name in enumerate(SERVICES)}
    for name, url in urls.items():
        assert any(line.startswith(f"  {name} ") and line.rstrip().endswith(f"số liệu {url}") for line in stack.output), summary
    with urllib.request.urlopen(f"http://127.0.0.1:{stack.env['KETNAP_GATEWAY_PORT']}/healthz", timeout=10) as answer:
        assert answer.status == 200
    gateway = samples(urls["gateway"])
    assert any(s.name == "ketnap_http_request_duration_seconds_count" and s.labels.get("route") == "/healthz"
               and s.labels.get("status") == "200" and s.value >= 1 for s in gateway)
    # The lags are read a moment after the service starts: wait for the first reading.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if any(s.name == "ketnap_relay_lag_events" and s.labels == {"service": "registry", "log": "registry"}
               for s in samples(urls["registry"])):
            return
        time.sleep(0.2)
    raise AssertionError("the registry's relay lag was never served")
