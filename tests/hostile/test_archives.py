"""Archive attacks on sandboxes.archives: each malicious archive is built in memory and must be refused, with a
clear reason, before anything of it is used; benign archives come out whole."""
from __future__ import annotations

import io
import random
import stat
import tarfile
import time
import zipfile

import pytest

from sandboxes.archives import ArchiveLimits, ArchiveRejected, extract_archive

SOLUTION = b"def add(a, b):\n    return a + b\n"


def make_zip(entries, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """entries: (name, data) or (ZipInfo, data)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_info(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def make_tar(members, compression: str = "gz") -> bytes:
    """members: (TarInfo, data or None)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{compression}" if compression else "w",
                      format=tarfile.PAX_FORMAT) as archive:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                archive.addfile(info)
    return buffer.getvalue()


def tar_info(name: str, kind=tarfile.REGTYPE, **fields) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def rejected(data: bytes, *words: str, limits: ArchiveLimits | None = None) -> str:
    with pytest.raises(ArchiveRejected) as caught:
        extract_archive(data, limits) if limits else extract_archive(data)
    reason = caught.value.reason
    assert reason and all(word in reason for word in words), reason
    return reason


# --- benign archives come out whole ---------------------------------------------------------------------------

def test_benign_zip_extracts():
    data = make_zip([("solution.py", SOLUTION), ("pkg/", b""), ("pkg/helpers.py", b"X = 1\n"),
                     ("data/input.txt", b"1 2\n" * 100)])
    assert extract_archive(data) == {"solution.py": SOLUTION, "pkg/helpers.py": b"X = 1\n",
                                     "data/input.txt": b"1 2\n" * 100}


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", ""])
def test_benign_tar_extracts(compression):
    data = make_tar([(tar_info("./", tarfile.DIRTYPE), None), (tar_info("./solution.py"), SOLUTION),
                     (tar_info("./pkg", tarfile.DIRTYPE), None), (tar_info("./pkg/helpers.py"), b"X = 1\n")],
                    compression)
    assert extract_archive(data) == {"solution.py": SOLUTION, "pkg/helpers.py": b"X = 1\n"}


# --- traversal and hostile names ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, words", [
    ("../evil.py", ("..",)),
    ("pkg/../../evil.py", ("..",)),
    ("/etc/passwd", ("absolute",)),
    ("..\\..\\evil.py", ("backslash",)),
    ("C:/Windows/evil.py", ("drive letter",)),
    ("C:evil.py", ("drive letter",)),
    ("evil\n.py", ("control character",)),
    ("pkg//evil.py", ("empty",)),
])
def test_zip_with_a_hostile_name_is_rejected(name, words):
    rejected(make_zip([("solution.py", SOLUTION), (name, b"owned")]), *words)


@pytest.mark.parametrize("name, words", [
    ("../evil.py", ("..",)),
    ("./pkg/../../../evil.py", ("..",)),
    ("/tmp/evil.py", ("absolute",)),
    ("a\\b.py", ("backslash",)),
    ("D:evil.py", ("drive letter",)),
])
def test_tar_with_a_hostile_name_is_rejected(name, words):
    rejected(make_tar([(tar_info("solution.py"), SOLUTION), (tar_info(name), b"owned")]), *words)


def test_nul_byte_in_a_zip_name_is_rejected():
    clean = make_zip([("solution.pyXevil.sh", SOLUTION)], zipfile.ZIP_STORED)
    rejected(clean.replace(b"solution.pyXevil.sh", b"solution.py\x00evil.sh"), "NUL")


# --- links, devices and other non-regular entries -------------------------------------------------------------

def test_zip_symlink_is_rejected():
    rejected(make_zip([(zip_info("link.py", stat.S_IFLNK | 0o777), b"/etc/passwd")]), "symbolic link")


def test_zip_special_file_is_rejected():
    rejected(make_zip([(zip_info("fifo", stat.S_IFIFO | 0o644), b"")]), "not a regular file")


@pytest.mark.parametrize("kind, words", [
    (tarfile.SYMTYPE, ("symbolic link",)),
    (tarfile.LNKTYPE, ("hard link",)),
    (tarfile.CHRTYPE, ("not a regular file",)),
    (tarfile.BLKTYPE, ("not a regular file",)),
    (tarfile.FIFOTYPE, ("not a regular file",)),
], ids=["symlink", "hardlink", "char-device", "block-device", "fifo"])
def test_tar_link_or_device_is_rejected(kind, words):
    member = tar_info("evil", kind, linkname="/etc/passwd", devmajor=1, devminor=1)
    rejected(make_tar([(tar_info("solution.py"), SOLUTION), (member, None)]), *words)


