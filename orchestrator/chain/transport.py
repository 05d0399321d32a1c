"""A transport failure in words a person reads: "the node at URL did not answer
eth_call: it refused the connection", never a raw JSONDecodeError or HTTPError.

Retries: web3's HTTP provider retries the idempotent reads (`RETRIED_METHODS`: eth_call,
eth_getLogs, receipts, ...) on connection errors, HTTP errors and timeouts; batches are not
retried. web3 8 also lists `eth_sendRawTransaction` (re-sending signed bytes cannot execute
twice, but after a timeout the node may have taken the first copy: its "nonce too low"
answer to the retry would then hide a transaction that is on its way). We take sends off
that list: a send is retried by the callers only after they looked at the chain (the keeper
re-broadcasts its journaled bytes when its nonce is still free; a user operation is looked
up by its hash first).

Timeouts: a node request waits `rpc_timeout_s()` ($INDEXVAULT_RPC_TIMEOUT_S, default 10 s)
for an answer; a read past it is retried as above (up to 5 tries), a send is not."""

from __future__ import annotations

import json
import os
from http.client import RemoteDisconnected

import requests
from web3.providers.rpc.utils import REQUEST_RETRY_ALLOWLIST

from orchestrator.errors import ConfigError

__all__ = [
    "DEFAULT_RPC_TIMEOUT_S",
    "RETRIED_ERRORS",
    "RETRIED_METHODS",
    "RPC_TIMEOUT_ENV",
    "is_transport_error",
    "rpc_timeout_s",
    "seconds_from_env",
    "transport_words",
]

RPC_TIMEOUT_ENV = "INDEXVAULT_RPC_TIMEOUT_S"
DEFAULT_RPC_TIMEOUT_S = 10.0
_SENDS = frozenset({"eth_sendRawTransaction", "eth_sendTransaction"})
# what web3 may repeat on its own: its allowlist of idempotent methods, less every send
RETRIED_METHODS: tuple[str, ...] = tuple(m for m in REQUEST_RETRY_ALLOWLIST if m not in _SENDS)
# ... on these failures (web3's own default: the built-in ConnectionError, which requests'
# connection errors are not, HTTP error statuses, and timeouts)
RETRIED_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    requests.HTTPError,
    requests.Timeout,
)


def rpc_timeout_s() -> float:
    """How long one node request waits for its answer ($INDEXVAULT_RPC_TIMEOUT_S)."""
    return seconds_from_env(RPC_TIMEOUT_ENV, DEFAULT_RPC_TIMEOUT_S)


def seconds_from_env(name: str, default: float) -> float:
    """A number of seconds from the environment variable `name` (unset: `default`); a bad
    value is a ConfigError naming it."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3_600:
        raise ConfigError(
            f"${name} must be a number of seconds between 0 and 3600, got {raw!r}",
            hint=f"Unset it for the default ({default:g} s), or set e.g. {name}=30.",
        )
    return value


def is_transport_error(error: BaseException) -> bool:
    """An answer that never came or could not be read (not a JSON-RPC error answer)."""
    return isinstance(error, OSError | json.JSONDecodeError)


def _retry_after(response: requests.Response | None) -> str:
    if response is None:
        return ""
    value = response.headers.get("Retry-After")
    return f"; it asks to retry after {value} s" if value else ""


def transport_words(error: BaseException) -> str:
    """Why no usable answer came, in words (see the module docstring)."""
    if isinstance(error, json.JSONDecodeError):
        return "its answer was not valid JSON (malformed or cut short)"
    if isinstance(error, requests.HTTPError):
        response = error.response
        status = "an HTTP error" if response is None else f"HTTP {response.status_code}"
        busy = (
            " (too many requests)" if response is not None and response.status_code == 429 else ""
        )
        return f"it answered {status}{busy}{_retry_after(response)}"
    if isinstance(error, requests.Timeout | TimeoutError):
        return "it did not answer in time (timed out)"
    text = str(error)
    if isinstance(error, requests.ConnectionError):
        if "refused" in text.lower():
            return "it refused the connection (is it running, and is the URL right?)"
        if "RemoteDisconnected" in text or "aborted" in text.lower():
            return "it closed the connection without an answer"
        return "it could not be reached"
    if isinstance(error, ConnectionRefusedError):
        return "it refused the connection (is it running, and is the URL right?)"
    if isinstance(error, RemoteDisconnected | ConnectionResetError):
        return "it closed the connection without an answer"
    return f"{type(error).__name__}: {text}"
