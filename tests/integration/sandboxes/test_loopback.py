"""Inside a sandbox there is no network, but loopback works as a learner expects: `localhost` and the
container's own hostname resolve (Docker writes no /etc/hosts for a container with networking disabled; the
image's glibc resolves them), and a server the learner's code starts on localhost can be reached from it."""
import pytest

from graders import get_grader
from graders.base import ExerciseSpec, Verdict

CODE = '''
import socket
import threading


def names():
    own = socket.gethostbyname(socket.gethostname())  # a loopback address (127.0.0.2 from glibc's myhostname)
    return [socket.gethostname(), socket.gethostbyname("localhost"), own.startswith("127.")]


def echo_over_localhost():
    server = socket.create_server(("localhost", 0))
    port = server.getsockname()[1]

    def serve():
        connection, _ = server.accept()
        connection.sendall(connection.recv(16).upper())
        connection.close()

    threading.Thread(target=serve, daemon=True).start()
    with socket.create_connection(("localhost", port), timeout=2) as client:
        client.sendall(b"ping")
        return client.recv(16).decode()


def outside():
    try:
        return socket.gethostbyname("deb.debian.org")
    except OSError:
        return "unresolved"
'''


@pytest.mark.parametrize("runtime", ["runc", "runsc"])
def test_localhost_resolves_and_loopback_carries_traffic(runner, runtime):
    if runtime not in runner.available_runtimes():
        pytest.skip(f"{runtime} is not installed on this engine")
    spec = ExerciseSpec.from_dict({
        "kind": "python", "files": ["solution.py"], "points": 3, "runtime": runtime,
        "checks": [
            {"id": "names", "name": "names", "call": {"function": "names"},
             "expect": ["sandbox", "127.0.0.1", True]},
            {"id": "echo", "name": "echo", "call": {"function": "echo_over_localhost"}, "expect": "PING"},
            {"id": "outside", "name": "outside", "call": {"function": "outside"}, "expect": "unresolved"},
        ],
    })
    grader = get_grader("python")
    plan = grader.plan(spec, {"solution.py": CODE})
    result = grader.judge(spec, plan, runner.run(plan))
    assert result.verdict == Verdict.PASSED, result.diagnostics
    assert result.score == 3
