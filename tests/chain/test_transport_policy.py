"""What web3 may repeat on its own (`chain.transport`): a read, yes; a send, never; and the
node timeout comes from $INDEXVAULT_RPC_TIMEOUT_S. Against the fault proxy answering by
itself (no node behind it): every request it gets is counted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.chain.backends import connect_rpc
from orchestrator.chain.transport import DEFAULT_RPC_TIMEOUT_S, RPC_TIMEOUT_ENV, rpc_timeout_s
from orchestrator.errors import ConfigError, RpcUnavailable
from tests.faults.proxy import Fault, FaultProxy, Gate

NOWHERE = "http://127.0.0.1:9"  # never asked: every request below is answered by a rule


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    with FaultProxy(NOWHERE) as answering:
        answering.rule("eth_chainId", Fault.result(hex(31337)))
        yield answering


def test_a_read_is_retried_by_web3_a_send_never(proxy: FaultProxy) -> None:
    proxy.rule("eth_blockNumber", Fault.http(503))
    proxy.rule("eth_sendRawTransaction", Fault.http(503))
    with connect_rpc(proxy.url) as chain:
        with pytest.raises(RpcUnavailable, match="did not answer eth_blockNumber: it answered"):
            chain.block_number()
        with pytest.raises(RpcUnavailable, match="eth_sendRawTransaction: it answered HTTP 503"):
            chain.w3.eth.send_raw_transaction(b"\x02signed bytes")
    assert proxy.arrived("eth_blockNumber") == 5  # web3's five tries of a read
    assert proxy.arrived("eth_sendRawTransaction") == 1  # a send: once, whatever happened


def test_the_node_timeout_is_configurable_and_said_in_words(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate()
    proxy.rule("eth_sendRawTransaction", Fault.hold(gate, deliver=False, answer=False))
    monkeypatch.setenv(RPC_TIMEOUT_ENV, "0.2")
    assert rpc_timeout_s() == 0.2
    try:
        with (
            connect_rpc(proxy.url) as chain,
            pytest.raises(RpcUnavailable, match="it did not answer in time"),
        ):
            chain.w3.eth.send_raw_transaction(b"\x02signed bytes")
    finally:
        gate.release()
    assert gate.held == 1  # the timeout came while the proxy held it, and it was not re-sent


@pytest.mark.parametrize("value", ["soon", "0", "-1", "7200"])
def test_a_bad_timeout_is_refused_naming_the_variable(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RPC_TIMEOUT_ENV, value)
    with pytest.raises(ConfigError, match=RPC_TIMEOUT_ENV):
        rpc_timeout_s()
    monkeypatch.delenv(RPC_TIMEOUT_ENV)
    assert rpc_timeout_s() == DEFAULT_RPC_TIMEOUT_S
