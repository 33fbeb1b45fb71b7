"""What a ctf-flag learner downloads, made on the server for them with their flag inside: a typed registry of
generators keyed by the name `options.artifact.generator` gives. Plain Python (no Flask, no database), so the kind's
validation and the unit tests use it alone; `seed` (from the learner's server-derived key) makes the noise around the
flag the learner's own and the same on every download.

- `encoding`: an intercepted message: candidate flags, each encoded through the same layers (rot13, base64, hex,
  reverse), and the SHA-256 of the real one: decode them all, hash, keep the one that matches.
- `pcap`: a network capture (pcap format, written here): a DNS lookup, then an HTTP login over plain HTTP whose form
  sends the flag as the password, percent-encoded as browsers send forms.
- `webpage`: a shop's page whose HTML source hides the flag in three pieces: a developer's comment, a hidden element
  and a JavaScript array joined at run time; the whole flag appears nowhere in the file.
"""
from __future__ import annotations

import base64
import codecs
import hashlib
import html
import json
import random
import struct
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlencode


@dataclass(frozen=True)
class ArtifactFile:
    name: str  # the download's file name
    media_type: str
    data: bytes


class ArtifactGenerator(ABC):
    name: ClassVar[str]
    options: ClassVar[frozenset[str]] = frozenset()  # the keys of options.artifact it reads, beside `generator`

    def problems(self, options: dict) -> list[str]:
        """What is wrong with `options.artifact`, in an instructor's words."""
        return []

    @abstractmethod
    def make(self, flag: str, rng: random.Random, options: dict) -> ArtifactFile:
        """The file holding `flag`; `rng` is seeded per learner (the same file on every download)."""


GENERATORS: dict[str, ArtifactGenerator] = {}


def register_generator(cls: type[ArtifactGenerator]) -> type[ArtifactGenerator]:
    if cls.name in GENERATORS:
        raise ValueError(f"artifact generator {cls.name!r} registered twice")
    GENERATORS[cls.name] = cls()
    return cls


def artifact_problems(artifact) -> list[str]:
    if not isinstance(artifact, dict) or artifact.get("generator") not in GENERATORS:
        return [f"options.artifact.generator must be one of: {', '.join(sorted(GENERATORS))}"]
    generator = GENERATORS[artifact["generator"]]
    unknown = sorted(set(artifact) - {"generator"} - generator.options)
    if unknown:
        return [f"options.artifact: unknown keys for {generator.name}: {', '.join(unknown)}"]
    return generator.problems(artifact)


def make_artifact(artifact: dict, flag: str, seed: bytes) -> ArtifactFile:
    return GENERATORS[artifact["generator"]].make(flag, random.Random(seed), artifact)


def decoy_flags(flag: str, rng: random.Random, count: int) -> list[str]:
    """Flags of the same shape as `flag` (its prefix up to the last '-' or '{', then random hex)."""
    cut = max(flag.rfind("-"), flag.find("{"))
    prefix, body = (flag[:cut + 1], flag[cut + 1:].rstrip("}")) if cut >= 0 else ("", flag)
    length = max(8, len(body))
    return [f"{prefix}{rng.getrandbits(4 * length):0{length}x}" + ("}" if flag.endswith("}") else "")
            for _ in range(count)]


# --- encoding ---------------------------------------------------------------------------------------------------

LAYERS = {
    "rot13": lambda text: codecs.encode(text, "rot13"),
    "base64": lambda text: base64.b64encode(text.encode("utf-8")).decode("ascii"),
    "hex": lambda text: text.encode("utf-8").hex(),
    "reverse": lambda text: text[::-1],
}
DEFAULT_LAYERS = ("rot13", "base64", "hex")


def encode_layers(text: str, layers) -> str:
    for layer in layers:
        text = LAYERS[layer](text)
    return text


@register_generator
class EncodingPuzzle(ArtifactGenerator):
    name = "encoding"
    options = frozenset({"layers", "decoys"})

    def problems(self, options: dict) -> list[str]:
        layers = options.get("layers", list(DEFAULT_LAYERS))
        problems = []
        if not isinstance(layers, list) or not 1 <= len(layers) <= 6 or not all(
                isinstance(layer, str) and layer in LAYERS for layer in layers):
            problems.append(f"options.artifact.layers: 1 to 6 of {', '.join(sorted(LAYERS))}")
        decoys = options.get("decoys", 3)
        if isinstance(decoys, bool) or not isinstance(decoys, int) or not 0 <= decoys <= 10:
            problems.append("options.artifact.decoys: a whole number from 0 to 10")
        return problems

    def make(self, flag: str, rng: random.Random, options: dict) -> ArtifactFile:
        layers = options.get("layers", list(DEFAULT_LAYERS))
        candidates = decoy_flags(flag, rng, options.get("decoys", 3)) + [flag]
        rng.shuffle(candidates)
        lines = ["# Message intercepté / رسالة معترضة / Intercepted message",
                 "# Un seul de ces messages est le vrai drapeau ; son empreinte SHA-256 est donnée plus bas.",
                 "# واحدة فقط من هذه الرسائل هي العلم الحقيقي؛ بصمته SHA-256 مذكورة في الأسفل.",
                 "# Only one of these messages is the real flag; its SHA-256 digest is given below.", ""]
        lines += [f"message-{number}: {encode_layers(text, layers)}" for number, text in enumerate(candidates, 1)]
        lines += ["", f"sha256(flag): {hashlib.sha256(flag.encode('utf-8')).hexdigest()}", ""]
        return ArtifactFile("message-intercepte.txt", "text/plain; charset=utf-8", "\n".join(lines).encode("utf-8"))


