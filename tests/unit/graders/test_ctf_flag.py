"""The ctf-flag kind on plain data: each learner's derived flag, the constant-time comparison, static and regex flags,
hint costs floored at zero, the facts only the server gives, and each artifact holding its learner's flag (the pcap
read back as a capture)."""
import base64
import codecs
import hashlib
import re
import struct
from urllib.parse import parse_qs

import pytest

import graders.ctf_flag as ctf
from graders import get_grader
from graders.base import ExerciseSpec, Verdict
from lms.ctf.artifacts import GENERATORS, artifact_problems, checksum, make_artifact
from lms.grading.trusted import learner_for

SECRET = "unit-test-secret"
UUID = "7f8c329f-9b00-4e1c-b50f-8c119e12f818"


def spec_with(**options):
    return ExerciseSpec.from_dict({"kind": "ctf-flag", "uuid": UUID, "files": ["flag.txt"], "points": 10,
                                   "options": {"flag": {"tag": "encodage"}, **options}})


def learner(user_id, uuid=UUID, **facts):
    return learner_for(user_id, uuid, SECRET, facts=facts)


def grade(spec, text, who):
    return get_grader("ctf-flag").grade_trusted(spec, {"flag.txt": text}, who)


def test_a_derived_flag_is_stable_for_a_learner_and_another_for_everyone_else():
    spec = spec_with()
    flag = ctf.expected_flag(spec, learner(7))
    assert re.fullmatch(r"JIT\{encodage-[0-9a-f]{24}\}", flag) and ctf.DERIVED_SHAPE.match(flag)
    assert ctf.expected_flag(spec, learner(7)) == flag
    assert ctf.expected_flag(spec, learner(8)) != flag
    assert ctf.expected_flag(spec, learner(7, uuid="43e0f49a-e179-46e1-9462-0c3f551e9dc2")) != flag
    assert ctf.expected_flag(spec, learner_for(7, UUID, "another-server")) != flag


@pytest.mark.parametrize("text, passed, words", [
    ("{own}", True, "Right flag."),
    ("  \ufeff{own}\n\n", True, "Right flag."),  # whitespace and an editor's byte-order mark trimmed
    ("{other}", False, "This is not the right flag."),
    ("{own_upper}", False, "This is not the right flag."),
    ("", False, "flag.txt is empty"),
    ("x" * 201, False, "at most 200 characters"),
])
def test_derived_flag_verdicts(text, passed, words):
    spec = spec_with()
    own, other = ctf.expected_flag(spec, learner(1)), ctf.expected_flag(spec, learner(2))
    result = grade(spec, text.format(own=own, other=other, own_upper=own.upper()), learner(1))
    assert result.verdict == (Verdict.PASSED if passed else Verdict.FAILED)
    assert result.score == (10.0 if passed else 0.0)
    assert words in result.checks[0].message["en"]


