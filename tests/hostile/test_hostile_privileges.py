"""Privilege probes: who the learner's code runs as, and every privileged operation it tries fails.

As in the network cases, `add` is correct and the program prints what the probe saw instead of the sum: the
program check fails (two checks of three pass) and the probe's words come back in the captured output.
A probe line is `name=denied(ERRNO)` when the operation failed and `name=ALLOWED(...)` when it worked.
"""
from __future__ import annotations

import re

import pytest

from graders.base import Verdict

from .conftest import THREE_CHECKS

TEMPLATE = """
import ctypes, errno, os, socket

libc = ctypes.CDLL(None, use_errno=True)

def add(a, b):
    return a + b

def attempt(name, action):
    try:
        result = action()
    except OSError as exc:
        return f"{{name}}=denied({{errno.errorcode.get(exc.errno, exc.errno)}})"
    return f"{{name}}=ALLOWED({{result!r}})"

def syscall(name, function, *args):
    def call():
        if function(*args) != 0:
            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number))
        return "returned 0"
    return attempt(name, call)

def write(path):
    def action():
        with open(path, "a") as handle:
            handle.write("owned")
        return path
    return action

def probe():
{body}

if __name__ == "__main__":
    print(probe())
"""

PROBES = {
    "identity": """    return f"uid={os.getuid()} euid={os.geteuid()} gid={os.getgid()} egid={os.getegid()}\"""",
    "capabilities": """    with open("/proc/self/status") as handle:
        caps = [line.split() for line in handle if line.startswith("Cap")]
    return " ".join(f"{name}{value}" for name, value in caps)""",
    "no-new-privileges-and-seccomp": """    with open("/proc/self/status") as handle:
        fields = dict(line.split(":", 1) for line in handle if ":" in line)
    with open("/proc/version") as handle:
        kernel = handle.read().split()[2]
    return f"NoNewPrivs={fields.get('NoNewPrivs', '?').strip()} Seccomp={fields.get('Seccomp', '?').strip()} kernel={kernel}\"""",
    "setuid-setgid": """    return " ".join([attempt("setuid0", lambda: os.setuid(0)), attempt("setgid0", lambda: os.setgid(0)),
                     attempt("setgroups", lambda: os.setgroups([0])), attempt("seteuid0", lambda: os.seteuid(0))])""",
    "mount": """    os.makedirs("/tmp/mnt", exist_ok=True)
    return " ".join([syscall("mount-tmpfs", libc.mount, b"none", b"/tmp/mnt", b"tmpfs", 0, None),
                     syscall("remount-root-rw", libc.mount, None, b"/", None, 32 | 4096, None),
                     syscall("umount-proc", libc.umount2, b"/proc", 2)])""",
    "unshare": """    # CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET
    return " ".join([syscall("unshare-user", libc.unshare, 0x10000000),
                     syscall("unshare-mount", libc.unshare, 0x00020000),
                     syscall("unshare-net", libc.unshare, 0x40000000)])""",
    "raw-and-packet-sockets": """    return " ".join([attempt("raw-icmp", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)),
                     attempt("packet", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW))])""",
    "docker-socket": """    found = [p for p in ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock")
             if os.path.exists(p)]
    return "denied(absent)" if not found else f"ALLOWED({found})\"""",
    "read-only-root": """    return " ".join(attempt(path, write(path)) for path in
                    ("/etc/passwd", "/etc/new-file", "/usr/bin/python3", "/opt/lms/entry.py", "/bin/sh", "/.owned"))""",
    "kernel-interfaces": """    return " ".join([attempt("core_pattern", write("/proc/sys/kernel/core_pattern")),
                     attempt("sysrq", write("/proc/sysrq-trigger")),
                     attempt("cgroup-memory", write("/sys/fs/cgroup/memory/memory.limit_in_bytes")),
                     attempt("cgroup-pids", write("/sys/fs/cgroup/pids/pids.max")),
                     attempt("kmsg", lambda: open("/dev/kmsg").read(1)),
                     attempt("mem", lambda: open("/dev/mem", "rb").read(1))])""",
    "ptrace-and-memory-of-the-entry-process": """    parent = os.getppid()
    return " ".join([syscall("ptrace-attach", libc.ptrace, 16, parent, None, None),
                     attempt("mem", lambda: open(f"/proc/{parent}/mem", "rb").read(1)),
                     attempt("fd-stdout", lambda: os.open(f"/proc/{parent}/fd/1", os.O_WRONLY))])""",
    "chroot-and-mknod": """    return " ".join([attempt("chroot", lambda: os.chroot("/tmp")),
                     attempt("mknod", lambda: os.mknod("/tmp/sda", 0o600 | 0o060000, os.makedev(8, 0))),
                     attempt("open-block-device", lambda: open("/tmp/sda", "rb").read(512)),
                     attempt("mknod-work", lambda: os.mknod("/work/mem", 0o600 | 0o020000, os.makedev(1, 1))),
                     attempt("open-char-device", lambda: open("/work/mem", "rb").read(16)),
                     syscall("bpf", libc.syscall, 321, 0, None, 0),
                     syscall("perf_event_open", libc.syscall, 298, None, 0, -1, -1, 0)])""",
    "environment-holds-no-secret": """    keys = sorted(os.environ)
    try:
        with open("/proc/1/environ", "rb") as handle:
            keys += sorted(k.split(b"=")[0].decode() for k in handle.read().split(b"\\0") if k)
    except OSError:
        pass
    return "env " + " ".join(keys)""",
}

