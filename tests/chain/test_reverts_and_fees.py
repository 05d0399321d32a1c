"""One behaviour suite, run on eth-tester and on anvil: reverts, fees, time, snapshots."""

from __future__ import annotations

import pytest

from orchestrator.artifacts import load_artifact, load_npm_artifact
from orchestrator.chain import Transactor, suggest_fees
from orchestrator.chain.fees import next_base_fee
from orchestrator.chain.uniswap import (
    QuoteRequest,
    quote_exact_input_single,
    swap_exact_input_single,
)
from orchestrator.errors import ContractReverted
from orchestrator.service import LocalMarket


def _usdc(market: LocalMarket):  # type: ignore[no-untyped-def]
    return market.chain.w3.eth.contract(
        address=market.book.contracts.usdc, abi=load_artifact("TestToken").abi
    )


@pytest.mark.parametrize("gas", [None, 150_000], ids=["estimated", "explicit-gas"])
def test_custom_error_is_decoded_with_arguments(fresh_market: LocalMarket, gas: int | None) -> None:
    stranger = Transactor(fresh_market.chain, fresh_market.chain.accounts[3])
    with pytest.raises(ContractReverted) as caught:
        stranger.send(_usdc(fresh_market).functions.mint(stranger.address, 1), gas=gas)
    error = caught.value
    assert error.error_name == "NotMinter"
    assert [a.lower() for a in error.error_args] == [
        stranger.address.lower(),
        fresh_market.deployer.address.lower(),
    ]
    # With an explicit gas limit the tx is mined and fails; the hash must be reported.
    assert (error.tx_hash is not None) == (gas is not None)


def test_revert_string_from_real_router_is_decoded(fresh_market: LocalMarket) -> None:
    c, token = fresh_market.book.contracts, fresh_market.book.tokens[1]
    fresh_market.fund_usdc(fresh_market.deployer.address, 500 * 10**6)
    request = QuoteRequest(c.usdc, token.address, token.fee, 500 * 10**6)
    quoted = quote_exact_input_single(fresh_market.chain, c.quoter_v2, request).amount_out
    with pytest.raises(ContractReverted) as caught:
        swap_exact_input_single(
            fresh_market.deployer, c.swap_router02, request, amount_out_min=quoted + 1
        )
    assert caught.value.error_name == "Error"
    assert caught.value.error_args == ("Too little received",)


def test_call_revert_is_decoded_the_same_way(fresh_market: LocalMarket) -> None:
    from orchestrator.chain import revert_from_exception

    stranger = fresh_market.chain.accounts[4].address
    with pytest.raises(Exception) as caught:  # the raw backend exception, normalised below
        _usdc(fresh_market).functions.mint(stranger, 1).call({"from": stranger})
    normalised = revert_from_exception(caught.value)
    assert normalised.error_name == "NotMinter"
    assert normalised.error_args[0].lower() == stranger.lower()


def test_uniswap_pool_errors_from_npm_artifacts_are_known(fresh_market: LocalMarket) -> None:
    pool = fresh_market.chain.w3.eth.contract(
        address=fresh_market.book.tokens[0].pool, abi=load_npm_artifact("UniswapV3Pool").abi
    )
    with pytest.raises(ContractReverted) as caught:  # already initialised: require(..., 'AI')
        fresh_market.deployer.send(pool.functions.initialize(2**96), gas=200_000)
    assert caught.value.error_args == ("AI",)


def test_suggested_base_fee_is_what_the_next_block_charges(fresh_market: LocalMarket) -> None:
    w3 = fresh_market.chain.w3
    # anvil's evm_revert restores state but not its base-fee tracker: the first block after
    # a revert (earlier tests revert snapshots) is priced from the pre-revert tip. One
    # mined block puts the header and anvil's tracker back in step.
    fresh_market.chain.mine(1)
    fees = suggest_fees(fresh_market.chain)
    assert fees.base_fee_per_gas > 0
    assert fees.max_fee_per_gas == 2 * fees.base_fee_per_gas + fees.max_priority_fee_per_gas
    assert fees.likely_fee_per_gas <= fees.max_fee_per_gas
    fresh_market.fund_usdc(fresh_market.deployer.address, 1)  # mines the next block
    assert w3.eth.get_block("latest")["baseFeePerGas"] == fees.base_fee_per_gas


def test_next_base_fee_follows_eip1559() -> None:
    block = {"baseFeePerGas": 1_000_000_000, "gasLimit": 30_000_000}
    assert next_base_fee({**block, "gasUsed": 15_000_000}) == 1_000_000_000  # at target
    assert next_base_fee({**block, "gasUsed": 30_000_000}) == 1_125_000_000  # full: +12.5%
    assert next_base_fee({**block, "gasUsed": 0}) == 875_000_000  # empty: -12.5%
    assert next_base_fee({**block, "baseFeePerGas": 7, "gasUsed": 15_000_001}) == 8  # min +1


def test_time_travel_and_snapshots(market: LocalMarket) -> None:
    chain = market.chain
    snapshot = chain.snapshot()
    before = chain.timestamp()
    chain.increase_time(7 * 24 * 3600)
    assert chain.timestamp() >= before + 7 * 24 * 3600
    chain.revert_to(snapshot)
    assert chain.timestamp() < before + 7 * 24 * 3600
    market.deployer.resync()


def test_two_transactors_on_one_key_do_not_clash_on_nonces(fresh_market: LocalMarket) -> None:
    chain = fresh_market.chain
    first = Transactor(chain, chain.accounts[4])
    second = Transactor(chain, chain.accounts[4])
    usdc = _usdc(fresh_market)
    first.send(usdc.functions.approve(chain.accounts[5].address, 1), gas=100_000)
    second.send(usdc.functions.approve(chain.accounts[5].address, 2), gas=100_000)  # stale cache
    first.send(usdc.functions.approve(chain.accounts[5].address, 3), gas=100_000)  # stale again
    owner, spender = chain.accounts[4].address, chain.accounts[5].address
    assert chain.w3.eth.get_transaction_count(owner) == 3
    assert usdc.functions.allowance(owner, spender).call() == 3