def test_the_comparison_is_made_in_constant_time(monkeypatch):
    real, calls = ctf.hmac.compare_digest, []
    monkeypatch.setattr(ctf.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    spec = spec_with()
    grade(spec, "JIT{encodage-000000000000000000000000}", learner(1))
    assert calls and calls[-1][1] == ctf.expected_flag(spec, learner(1)).encode()


@pytest.mark.parametrize("rule, text, passed", [
    ({"static": "JIT{statique}"}, "JIT{statique}\n", True),
    ({"static": "JIT{statique}"}, "JIT{Statique}", False),
    ({"regex": r"JIT\{(?i:port-?scan)\}"}, " JIT{PortScan} ", True),
    ({"regex": r"JIT\{(?i:port-?scan)\}"}, "JIT{portscan}x", False),  # the whole text, not a part of it
])
def test_static_and_regex_flags(rule, text, passed):
    spec = spec_with(flag=rule)
    assert get_grader("ctf-flag").validate(spec) == []
    assert grade(spec, text, learner(1)).verdict == (Verdict.PASSED if passed else Verdict.FAILED)
    assert grade(spec, text, learner(2)).verdict == (Verdict.PASSED if passed else Verdict.FAILED)


HINTS = [{"id": "un", "cost": 3, "text": {"fr": "a"}}, {"id": "deux", "cost": 4.5, "text": {"fr": "b"}},
         {"id": "trois", "cost": 10, "text": {"fr": "c"}}]


@pytest.mark.parametrize("opened, score", [
    ([], 10.0), (["un"], 7.0), (["un", "deux"], 2.5), (["un", "deux", "trois"], 0.0),  # floored at zero
    (["un", "inconnu"], 7.0),  # an id the exercise lacks costs nothing
])
def test_opened_hints_cost_their_points_floored_at_zero(opened, score):
    spec = spec_with(hints=HINTS)
    own = ctf.expected_flag(spec, learner(1))
    result = grade(spec, own, learner(1, opened_hints=opened))
    assert result.verdict == Verdict.PASSED and result.score == score and result.max_score == 10.0
    if opened:
        assert "Hints opened" in result.checks[0].message["en"]
    assert grade(spec, "JIT{faux}", learner(1, opened_hints=opened)).score == 0.0


def test_hints_are_read_from_the_facts_only_never_from_the_file():
    spec = spec_with(hints=HINTS)
    own = ctf.expected_flag(spec, learner(1))
    assert grade(spec, f"{own}\nopened_hints: []", learner(1, opened_hints=["un"])).verdict == Verdict.FAILED
    assert grade(spec, own, learner(1, opened_hints=["un"])).score == 7.0


def test_another_learners_flag_is_refused_by_name_and_marked_for_the_report():
    spec = spec_with()
    other = ctf.expected_flag(spec, learner(2))
    result = grade(spec, other, learner(1, flag_owner_id=2))
    assert result.verdict == Verdict.FAILED and result.score == 0.0
    assert "made for another learner" in result.checks[0].message["en"]
    assert result.diagnostics["flag_of_learner"] == 2
    assert "flag_of_learner" not in str(result.feedback())  # staff-only: not in what the learner sees


def test_reference_is_the_learners_own_flag_and_passes():
    spec = spec_with()
    grader = get_grader("ctf-flag")
    for user_id in (1, 2):
        files = grader.reference_files(spec, {"flag.txt": "placeholder"}, learner(user_id))
        assert grade(spec, files["flag.txt"], learner(user_id)).score == 10.0
    regex = spec_with(flag={"regex": "JIT\\{a+\\}"})
    assert grader.reference_files(regex, {"flag.txt": "JIT{aaa}"}, learner(1)) == {"flag.txt": "JIT{aaa}"}


@pytest.mark.parametrize("options, problem", [
    ({"flag": {}}, "options.flag must be exactly one of"),
    ({"flag": {"tag": "Pas Un Slug"}}, "options.flag.tag"),
    ({"flag": {"tag": "a", "static": "b"}}, "options.flag must be exactly one of"),
    ({"flag": {"regex": "JIT{("}}, "options.flag.regex"),
    ({"flag": {"regex": "x"}, "artifact": {"generator": "pcap"}}, "a regex flag has none"),
    ({"hints": [{"id": "a", "cost": 11, "text": {"fr": "x"}}]}, "cost must be a number"),
    ({"hints": [{"id": "a", "cost": 1, "text": {"en": "x"}}]}, "French at least"),
    ({"hints": [{"id": "a", "cost": 1, "text": {"fr": "x"}}] * 2}, "unique"),
    ({"wrong_tries": {"max": 0}}, "options.wrong_tries"),
    ({"artifact": {"generator": "zip"}}, "options.artifact.generator must be one of"),
    ({"artifact": {"generator": "encoding", "layers": ["rot47"]}}, "options.artifact.layers"),
    ({"surprise": 1}, "unknown options: surprise"),
])
def test_invalid_definitions_are_named(options, problem):
    problems = get_grader("ctf-flag").validate(spec_with(**options))
    assert any(problem in p for p in problems), problems


# --- artifacts ---------------------------------------------------------------------------------------------------

FLAG = "JIT{encodage-0123456789abcdef01234567}"
OTHER = "JIT{encodage-76543210fedcba9876543210}"


def flag_in_encoding(data: bytes) -> str:
    """Decode every candidate (hex, base64, rot13), keep the one whose SHA-256 the file gives."""
    text = data.decode()
    digest = re.search(r"^sha256\(flag\): ([0-9a-f]{64})$", text, re.M).group(1)
    candidates = [codecs.decode(base64.b64decode(bytes.fromhex(encoded)).decode(), "rot13")
                  for encoded in re.findall(r"^message-\d+: (\S+)$", text, re.M)]
    assert len(candidates) == 4
    matching = [c for c in candidates if hashlib.sha256(c.encode()).hexdigest() == digest]
    assert len(matching) == 1
    return matching[0]


def tcp_payloads(data: bytes) -> list[bytes]:
    """Read the capture back as a pcap reader would: the global header, each record, Ethernet, IPv4 (its checksum),
    and the TCP segments' payloads in order."""
    magic, major, minor, _zone, _sigfigs, snaplen, linktype = struct.unpack("<IHHiIII", data[:24])
    assert (magic, major, minor, linktype) == (0xA1B2C3D4, 2, 4, 1) and snaplen == 65535
    offset, payloads, protocols = 24, [], []
    while offset < len(data):
        _seconds, micros, captured, original = struct.unpack("<IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + captured]
        assert captured == original == len(frame) and micros < 1_000_000
        offset += 16 + captured
        assert frame[12:14] == b"\x08\x00"
        ip = frame[14:]
        assert ip[0] == 0x45 and checksum(ip[:20]) == 0 and struct.unpack("!H", ip[2:4])[0] == len(ip)
        protocols.append(ip[9])
        if ip[9] == 6:
            segment = ip[20:]
            payloads.append(segment[(segment[12] >> 4) * 4:])
    assert offset == len(data) and 17 in protocols and 6 in protocols  # a DNS lookup, then the HTTP login
    return payloads


def flag_in_pcap(data: bytes) -> str:
    login = next(p for p in tcp_payloads(data) if p.startswith(b"POST /connexion"))
    body = login.split(b"\r\n\r\n", 1)[1].decode()
    return parse_qs(body)["mot_de_passe"][0]


def flag_in_webpage(data: bytes) -> str:
    page = data.decode()
    first = re.search(r"partie 1/3 : (\S+) -->", page).group(1)
    second = re.search(r'<div class="promo" hidden data-partie="2/3">([^<]*)</div>', page).group(1)
    third = "".join(re.findall(r'"([^"]*)"', re.search(r"var morceaux = \[(.*?)\];", page).group(1)))
    return first + second + third


READERS = {"encoding": flag_in_encoding, "pcap": flag_in_pcap, "webpage": flag_in_webpage}


@pytest.mark.parametrize("generator", sorted(GENERATORS))
def test_each_artifact_holds_its_learners_flag_and_no_other(generator):
    assert artifact_problems({"generator": generator}) == []
    mine = make_artifact({"generator": generator}, FLAG, b"seed-of-learner-1")
    theirs = make_artifact({"generator": generator}, OTHER, b"seed-of-learner-2")
    assert READERS[generator](mine.data) == FLAG and READERS[generator](theirs.data) == OTHER
    for artifact, absent in ((mine, OTHER), (theirs, FLAG)):
        assert absent.encode() not in artifact.data
        assert absent[len("JIT{encodage-"):-1].encode() not in artifact.data
    assert make_artifact({"generator": generator}, FLAG, b"seed-of-learner-1") == mine  # the same on every download


def test_the_web_page_never_holds_the_whole_flag_in_one_piece():
    page = make_artifact({"generator": "webpage"}, FLAG, b"seed").data
    assert FLAG.encode() not in page and b"<!doctype html>" in page