# --- pcap -------------------------------------------------------------------------------------------------------

PCAP_MAGIC = 0xA1B2C3D4  # microsecond timestamps
LINKTYPE_ETHERNET = 1
CLIENT_MAC, SERVER_MAC, ROUTER_MAC = bytes.fromhex("02005e10000a"), bytes.fromhex("02005e100014"), \
    bytes.fromhex("02005e100001")
CLIENT_IP, SERVER_IP, DNS_IP = "10.20.30.40", "10.20.30.80", "10.20.30.1"
HOST = "intranet.atlas-boutique.ma"
USERNAMES = ("salma.bennani", "youssef.alaoui", "imane.tazi", "omar.idrissi", "khadija.fassi", "mehdi.berrada")


def ip_bytes(address: str) -> bytes:
    return bytes(int(part) for part in address.split("."))


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_packet(source: str, destination: str, protocol: int, payload: bytes, ident: int) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, protocol, 0,
                         ip_bytes(source), ip_bytes(destination))
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def transport_checksum(source: str, destination: str, protocol: int, segment: bytes) -> int:
    pseudo = ip_bytes(source) + ip_bytes(destination) + struct.pack("!BBH", 0, protocol, len(segment))
    return checksum(pseudo + segment)


def tcp_segment(source: str, destination: str, sport: int, dport: int, seq: int, ack: int, flags: int,
                payload: bytes = b"") -> bytes:
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)
    value = transport_checksum(source, destination, 6, header + payload)
    return header[:16] + struct.pack("!H", value) + header[18:] + payload


def udp_datagram(source: str, destination: str, sport: int, dport: int, payload: bytes) -> bytes:
    header = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    value = transport_checksum(source, destination, 17, header + payload) or 0xFFFF
    return header[:6] + struct.pack("!H", value) + payload


def dns_name(name: str) -> bytes:
    return b"".join(bytes([len(label)]) + label.encode("ascii") for label in name.split(".")) + b"\0"


def dns_message(ident: int, name: str, answer: str | None) -> bytes:
    question = dns_name(name) + struct.pack("!HH", 1, 1)  # A, IN
    if answer is None:
        return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question
    record = struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + ip_bytes(answer)
    return struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0) + question + record


FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10


