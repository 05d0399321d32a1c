"""The address-book checks a deployment (and every session on a public network) relies
on, run before anything is sent: the chain is the configured one, every canonical contract
has code, the deterministic deployment proxy is the real one, USDC has the decimals the
network file says, and the Uniswap V3 factory's pools sit where the vault computes them
(its PoolAddress init-code hash)."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import call_raw
from orchestrator.chain.create2 import DETERMINISTIC_DEPLOYER_RUNTIME
from orchestrator.chain.vault_binding import Function
from orchestrator.deployment.network_file import CONTRACT_NAMES, NetworkFile
from orchestrator.deployment.plan import GET_POOL, pool_address
from orchestrator.errors import AddressBookMismatch, WrongChain

__all__ = ["BookCheck", "check_address_book"]

DECIMALS = Function("TestToken", "decimals()", ("uint8",))
ZERO = "0x0000000000000000000000000000000000000000"
FEE_TIERS = (500, 3000, 10_000, 100)


@dataclass(frozen=True)
class BookCheck:
    """What was checked, in words (the dry run prints it)."""

    lines: tuple[str, ...]
    pool_hash_checked_with: str | None  # the pool that proved the init-code hash, if any


def check_address_book(chain: Chain, network: NetworkFile, url: str) -> BookCheck:
    """Raise WrongChain or AddressBookMismatch (naming the contract, the address and what
    to do) on the first thing that is not as the network file says."""
    if chain.chain_id != network.chain_id:
        raise WrongChain(expected=network.chain_id, actual=chain.chain_id, url=url)
    lines = [f"chain id {chain.chain_id} = {network.name}'s"]
    file_hint = (
        f"Fix its address in deploy/networks/{network.name}.json or "
        f"$INDEXVAULT_HOME/networks/{network.name}.json (check the source it cites)."
    )
    for key, entry in network.contracts.items():
        name = CONTRACT_NAMES[key]
        code = chain.code(entry.address)
        if not code:
            raise AddressBookMismatch(
                name=name, address=entry.address,
                problem=f"no code on chain {chain.chain_id}", hint=file_hint,
            )  # fmt: skip
        if key == "deterministic_deployer" and code != DETERMINISTIC_DEPLOYER_RUNTIME:
            raise AddressBookMismatch(
                name=name, address=entry.address,
                problem="holds other code than the deterministic deployment proxy",
                hint="This chain cannot give the platform its canonical CREATE2 address.",
            )  # fmt: skip
    lines.append(f"code at all {len(CONTRACT_NAMES)} canonical addresses")
    usdc = network.contracts.usdc.address
    try:
        decimals = int(DECIMALS.decode(call_raw(chain, usdc, DECIMALS.call()))[0])
    except Exception as error:
        raise AddressBookMismatch(
            name="USDC", address=usdc, problem=f"decimals() does not answer ({error})",
            hint=file_hint,
        ) from error  # fmt: skip
    if decimals != network.usdc_decimals:
        raise AddressBookMismatch(
            name="USDC", address=usdc,
            problem=f"has {decimals} decimals, the network file says {network.usdc_decimals}",
            hint=file_hint,
        )  # fmt: skip
    lines.append(f"USDC has {decimals} decimals")
    factory = network.contracts.uniswap_v3_factory.address
    weth = network.contracts.weth9.address
    proof = None
    for fee in FEE_TIERS:
        try:
            answer = call_raw(chain, factory, GET_POOL.call(usdc, weth, fee))
            listed = str(GET_POOL.decode(answer)[0])
        except Exception as error:
            raise AddressBookMismatch(
                name=CONTRACT_NAMES["uniswap_v3_factory"], address=factory,
                problem="does not answer getPool(tokenA, tokenB, fee): not a Uniswap V3 factory",
                hint=file_hint,
            ) from error  # fmt: skip
        if listed.lower() == ZERO:
            continue
        computed = pool_address(factory, usdc, weth, fee)
        if listed.lower() != computed.lower():
            raise AddressBookMismatch(
                name=CONTRACT_NAMES["uniswap_v3_factory"], address=factory,
                problem=f"its USDC/WETH {fee / 10_000:.2f}% pool is at {listed}, but the vault's "
                f"pool init-code hash puts it at {computed}: the vault would reject its pools",
                hint="This is not the canonical Uniswap V3 factory (or a fork with another pool "
                "bytecode): point uniswap_v3_factory at the canonical one.",
            )  # fmt: skip
        proof = listed
        lines.append(f"pool init-code hash matches the factory's USDC/WETH pool {listed}")
        break
    if proof is None:
        lines.append(
            "pool init-code hash not checked yet: no USDC/WETH pool on this factory (a test "
            "market's first pool is checked against it instead)"
        )
    return BookCheck(tuple(lines), proof)