# gVisor is its own kernel: some operations an ordinary kernel refuses are sandboxed there (unshare gives a new
# namespace inside the sandbox; bpf and perf_event_open do not exist; /proc/<pid>/fd ignores non-dumpable).
# What matters under it is that nothing reaches the host: the probes below must not be ALLOWED but for those.
# A device node can even be made in gVisor's tmpfs, but it leads to no host device (opening it fails).
RUNSC_MAY_ALLOW = {"unshare-user", "unshare-net", "unshare-mount", "fd-stdout", "mknod", "mknod-work"}
EXPECTED = {
    "identity": {"runc": "uid=10001 euid=10001 gid=10001 egid=10001",
                 "runsc": "uid=10001 euid=10001 gid=10001 egid=10001"},
    "capabilities": {"runc": "CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 "
                             "CapBnd:0000000000000000 CapAmb:0000000000000000"},
    "no-new-privileges-and-seccomp": {"runc": re.compile(r"NoNewPrivs=1 Seccomp=2 kernel=\S+"),
                                      "runsc": re.compile(r"NoNewPrivs=\? Seccomp=0 kernel=4\.4\.0")},
    "docker-socket": {"runc": "denied(absent)", "runsc": "denied(absent)"},
}
SECRET_WORDS = ("KEY", "SECRET", "TOKEN", "PASSWORD", "REDIS", "DATABASE", "AWS", "DOCKER")


@pytest.mark.parametrize("name", list(PROBES))
def test_privileged_operations_fail(hostile, name):
    grade, _ = hostile.check(TEMPLATE.format(body=PROBES[name]), Verdict.FAILED, THREE_CHECKS)
    said = grade.diagnostics["outputs"]["program"].strip()
    expected = EXPECTED.get(name, {}).get(hostile.runtime)
    if isinstance(expected, str):
        assert said == expected
    elif expected is not None:
        assert expected.fullmatch(said), said
    if name == "capabilities":
        assert "CapEff:0000000000000000" in said  # under every runtime
    if name == "environment-holds-no-secret":
        assert said.startswith("env ") and not any(word in said.upper() for word in SECRET_WORDS), said
    allowed = re.findall(r"(\S+)=ALLOWED", said)
    may = RUNSC_MAY_ALLOW if hostile.runtime == "runsc" else set()
    assert set(allowed) <= may, said
    if name not in EXPECTED and name != "environment-holds-no-secret" and not allowed:
        assert "denied(" in said, said
    if name == "chroot-and-mknod":
        assert "open-block-device=denied(" in said and "open-char-device=denied(" in said, said