def test_tar_symlink_then_file_through_it_is_rejected_at_the_link():
    members = [(tar_info("pkg", tarfile.SYMTYPE, linkname="/etc"), None), (tar_info("pkg/passwd"), b"owned")]
    rejected(make_tar(members), "symbolic link")


# --- bombs ----------------------------------------------------------------------------------------------------

def test_zip_bomb_by_size_is_rejected_before_inflating():
    started = time.monotonic()
    rejected(make_zip([("zeros.bin", bytes(20 * 1024 * 1024))]), "bytes uncompressed")
    assert time.monotonic() - started < 5


def test_zip_bomb_by_total_size_is_rejected():
    noise = random.Random(7).randbytes  # incompressible: only the total is over
    entries = [(f"part{i}.bin", noise(230 * 1024)) for i in range(6)]  # 6 x 230 KB, each within the cap
    rejected(make_zip(entries), "in all")


def test_zip_bomb_by_ratio_is_rejected():
    reason = rejected(make_zip([("solution.py", SOLUTION), ("zeros.txt", bytes(200 * 1024))]), "compression bomb")
    assert "zeros.txt" in reason


def test_small_entries_may_compress_well():
    assert extract_archive(make_zip([("blank.txt", b" " * 3000)])) == {"blank.txt": b" " * 3000}


def test_zip_entry_lying_about_its_size_is_rejected():
    data = make_zip([("solution.py", b"A" * 5000 + bytes(range(256)) * 40)])
    size = (5000 + 256 * 40).to_bytes(4, "little")
    forged = data.replace(size, (10).to_bytes(4, "little"))  # local and central headers both say 10 bytes
    assert forged != data
    rejected(forged, "corrupt")


def test_tar_bomb_by_declared_size_is_rejected_before_reading():
    started = time.monotonic()
    rejected(make_tar([(tar_info("zeros.bin"), bytes(30 * 1024 * 1024))]), "bytes uncompressed")
    assert time.monotonic() - started < 5


def test_tar_gz_bomb_by_ratio_is_rejected():
    members = [(tar_info(f"zeros{i}.txt"), bytes(200 * 1024)) for i in range(3)]
    rejected(make_tar(members), "compression bomb")


def test_tar_pax_header_bomb_is_not_inflated():
    """A PAX extended header is read whole by tarfile before the member is seen: the decompressed stream is
    capped, so a header of 64 MB of compressed padding is refused without inflating it."""
    info = tar_info("solution.py")
    info.pax_headers = {"comment": "x" * (64 * 1024 * 1024)}
    data = make_tar([(info, SOLUTION)])
    assert len(data) < 1024 * 1024
    started = time.monotonic()
    rejected(data, "inflates to more than")
    assert time.monotonic() - started < 5


def test_too_large_upload_is_rejected():
    rejected(bytes(5 * 1024 * 1024), "larger than")


# --- counts and duplicates ------------------------------------------------------------------------------------

def test_zip_with_too_many_entries_is_rejected():
    rejected(make_zip([(f"f{i}.txt", b"x") for i in range(201)]), "more than 200 entries")


def test_tar_with_too_many_entries_is_rejected():
    rejected(make_tar([(tar_info(f"f{i}.txt"), b"x") for i in range(201)]), "more than 200 entries")


def test_limits_are_configurable():
    data = make_zip([(f"f{i}.txt", b"x") for i in range(5)])
    rejected(data, "more than 3 entries", limits=ArchiveLimits(max_entries=3))


def test_zip_with_duplicate_names_is_rejected():
    with pytest.warns(UserWarning):  # zipfile itself warns when writing a duplicate name
        data = make_zip([("solution.py", SOLUTION), ("solution.py", b"evil")])
    rejected(data, "duplicate")


def test_tar_with_duplicate_names_is_rejected():
    rejected(make_tar([(tar_info("solution.py"), SOLUTION), (tar_info("./solution.py"), b"evil")]), "duplicate")


def test_file_that_is_also_a_folder_is_rejected():
    rejected(make_zip([("pkg", b"file"), ("pkg/mod.py", b"x")]), "is a file")
    rejected(make_zip([("pkg/mod.py", b"x"), ("pkg", b"file")]), "duplicate")
    rejected(make_tar([(tar_info("pkg", tarfile.DIRTYPE), None), (tar_info("pkg"), b"file")]), "duplicate")


# --- not archives ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"hello world", b"PK\x03\x04" + bytes(100), b"\x1f\x8b" + bytes(100)],
                         ids=["empty", "text", "truncated-zip", "truncated-gzip"])
def test_garbage_is_rejected(data):
    rejected(data)


def test_encrypted_zip_entry_is_rejected():
    data = bytearray(make_zip([("secret.py", b"x")]))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # general purpose flags: bit 0 set
        at = data.index(signature) + offset
        data[at] |= 0x1
    rejected(bytes(data), "encrypted")
