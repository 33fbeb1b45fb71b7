"""Entry process (placeholder until this image's actions land)."""
import os
import sys

sys.path.insert(0, "/opt/lms")
from entrylib import Runtime, main  # noqa: E402

if __name__ == "__main__":
    os._exit(main(Runtime(actions={}, child_env={"HOME": "/work", "PATH": "/usr/bin:/bin"})))
