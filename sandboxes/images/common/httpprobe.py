"""The trusted prober's HTTP side, shared by the service image (http-service) and the web image (fullstack's
browser container): it waits for the learner's port, sends each check's requests (values generated on the trusted
side; values captured from earlier answers substituted here), and records every exchange, capped. A restart of the
learner's server between two rounds of requests is a segment: the prober writes its frame and waits for the
go-ahead. It runs in a container of its own that holds no learner file and shares only the learner's network
namespace.
"""
import http.client
import json
import re
import signal
import socket
import time

from entrylib import RECORDS_CAP, read_message, step_result, write_frame

ADDRESSES = (("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6))  # a server on 0.0.0.0, :: or localhost
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.:-]*)\s*\}\}")
HEADERS_KEPT = 30
HEADER_VALUE_CAP = 200
# What the records of a phase may hold (entrylib caps them at RECORDS_CAP): answers beyond it are dropped, marked
# truncated, so a server answering huge escaped bodies gets "too large", never a broken channel.
RECORDS_BUDGET = RECORDS_CAP * 3 // 4


class RequestTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise RequestTimeout()


def substitute(template, values):
    """Placeholders {{name}} replaced by values: a string that is one placeholder takes the value as it is (a
    number stays a number). Raises KeyError with the name of one that has no value."""
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template.strip())
        if whole:
            return values[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)
    if isinstance(template, list):
        return [substitute(item, values) for item in template]
    if isinstance(template, dict):
        return {key: substitute(value, values) for key, value in template.items()}
    return template


def lookup(data, path):
    """The value at a dotted path (`id`, `items.0.id`) of a JSON answer; KeyError if there is none."""
    for part in str(path).split("."):
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            raise KeyError(path)
    return data


def wait_for_port(port, seconds):
    """The address of the first loopback interface on which something accepts connections on `port`."""
    deadline = time.monotonic() + seconds
    while True:
        for address, family in ADDRESSES:
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.settimeout(0.2)
                try:
                    probe.connect((address, port))
                    return address
                except OSError:
                    pass
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)


def send(address, port, request, timeout, body_cap):
    """One request over a fresh connection, bounded in time as a whole; the answer capped."""
    exchange = {"method": request["method"], "path": request["path"]}
    headers = {"Connection": "close", **request.get("headers", {})}
    body = None
    if "json" in request:
        exchange["sent"] = request["json"]
        body = json.dumps(request["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "body" in request:
        exchange["sent"] = request["body"]
        body = request["body"].encode()
    started = time.monotonic()
    connection = http.client.HTTPConnection(address, port, timeout=timeout)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        connection.request(request["method"], request["path"], body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read(body_cap + 1)
        exchange["status"] = answer.status
        exchange["headers"] = {name.lower(): value[:HEADER_VALUE_CAP]
                               for name, value in answer.getheaders()[:HEADERS_KEPT]}
        exchange["truncated"] = len(data) > body_cap
        exchange["body"] = data[:body_cap].decode("utf-8", "replace")
    except RequestTimeout:
        exchange["error"] = "timeout"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        exchange["error"] = f"{type(exc).__name__}: {exc}"[:200]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        connection.close()
    exchange["ms"] = round((time.monotonic() - started) * 1000, 1)
    return exchange


def send_setup(server, requests, timeout=2.0, body_cap=4096):
    """Fullstack page checks: requests sent before a scenario (no capture); what each got, in short."""
    signal.signal(signal.SIGALRM, _on_alarm)
    address, port = server
    done = []
    for request in requests:
        exchange = send(address, port, request, timeout, body_cap)
        done.append({key: exchange[key] for key in ("method", "path", "status", "error") if key in exchange})
    return done


def rounds_of(check):
    """A check's requests split at its restarts."""
    rounds = [[]]
    for item in check["steps"]:
        if item.get("restart"):
            rounds.append([])
        else:
            rounds[-1].append(item)
    return rounds


def answer_json(exchange):
    if exchange.get("truncated") or "body" not in exchange or "status" not in exchange:
        raise KeyError("no JSON answer")
    try:
        return json.loads(exchange["body"])
    except (ValueError, RecursionError):
        raise KeyError("no JSON answer") from None


def action_probe(step, limits):
    """Every check's requests, round by round; between rounds the learner's server is restarted (a segment)."""
    started = time.monotonic()
    args = step["args"]
    port, timeout, body_cap = int(args["port"]), float(args["request_timeout"]), int(args["body_cap"])
    signal.signal(signal.SIGALRM, _on_alarm)
    checks = [(check, rounds_of(check)) for check in args["checks"]]
    values = {check["id"]: dict(check.get("values", {})) for check, _ in checks}
    transcripts = {check["id"]: [] for check, _ in checks}
    readiness = []
    used = 0
    count = max((len(rounds) for _, rounds in checks), default=1)
    for number in range(count):
        if number:
            write_frame({"segment": number})  # the runner restarts the learner's server, then says go on
            read_message()
            for check, rounds in checks:
                if number < len(rounds):
                    transcripts[check["id"]].append({"restart": True})
        ready_from = time.monotonic()
        address = wait_for_port(port, float(args["ready_seconds"]))
        readiness.append({"ready": address is not None, "ms": round((time.monotonic() - ready_from) * 1000, 1)})
        for check, rounds in checks:
            for item in rounds[number] if number < len(rounds) else []:
                try:
                    request = substitute(item["request"], values[check["id"]])
                except KeyError as exc:
                    transcripts[check["id"]].append({"method": item["request"]["method"],
                                                     "path": item["request"]["path"], "unresolved": str(exc)[:100]})
                    continue
                if address is None:
                    exchange = {"method": request["method"], "path": request["path"], "error": "not_ready"}
                else:
                    exchange = send(address, port, request, timeout, body_cap)
                captured = {}
                for name, path in item.get("capture", {}).items():
                    try:
                        value = lookup(answer_json(exchange), path)
                    except KeyError:
                        continue
                    if value is None or type(value) in (str, int, float, bool):  # a value to send back, no tree
                        captured[name] = value
                values[check["id"]].update(captured)
                exchange["captured"] = captured
                size = len(json.dumps(exchange))
                if used + size > RECORDS_BUDGET:
                    exchange.update(headers={}, body="", truncated=True)
                    size = len(json.dumps(exchange))
                used += size
                transcripts[check["id"]].append(exchange)
    records = [{"id": "_server", "rounds": readiness}]
    records += [{"id": check_id, "exchanges": exchanges} for check_id, exchanges in transcripts.items()]
    text = "\n".join(json.dumps(record, separators=(",", ":")) for record in records)
    return step_result(step["name"], started, records=text)
