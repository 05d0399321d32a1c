"""A JSON-RPC fault proxy: an in-process HTTP server on 127.0.0.1 in front of a node (anvil)
or a bundler (alto), forwarding every request unless a rule says otherwise, and counting
every send (`eth_sendRawTransaction`, `eth_sendUserOperation`): how many arrived, and how
many it delivered upstream. Tests assert "nothing sent twice" on those counts.

    with FaultProxy(upstream_url) as proxy:
        proxy.rule("eth_sendUserOperation", Fault.rpc_error(-32500, "AA21 didn't pay prefund"))
        ... point the network file at proxy.url ...
        assert proxy.delivered("eth_sendUserOperation") == 0

Faults: `refuse()` (close the listening socket: connection refused), `http(status,
retry_after)`, `delay(seconds)` (slow, or past the client's timeout), `garbage(body)`
(malformed or truncated JSON), `rpc_error(code, message)` (a JSON-RPC error, not
delivered), `result(value)` (answer this instead of asking upstream: a stale block number,
a missing receipt, a swallowed send), `hold(gate)` (keep the request until the test
releases `gate`: past the client's timeout, or slow but in time, with no sleep on either
side), `then_forward` variants apply a fault only `times` times. Batches are answered
element by element when no rule matches any element.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

SENDS = ("eth_sendRawTransaction", "eth_sendUserOperation")


class Gate:
    """A held request, under the test's control: `arrived` is set when a request reaches
    the hold (delivered upstream first when the fault says so); the proxy answers, or
    drops it, only once the test calls `release()`."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self._released = threading.Event()
        self.held = 0

    def release(self) -> None:
        self._released.set()

    def wait_released(self) -> None:
        # a bound so that a test that forgot to release cannot leave a thread for ever
        self._released.wait(timeout=120)


@dataclass
class Fault:
    """What to do with a matching request instead of (or before) forwarding it."""

    kind: str  # http, delay, garbage, rpc_error, result, hang_up, hold
    status: int = 200
    retry_after: int | None = None
    seconds: float = 0.0
    body: bytes = b""
    code: int = 0
    message: str = ""
    value: Any = None
    forward: bool = False  # delay: forward after the delay; result: deliver upstream too
    gate: Gate | None = None
    answer: bool = True  # hold: answer once released (else close without an answer)

    @staticmethod
    def http(status: int, retry_after: int | None = None) -> Fault:
        return Fault("http", status=status, retry_after=retry_after)

    @staticmethod
    def delay(seconds: float) -> Fault:
        return Fault("delay", seconds=seconds, forward=True)

    @staticmethod
    def garbage(
        body: bytes = b'{"jsonrpc": "2.0", "id": 1, "resu', *, deliver: bool = False
    ) -> Fault:
        """A malformed answer; `deliver`: after forwarding the request (its answer lost)."""
        return Fault("garbage", body=body, forward=deliver)

    @staticmethod
    def rpc_error(code: int, message: str) -> Fault:
        return Fault("rpc_error", code=code, message=message)

    @staticmethod
    def result(value: Any, *, deliver: bool = False) -> Fault:
        """Answer `value` (or `value(params)` when callable) without asking upstream."""
        return Fault("result", value=value, forward=deliver)

    @staticmethod
    def hold(gate: Gate, *, deliver: bool, answer: bool = True) -> Fault:
        """Keep the request until `gate.release()`. `deliver`: forward it upstream at once
        (the node or bundler acts on it; only its answer is late), else forward it only
        once released, and only when `answer` (else it is lost: no answer, nothing
        delivered)."""
        return Fault("hold", gate=gate, forward=deliver, answer=answer)

    @staticmethod
    def hang_up() -> Fault:
        """Close the connection without an answer (after delivering nothing)."""
        return Fault("hang_up")


@dataclass
class _Rule:
    method: str
    fault: Fault
    times: int | None  # None: always
    when: Callable[[list[Any]], bool] | None = None
    used: int = 0

    def matches(self, method: str, params: list[Any]) -> bool:
        if method != self.method or (self.times is not None and self.used >= self.times):
            return False
        return self.when is None or self.when(params)


@dataclass
class _Stats:
    arrived: Counter[str] = field(default_factory=Counter)
    delivered: Counter[str] = field(default_factory=Counter)
    faulted: Counter[str] = field(default_factory=Counter)
    sent: list[tuple[str, Any]] = field(default_factory=list)  # (method, first param) arrived


