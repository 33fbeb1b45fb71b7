"""Which content source a library folder is: a stable name, its kind (folder or git checkout), where it is, and the
commit of a checkout. Nothing here touches the database: `importer.py` records what this finds.

The name, first found of:
1. the operator's `--source NAME`;
2. `name:` in a `source.yaml` at the library root (the bundled exercises/ say `bundled-demo`);
3. the checkout's `origin` remote, credentials and `.git` dropped (`github.com/org/content`), followed by
   `#<folder>` when the library is a folder inside the repository;
4. the library's resolved path.
The first three survive moving the folder. A path does not: a library moved without a name becomes a new source,
and its uuids, still owned by the old one, are refused at import rather than silently taken.
"""
from __future__ import annotations

import getpass
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lms.catalog.content import ContentError, read_yaml
from lms.catalog.models import SourceKind

SOURCE_FILE = "source.yaml"
# Chosen names have no "/", so they never meet a name taken from a remote or a path.
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_NAME_LENGTH = 255
GIT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SourceIdentity:
    name: str
    named_by: str  # "--source", "source.yaml", "git remote" or "path"
    kind: str
    location: str
    git_commit: str | None


@dataclass(frozen=True)
class Checkout:
    top: Path
    commit: str | None  # None before the first commit
    remote: str | None


def identify_source(root: Path | str, name: str | None = None) -> SourceIdentity:
    root = Path(root).resolve()
    checkout = find_checkout(root)
    if name is not None:
        named_by = "--source"
        check_name(name, "--source")
    elif (root / SOURCE_FILE).is_file():
        named_by, name = "source.yaml", read_source_file(root / SOURCE_FILE)
    elif checkout and checkout.remote:
        named_by, name = "git remote", remote_name(checkout.remote, checkout.top)
        if root != checkout.top:
            name += "#" + root.relative_to(checkout.top).as_posix()
    else:
        named_by, name = "path", str(root)
    if len(name) > MAX_NAME_LENGTH:
        raise ContentError(f"{root}: source name longer than {MAX_NAME_LENGTH} characters ({name}); "
                           f"name the source in {SOURCE_FILE} or with --source")
    return SourceIdentity(name=name, named_by=named_by, kind=SourceKind.GIT if checkout else SourceKind.FOLDER,
                          location=str(root), git_commit=checkout.commit if checkout else None)


def check_name(name: str, where: str) -> None:
    if not isinstance(name, str) or not SOURCE_NAME.match(name):
        raise ContentError(f"{where}: a source name is lowercase letters, digits, '.', '_' and '-' "
                           f"(at most 64, starting with a letter or digit), not {name!r}")


def read_source_file(path: Path) -> str:
    data = read_yaml(path)
    if set(data) != {"name"}:
        raise ContentError(f"{path}: takes only name (the source's stable name)")
    check_name(data["name"], str(path))
    return data["name"]


def find_checkout(root: Path) -> Checkout | None:
    """The git checkout holding root, if any (and git is installed and trusts it)."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    return Checkout(top=Path(top).resolve(), commit=_git(root, "rev-parse", "--verify", "--quiet", "HEAD"),
                    remote=_git(root, "config", "--get", "remote.origin.url"))


def _git(root: Path, *args: str) -> str | None:
    # The caller's GIT_DIR or GIT_WORK_TREE (a hook, say) must not point git at another repository.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env,
                              timeout=GIT_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def remote_name(url: str, top: Path) -> str:
    """`github.com/org/content` for https://user:token@github.com/org/content.git, ssh://git@github.com:22/org/
    content and git@github.com:org/content.git alike: no credentials, port or scheme (they change, the repository
    does not); a local remote gives its resolved path."""
    if "://" in url:
        parts = urlsplit(url)
        host, path = (parts.hostname or "").lower(), parts.path
    elif ":" in url.split("/", 1)[0]:  # scp-like: [user@]host:path
        user_host, path = url.split(":", 1)
        host = user_host.rsplit("@", 1)[-1].lower()
    else:
        host, path = "", url
    path = path.rstrip("/").removesuffix(".git")
    if host:
        return f"{host}/{path.lstrip('/')}"
    return str((top / path).resolve())  # an absolute path stays itself; a relative one is the checkout's


def current_operator() -> str | None:
    """Who runs the command: the account behind sudo (scripts/run.sh re-runs itself as root), else the user."""
    try:
        return os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):
        return None
