"""A transport failure in words a person reads: "the node at URL did not answer
eth_call: it refused the connection", never a raw JSONDecodeError or HTTPError.

Retries: web3's HTTP provider already retries the idempotent reads (its allowlist:
eth_call, eth_getLogs, receipts, ...) on connection errors, HTTP errors and timeouts, and
never a send (`eth_sendRawTransaction`); batches are not retried. A send is retried by the
callers only when it provably did not arrive (the keeper re-broadcasts its journaled bytes;
a user operation is looked up by its hash first)."""

from __future__ import annotations

import json
from http.client import RemoteDisconnected

import requests

__all__ = ["is_transport_error", "transport_words"]


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
