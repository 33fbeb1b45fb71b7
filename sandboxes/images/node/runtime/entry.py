"""Entry process of the JavaScript (Node.js) sandbox image: the job protocol and step runner are entrylib's (shared by
every image, see sandboxes/images/common/entrylib.py); each action here execs node in the step's forked child, which
entrylib has already confined (its pipes, CPU limit, session, environment).

Calls, programs and syntax checks run /opt/lms/harness.js from the V8 startup snapshot built into the image
(harness.blob); public tests run under node's own test runner, with its TAP report on fd 3.

Start-up is what a step pays most for, and most of Debian's node start-up (~25 ms of ~50) is the dynamic linker
binding the symbols of libnode and its dozen shared libraries. So the entry process loads libnode once, with every
symbol bound, while the container warms up (`prepare`), and each step's forked child calls node::Start in it
directly instead of exec'ing /usr/bin/node: the child inherits the linked library. Where libnode cannot be loaded
so, the child execs node as usual. Public tests always exec node: its test runner starts more nodes by
process.execPath, which must be node's own binary.
"""
import ctypes
import glob
import os
import signal
import sys

sys.path.insert(0, "/opt/lms")  # -I leaves the script's folder out of sys.path
from entrylib import WORK_DIR, Runtime, main  # noqa: E402

NODE = "/usr/bin/node"
# --no-warnings: node warns on stderr that the snapshot does not cover `vm` and `module` (they work); a learner's
# stderr must not start with our noise. --v8-pool-size=0: no V8 worker threads, which count against the pids limit.
HARNESS = [NODE, "--snapshot-blob", "/opt/lms/harness.blob", "--no-warnings", "--v8-pool-size=0"]
CHILD_ENV = {
    "HOME": "/work",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "TMPDIR": "/tmp",
    "NO_COLOR": "1",  # error output without terminal escapes
    "NODE_DISABLE_COLORS": "1",
}


NODE_START_SYMBOL = "_ZN4node5StartEiPPc"  # int node::Start(int argc, char** argv), what node's main() calls
node_start = None  # bound by load_libnode() in the entry process, inherited by every forked child


def load_libnode():
    global node_start
    try:
        library = ctypes.CDLL(sorted(glob.glob("/usr/lib/*/libnode.so.*"))[-1], mode=os.RTLD_NOW)
        node_start = getattr(library, NODE_START_SYMBOL)
    except (IndexError, OSError, AttributeError):
        return  # steps exec node instead
    node_start.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    node_start.restype = ctypes.c_int


def _learner_path(path):
    return os.path.join(WORK_DIR, path)


def _run_node(argv):
    """Become node with these arguments (argv[0] is node's path): node::Start in this forked child if libnode is
    loaded, else exec."""
    if node_start is None:
        os.execve(argv[0], argv, dict(os.environ))
    # As node's own main() does: SIGPIPE ignored (writes to a closed pipe fail with EPIPE); Python's SIGINT
    # handler is not node's. argv in one block, as libuv expects (it reuses that memory for process.title).
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    encoded = [arg.encode() for arg in argv]
    block = ctypes.create_string_buffer(b"".join(arg + b"\0" for arg in encoded))
    pointers = (ctypes.c_char_p * (len(argv) + 1))()
    offset = 0
    for index, arg in enumerate(encoded):
        pointers[index] = ctypes.cast(ctypes.addressof(block) + offset, ctypes.c_char_p)
        offset += len(arg) + 1
    return node_start(len(argv), pointers)


def action_calls(args):
    """The calls come on stdin (the step's stdin, written by the entry process); records go to fd 3."""
    return _run_node(HARNESS + ["calls"])


def action_program(args):
    return _run_node(HARNESS + ["program", _learner_path(args["path"])])


def action_check(args):
    return _run_node(HARNESS + ["check", *[_learner_path(p) for p in args["paths"]]])


def action_node_test(args):
    os.environ["NODE_OPTIONS"] = "--v8-pool-size=0"  # for the test files' own node processes too
    argv = [NODE, "--test", "--test-reporter=tap", "--test-reporter-destination=/proc/self/fd/3",
            *[_learner_path(p) for p in args["paths"]]]
    os.execve(NODE, argv, dict(os.environ))


ACTIONS = {"calls": action_calls, "program": action_program, "check": action_check, "node-test": action_node_test}
# A calls step's node needs nothing of the job to boot (the calls come on its stdin): one per phase is booted
# before the ready frame, so a step does not wait for node's start (entrylib.Prebooted).
RUNTIME = Runtime(actions=ACTIONS, child_env=CHILD_ENV, prepare=load_libnode, preboot=("calls",))

if __name__ == "__main__":
    # The result frames are written with os.write: nothing is buffered. Exiting at once closes the stream sooner.
    os._exit(main(RUNTIME))
