"""Network egress and host services: every attempt fails inside the sandbox.

The submission's `add` is correct (two checks pass); its program prints what the probe got instead of the sum,
so the program check fails and the probe's own words come back in the captured output, which we assert on.
"""
from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

from graders.base import Verdict

from .conftest import THREE_CHECKS

TEMPLATE = """
import errno, socket

def add(a, b):
    return a + b

def connect(family, kind, address, payload=None):
    sock = socket.socket(family, kind)
    sock.settimeout(0.5)
    try:
        sock.connect(address)
        if payload is not None:
            sock.send(payload)
            data = sock.recv(512)
            return "CONNECTED got " + repr(data[:40])
        return "CONNECTED"
    except OSError as exc:
        return "BLOCKED " + (errno.errorcode.get(exc.errno or 0) or type(exc).__name__)
    finally:
        sock.close()

def probe():
{body}

if __name__ == "__main__":
    print(probe())
"""

# The host's Redis (the one the test suite uses): probed on the container's loopback and through the gateway.
REDIS = urlsplit(os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
REDIS_PORT = REDIS.port or 6379
INET, INET6, UNIX, STREAM, DGRAM = "socket.AF_INET", "socket.AF_INET6", "socket.AF_UNIX", "socket.SOCK_STREAM", \
    "socket.SOCK_DGRAM"
DNS_QUERY = "b'\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x07example\\x03com\\x00\\x00\\x01\\x00\\x01'"

PROBES = {
    "tcp-1.1.1.1-53": f"    return connect({INET}, {STREAM}, ('1.1.1.1', 53))",
    "udp-dns-query-1.1.1.1": f"    return connect({INET}, {DGRAM}, ('1.1.1.1', 53), {DNS_QUERY})",
    "dns-lookup": """    try:
        return "RESOLVED " + repr(socket.getaddrinfo("example.com", 443)[:1])
    except OSError as exc:
        return "BLOCKED " + type(exc).__name__""",
    "host-redis-via-loopback": f"    return connect({INET}, {STREAM}, ('127.0.0.1', {REDIS_PORT}), b'PING\\r\\n')",
    "host-redis-via-docker-gateway": f"    return connect({INET}, {STREAM}, ('172.17.0.1', {REDIS_PORT}), b'PING\\r\\n')",
    "docker-api-unix-socket": f"    return connect({UNIX}, {STREAM}, '/var/run/docker.sock', b'GET /info HTTP/1.0\\r\\n\\r\\n')",
    "docker-api-tcp-2375": f"    return connect({INET}, {STREAM}, ('172.17.0.1', 2375))",
    "cloud-metadata-169.254.169.254": f"    return connect({INET}, {STREAM}, ('169.254.169.254', 80), b'GET / HTTP/1.0\\r\\n\\r\\n')",
    "ipv6-egress": f"    return connect({INET6}, {STREAM}, ('2606:4700:4700::1111', 53))",
    "interfaces": """    names = sorted(name for _, name in socket.if_nameindex())
    return ("BLOCKED only " if names == ["lo"] else "CONNECTED interfaces ") + ",".join(names)""",
}


@pytest.mark.parametrize("name", list(PROBES))
def test_network_is_unreachable(hostile, name):
    grade, _ = hostile.check(TEMPLATE.format(body=PROBES[name]), Verdict.FAILED, THREE_CHECKS)
    said = grade.diagnostics["outputs"]["program"]
    assert said.startswith("BLOCKED"), said
    assert "CONNECTED" not in said and "RESOLVED" not in said


def test_the_redis_probe_would_succeed_from_the_host():
    """The host-service probes are meaningful: Redis does listen on the host's loopback."""
    with socket.create_connection((REDIS.hostname or "127.0.0.1", REDIS_PORT), timeout=2) as sock:
        sock.sendall(b"PING\r\n")
        assert sock.recv(16).startswith(b"+PONG")
