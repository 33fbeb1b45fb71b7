"""Safe extraction of uploaded archives (zip, tar, tar.gz/.bz2/.xz) into memory: {relative_path: bytes}.

Nothing is written to disk and nothing is returned unless the whole archive passed every check:
- names: relative, no `..`, no empty part, no NUL or other control character, no backslash, no drive letter,
  bounded length and depth, no duplicate (nor a file where another entry needs a directory);
- entries: regular files and directories only (no symlink, hard link, device, FIFO, sparse file, encrypted zip
  member), at most `max_entries` of them;
- sizes: each file at most `max_file_bytes`, all files at most `max_total_bytes`, checked on the declared sizes
  before any data is read and again on what decompression really yields (never more than the cap is inflated);
- compression ratio: an entry (zip) or the archive's content (tar.gz) inflating more than `max_ratio` times is a
  bomb once it is over `ratio_min_bytes`.

Any violation raises ArchiveRejected with a message meant for the uploader.
"""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass


class ArchiveRejected(ValueError):
    """The archive is refused; `reason` says why, in words the uploader understands."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 200  # files and directories
    max_total_bytes: int = 1024 * 1024  # uncompressed, all files
    max_file_bytes: int = 256 * 1024  # uncompressed, one file
    max_archive_bytes: int = 4 * 1024 * 1024  # the upload itself
    max_ratio: float = 100.0
    ratio_min_bytes: int = 4 * 1024  # smaller entries may compress as well as they like
    max_path_length: int = 255
    max_depth: int = 16


DEFAULT_ARCHIVE_LIMITS = ArchiveLimits()
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TAR_OVERHEAD_PER_ENTRY = 3 * 512 + 1024  # header, long-name/pax records, padding
_TAR_TRAILER = 20 * 512  # end-of-archive blocks and record padding


def clean_path(name: str, is_dir: bool, limits: ArchiveLimits) -> str:
    """The normalised relative path of an entry, or ArchiveRejected."""
    shown = repr(name[:80])
    if not isinstance(name, str) or not name:
        raise ArchiveRejected("an entry has no name")
    if "\x00" in name:
        raise ArchiveRejected(f"entry {shown}: NUL byte in the name")
    if _CONTROL.search(name):
        raise ArchiveRejected(f"entry {shown}: control character in the name")
    if "\\" in name:
        raise ArchiveRejected(f"entry {shown}: backslash in the name")
    if _DRIVE.match(name):
        raise ArchiveRejected(f"entry {shown}: drive letter in the name")
    if name.startswith("/"):
        raise ArchiveRejected(f"entry {shown}: absolute path")
    if len(name) > limits.max_path_length:
        raise ArchiveRejected(f"entry {shown}: name longer than {limits.max_path_length} characters")
    body = name[:-1] if is_dir and name.endswith("/") else name
    parts = body.split("/")
    if ".." in parts:
        raise ArchiveRejected(f"entry {shown}: '..' in the path")
    # "./a" (as `tar -C dir .` writes) is fine; "a//b" or "a/" for a file is not.
    while parts and parts[0] == ".":
        parts.pop(0)
    if not parts or "" in parts or "." in parts:
        if not parts and is_dir:
            return ""  # the archive's own root, "./"
        raise ArchiveRejected(f"entry {shown}: empty or '.' part in the path")
    if len(parts) > limits.max_depth:
        raise ArchiveRejected(f"entry {shown}: nested deeper than {limits.max_depth} folders")
    return "/".join(parts)


class _Collector:
    """Accumulates entries, enforcing counts, names and sizes as they come."""

    def __init__(self, limits: ArchiveLimits):
        self.limits = limits
        self.files: dict[str, bytes] = {}
        self.names: set[str] = set()  # files declared so far (their data is read later)
        self.dirs: set[str] = set()
        self.entries = 0
        self.total = 0

    def count(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise ArchiveRejected(f"more than {self.limits.max_entries} entries")

    def declare(self, path: str, is_dir: bool, size: int = 0) -> None:
        """Check a name and a declared size before any data is read."""
        if not path:
            return
        if path in self.names or path in self.dirs:
            if not (is_dir and path in self.dirs):
                raise ArchiveRejected(f"duplicate entry {path[:80]!r}")
        parents = path.split("/")[:-1]
        for depth in range(1, len(parents) + 1):
            parent = "/".join(parents[:depth])
            if parent in self.names:
                raise ArchiveRejected(f"entry {path[:80]!r}: {parent[:80]!r} is a file")
        if is_dir:
            self.dirs.add(path)
            return
        if size < 0:
            raise ArchiveRejected(f"entry {path[:80]!r}: negative size")
        if size > self.limits.max_file_bytes:
            raise ArchiveRejected(f"entry {path[:80]!r} is {size} bytes uncompressed, "
                                  f"over the {self.limits.max_file_bytes} bytes allowed per file")
        if self.total + size > self.limits.max_total_bytes:
            raise ArchiveRejected(f"more than {self.limits.max_total_bytes} bytes uncompressed in all")
        self.total += size
        self.names.add(path)
        for depth in range(1, len(parents) + 1):
            self.dirs.add("/".join(parents[:depth]))

    def add(self, path: str, data: bytes, declared: int) -> None:
        if len(data) != declared:
            raise ArchiveRejected(f"entry {path[:80]!r}: its data does not match its declared size")
        self.files[path] = data


def _check_ratio(name: str, uncompressed: int, compressed: int, limits: ArchiveLimits) -> None:
    if uncompressed > limits.ratio_min_bytes and uncompressed > limits.max_ratio * max(compressed, 1):
        raise ArchiveRejected(f"{name[:80]!r} inflates {uncompressed} bytes from {compressed}: "
                              f"over {limits.max_ratio:.0f}:1, a compression bomb")


# --- zip ------------------------------------------------------------------------------------------------------

def _zip_kind(info: zipfile.ZipInfo) -> str:
    kind = stat.S_IFMT(info.external_attr >> 16)
    if info.create_system == 3 and kind:  # made on Unix with a file type: it says what the entry is
        if kind == stat.S_IFDIR:
            return "dir"
        if kind == stat.S_IFREG:
            return "dir" if info.filename.endswith("/") else "file"
        if kind == stat.S_IFLNK:
            return "symlink"
        return "special"
    if info.external_attr & 0x10 or info.filename.endswith("/"):  # MS-DOS directory attribute
        return "dir"
    return "file"


def extract_zip(data: bytes, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ArchiveRejected(f"not a readable zip archive ({exc})") from None
    collector = _Collector(limits)
    accepted: list[tuple[zipfile.ZipInfo, str]] = []
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise ArchiveRejected(f"more than {limits.max_entries} entries")
        # Every check on the central directory first: nothing is inflated before the whole archive passed them.
        for info in infos:
            collector.count()
            kind = _zip_kind(info)
            if kind == "symlink":
                raise ArchiveRejected(f"entry {info.filename[:80]!r} is a symbolic link")
            if kind == "special":
                raise ArchiveRejected(f"entry {info.filename[:80]!r} is not a regular file or folder")
            if info.flag_bits & 0x1:
                raise ArchiveRejected(f"entry {info.filename[:80]!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                                          zipfile.ZIP_LZMA):
                raise ArchiveRejected(f"entry {info.filename[:80]!r}: unsupported compression")
            # orig_filename: zipfile cuts `filename` at a NUL byte, a trick to hide the real name.
            path = clean_path(info.orig_filename, kind == "dir", limits)
            collector.declare(path, kind == "dir", 0 if kind == "dir" else info.file_size)
            if kind == "file":
                _check_ratio(info.filename, info.file_size, info.compress_size, limits)
                accepted.append((info, path))
        for info, path in accepted:
            try:
                with archive.open(info) as handle:
                    content = handle.read(info.file_size + 1)  # never inflate more than declared (+1 to see a lie)
            except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError,
                    zlib.error, lzma.LZMAError) as exc:
                raise ArchiveRejected(f"entry {info.filename[:80]!r} is corrupt ({exc})") from None
            collector.add(path, content, info.file_size)
    return collector.files


# --- tar ------------------------------------------------------------------------------------------------------

class _CappedReader(io.RawIOBase):
    """A read-only stream that refuses to yield more than `cap` bytes: decompression stops there."""

    def __init__(self, inner, cap: int):
        self.inner = inner
        self.cap = cap
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        room = self.cap - self.consumed
        if room <= 0:
            if self.inner.read(1):
                raise ArchiveRejected("the archive inflates to more than its files may hold")
            return 0
        chunk = self.inner.read(min(len(buffer), room))
        buffer[:len(chunk)] = chunk
        self.consumed += len(chunk)
        return len(chunk)


def _decompressor(data: bytes):
    if data[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb")
    if data[:3] == b"BZh":
        return bz2.BZ2File(io.BytesIO(data), mode="rb")
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(io.BytesIO(data), mode="rb")
    return io.BytesIO(data)


def extract_tar(data: bytes, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS) -> dict[str, bytes]:
    cap = limits.max_total_bytes + limits.max_entries * _TAR_OVERHEAD_PER_ENTRY + _TAR_TRAILER
    stream = io.BufferedReader(_CappedReader(_decompressor(data), cap), buffer_size=64 * 1024)
    collector = _Collector(limits)
    try:
        # Stream mode: headers are read in order and a member's data only when we ask for it, after its checks.
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                collector.count()
                if member.issym():
                    raise ArchiveRejected(f"entry {member.name[:80]!r} is a symbolic link")
                if member.islnk():
                    raise ArchiveRejected(f"entry {member.name[:80]!r} is a hard link")
                if member.issparse():
                    raise ArchiveRejected(f"entry {member.name[:80]!r} is a sparse file")
                if not (member.isdir() or member.type in (tarfile.REGTYPE, tarfile.AREGTYPE)):
                    raise ArchiveRejected(f"entry {member.name[:80]!r} is not a regular file or folder")
                path = clean_path(member.name, member.isdir(), limits)
                collector.declare(path, member.isdir(), 0 if member.isdir() else member.size)
                if member.isdir():
                    continue
                _check_ratio("the archive", collector.total, len(data), limits)
                handle = archive.extractfile(member)
                content = handle.read(member.size + 1) if handle is not None else b""
                collector.add(path, content, member.size)
    except ArchiveRejected:
        raise
    except (tarfile.TarError, OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as exc:
        raise ArchiveRejected(f"not a readable tar archive ({exc})") from None
    return collector.files


# --- entry point ----------------------------------------------------------------------------------------------

def extract_archive(data: bytes, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS) -> dict[str, bytes]:
    """The files of a zip or tar (optionally gzip, bzip2 or xz compressed) archive, after every check."""
    if not isinstance(data, (bytes, bytearray)):
        raise ArchiveRejected("the upload is not binary data")
    data = bytes(data)
    if len(data) > limits.max_archive_bytes:
        raise ArchiveRejected(f"the archive is larger than {limits.max_archive_bytes} bytes")
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return extract_zip(data, limits)
    if data[:2] == b"\x1f\x8b" or data[:3] == b"BZh" or data[:6] == b"\xfd7zXZ\x00" or data[257:262] == b"ustar":
        return extract_tar(data, limits)
    raise ArchiveRejected("not a zip or tar archive")