class Capture:
    """Frames in order, with timestamps moving forward by a few milliseconds each."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.clock = 1_791_000_000.0 + rng.randrange(86_400 * 30)  # an October 2026 morning or so
        self.frames: list[tuple[float, bytes]] = []
        self.ident = rng.randrange(1, 60_000)

    def add(self, source_mac: bytes, destination_mac: bytes, source: str, destination: str, protocol: int,
            segment: bytes) -> None:
        self.clock += self.rng.uniform(0.0005, 0.04)
        self.ident = (self.ident + 1) & 0xFFFF
        frame = destination_mac + source_mac + b"\x08\x00" + ipv4_packet(source, destination, protocol, segment,
                                                                         self.ident)
        self.frames.append((self.clock, frame))

    def pcap(self) -> bytes:
        out = [struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET)]
        for moment, frame in self.frames:
            seconds = int(moment)
            out.append(struct.pack("<IIII", seconds, int((moment - seconds) * 1_000_000), len(frame), len(frame)))
            out.append(frame)
        return b"".join(out)


class TcpConversation:
    def __init__(self, capture: Capture, client_port: int, server_port: int):
        self.capture, self.client_port, self.server_port = capture, client_port, server_port
        self.client_seq = capture.rng.getrandbits(32)
        self.server_seq = capture.rng.getrandbits(32)

    def _send(self, from_client: bool, flags: int, payload: bytes = b"") -> None:
        if from_client:
            segment = tcp_segment(CLIENT_IP, SERVER_IP, self.client_port, self.server_port, self.client_seq,
                                  self.server_seq if flags & ACK else 0, flags, payload)
            self.capture.add(CLIENT_MAC, SERVER_MAC, CLIENT_IP, SERVER_IP, 6, segment)
            self.client_seq = (self.client_seq + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF
        else:
            segment = tcp_segment(SERVER_IP, CLIENT_IP, self.server_port, self.client_port, self.server_seq,
                                  self.client_seq, flags, payload)
            self.capture.add(SERVER_MAC, CLIENT_MAC, SERVER_IP, CLIENT_IP, 6, segment)
            self.server_seq = (self.server_seq + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF

    def open(self) -> None:
        self._send(True, SYN)
        self._send(False, SYN | ACK)
        self._send(True, ACK)

    def exchange(self, request: bytes, response: bytes) -> None:
        self._send(True, PSH | ACK, request)
        self._send(False, ACK)
        self._send(False, PSH | ACK, response)
        self._send(True, ACK)

    def close(self) -> None:
        self._send(True, FIN | ACK)
        self._send(False, FIN | ACK)
        self._send(True, ACK)


def http_request(method: str, path: str, body: bytes = b"", extra: str = "") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0\r\n"
    if body:
        head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
    return (head + extra + "Connection: keep-alive\r\n\r\n").encode("ascii") + body


def http_response(status: str, body: bytes = b"", extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nServer: nginx\r\nContent-Length: {len(body)}\r\n"
    if body:
        head += "Content-Type: text/html; charset=utf-8\r\n"
    return (head + extra + "\r\n").encode("ascii") + body


LOGIN_PAGE = (b"<!doctype html><title>Intranet Atlas</title><form method=post action=/connexion>"
              b"<input name=identifiant><input type=password name=mot_de_passe><button>Se connecter</button></form>")


@register_generator
class LoginCapture(ArtifactGenerator):
    name = "pcap"

    def make(self, flag: str, rng: random.Random, options: dict) -> ArtifactFile:
        capture = Capture(rng)
        dns_id, dns_port = rng.randrange(1, 65535), rng.randrange(49152, 65535)
        capture.add(CLIENT_MAC, ROUTER_MAC, CLIENT_IP, DNS_IP, 17,
                    udp_datagram(CLIENT_IP, DNS_IP, dns_port, 53, dns_message(dns_id, HOST, None)))
        capture.add(ROUTER_MAC, CLIENT_MAC, DNS_IP, CLIENT_IP, 17,
                    udp_datagram(DNS_IP, CLIENT_IP, 53, dns_port, dns_message(dns_id, HOST, SERVER_IP)))
        web = TcpConversation(capture, rng.randrange(49152, 65535), 80)
        web.open()
        web.exchange(http_request("GET", "/connexion"), http_response("200 OK", LOGIN_PAGE))
        form = urlencode({"identifiant": rng.choice(USERNAMES), "mot_de_passe": flag}).encode("ascii")
        web.exchange(http_request("POST", "/connexion", form, f"Origin: http://{HOST}\r\n"),
                     http_response("302 Found", extra="Location: /tableau-de-bord\r\n"
                                                      f"Set-Cookie: session={rng.getrandbits(128):032x}; HttpOnly\r\n"))
        web.exchange(http_request("GET", "/tableau-de-bord"),
                     http_response("200 OK", b"<!doctype html><title>Tableau de bord</title><h1>Bienvenue</h1>"))
        web.close()
        return ArtifactFile("capture-connexion.pcap", "application/vnd.tcpdump.pcap", capture.pcap())


# --- web page ---------------------------------------------------------------------------------------------------

def split_in_three(flag: str, rng: random.Random) -> tuple[str, str, str]:
    if len(flag) < 3:
        return flag, "", ""
    first = rng.randrange(1, len(flag) - 1)
    second = rng.randrange(first + 1, len(flag))
    return flag[:first], flag[first:second], flag[second:]


def js_string(text: str) -> str:
    """A JavaScript string literal that cannot close the script element around it."""
    return json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e")


@register_generator
class PageSource(ArtifactGenerator):
    name = "webpage"

    def make(self, flag: str, rng: random.Random, options: dict) -> ArtifactFile:
        first, second, third = split_in_three(flag, rng)
        chunks = [third[i:i + 4] for i in range(0, len(third), 4)] or [""]
        # In a comment only if it cannot end it early; else in an attribute, which escapes anything.
        comment_safe = "--" not in first and ">" not in first
        note = (f"<!-- TODO (dev) : retirer avant la mise en production. Jeton de recette, partie 1/3 : {first} -->"
                if comment_safe else
                f'<meta name="jeton-recette-1" content="{html.escape(first)}">')
        page = f"""<!doctype html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <title>Atlas Boutique : artisanat de Fès et de Marrakech</title>
  {note}
</head>
<body>
  <header><h1>Atlas Boutique</h1><nav><a href="#tapis">Tapis</a> · <a href="#poterie">Poterie</a></nav></header>
  <main>
    <section id="tapis"><h2>Tapis berbères</h2><p>Tissés à la main dans le Moyen Atlas.</p></section>
    <section id="poterie"><h2>Poterie de Safi</h2><p>Émaillée et cuite au four traditionnel.</p></section>
    <div class="promo" hidden data-partie="2/3">{html.escape(second)}</div>
    <p id="panier">Panier : {rng.randrange(1, 6)} article(s)</p>
  </main>
  <footer><small>© Atlas Boutique</small></footer>
  <script>
    // Partie 3/3 du jeton de recette, en morceaux (assemblés au chargement, jamais affichés).
    var morceaux = [{", ".join(js_string(chunk) for chunk in chunks)}];
    var jetonRecette3 = morceaux.join("");
    document.getElementById("panier").dataset.pret = "oui";
  </script>
</body>
</html>
"""
        return ArtifactFile("atlas-boutique.html", "text/html; charset=utf-8", page.encode("utf-8"))