class FaultProxy:
    def __init__(self, upstream: str, *, upstream_timeout_s: float = 60.0) -> None:
        self.upstream = upstream
        self.upstream_timeout_s = upstream_timeout_s
        self._rules: list[_Rule] = []
        self._stats = _Stats()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.start()

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen (again, on the same port once it had one)."""
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                proxy._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def listening(self) -> bool:
        return self._server is not None

    def refuse(self) -> None:
        """Stop listening: every connection is refused until `start()`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.refuse()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- rules and counts ---------------------------------------------------------------------
    def rule(
        self,
        method: str,
        fault: Fault,
        *,
        times: int | None = None,
        when: Callable[[list[Any]], bool] | None = None,
    ) -> None:
        with self._lock:
            self._rules.append(_Rule(method, fault, times, when))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def reset_counts(self) -> None:
        with self._lock:
            self._stats = _Stats()

    def arrived(self, method: str) -> int:
        return self._stats.arrived[method]

    def delivered(self, method: str) -> int:
        return self._stats.delivered[method]

    def sends_delivered(self) -> int:
        return sum(self._stats.delivered[m] for m in SENDS)

    def sends_arrived(self, method: str) -> list[Any]:
        """The first parameter (raw transaction, user operation) of every `method` send
        that arrived, in order: a re-broadcast of the same bytes shows up twice."""
        return [p for m, p in self._stats.sent if m == method]

    def faulted(self, method: str) -> int:
        return self._stats.faulted[method]

    # -- the handler --------------------------------------------------------------------------
    def _match(self, method: str, params: list[Any]) -> Fault | None:
        with self._lock:
            self._stats.arrived[method] += 1
            if method in SENDS:
                self._stats.sent.append((method, params[0] if params else None))
            for rule in self._rules:
                if rule.matches(method, params):
                    rule.used += 1
                    self._stats.faulted[method] += 1
                    return rule.fault
        return None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", "0"))
        raw = request.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            self._reply(request, 400, b"not json")
            return
        calls = body if isinstance(body, list) else [body]
        faults = [self._match(str(c.get("method")), list(c.get("params") or [])) for c in calls]
        fault = next((f for f in faults if f is not None), None)
        if fault is None:
            self._forward(request, raw, calls)
            return
        if fault.kind == "hang_up":
            request.close_connection = True
            request.wfile.flush()
            return
        if fault.kind == "http":
            headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            self._reply(request, fault.status, b"upstream trouble", headers)
            return
        if fault.kind == "garbage":
            if fault.forward:
                self._count_delivered(calls)
                self._upstream(raw)
            self._reply(request, 200, fault.body)
            return
        if fault.kind == "hold":
            self._hold(request, raw, calls, fault)
            return
        if fault.kind == "delay":
            time.sleep(fault.seconds)  # the fault itself: a slow node
            self._forward(request, raw, calls)
            return
        answers = []
        for call, f in zip(calls, faults, strict=True):
            if f is None or f.kind not in ("rpc_error", "result"):
                answers.append(self._upstream_one(call))
            elif f.kind == "rpc_error":
                error = {"code": f.code, "message": f.message}
                answers.append({"jsonrpc": "2.0", "id": call.get("id"), "error": error})
            else:
                if f.forward:
                    self._upstream_one(call)
                value = f.value(call.get("params") or []) if callable(f.value) else f.value
                answers.append({"jsonrpc": "2.0", "id": call.get("id"), "result": value})
        out = answers if isinstance(body, list) else answers[0]
        self._reply(request, 200, json.dumps(out).encode())

    def _hold(
        self, request: BaseHTTPRequestHandler, raw: bytes, calls: list[Any], fault: Fault
    ) -> None:
        gate = fault.gate
        assert gate is not None
        answer: tuple[int, bytes] | None = None
        if fault.forward:
            self._count_delivered(calls)
            answer = self._upstream(raw)
        with self._lock:
            gate.held += 1
        gate.arrived.set()
        gate.wait_released()
        if not fault.answer:
            request.close_connection = True
            return
        if answer is None:
            self._count_delivered(calls)
            answer = self._upstream(raw)
        self._reply(request, *answer)

    def _count_delivered(self, calls: list[Any]) -> None:
        with self._lock:
            for call in calls:
                self._stats.delivered[str(call.get("method"))] += 1

    def _upstream(self, raw: bytes) -> tuple[int, bytes]:
        req = urllib.request.Request(
            self.upstream, data=raw, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=self.upstream_timeout_s) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def _upstream_one(self, call: Any) -> Any:
        self._count_delivered([call])
        _, data = self._upstream(json.dumps(call).encode())
        return json.loads(data)

    def _forward(self, request: BaseHTTPRequestHandler, raw: bytes, calls: list[Any]) -> None:
        self._count_delivered(calls)
        status, data = self._upstream(raw)
        self._reply(request, status, data)

    @staticmethod
    def _reply(
        request: BaseHTTPRequestHandler,
        status: int,
        data: bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): nothing to answer
