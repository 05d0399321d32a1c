"""The address book: every contract of a deployed market, as JSON a human can read."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict

__all__ = ["AddressBook", "CoreContracts", "TokenEntry"]


class CoreContracts(BaseModel):
    model_config = ConfigDict(frozen=True)

    weth9: str
    usdc: str
    uniswap_v3_factory: str
    nonfungible_position_manager: str
    swap_router02: str
    quoter_v2: str
    multicall3: str
    entry_point: str  # ERC-4337 EntryPoint v0.8
    simple_account_factory: str
    vault_factory: str  # indexvault's VaultFactory (its IndexVault implementation inside)


class TokenEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    symbol: str
    name: str
    address: str
    decimals: int
    pool: str
    fee: int  # Uniswap fee tier, in hundredths of a bip
    token_is_token0: bool
    snapshot_price_usd: Decimal
    snapshot_market_cap_usd: Decimal
    seeded_depth_usd: Decimal


class AddressBook(BaseModel):
    model_config = ConfigDict(frozen=True)

    chain_id: int
    chain: str  # backend label
    market_source: str  # a CSV path or "synthetic (seed=N)"
    market_is_synthetic: bool
    market_date: str
    deployer: str
    contracts: CoreContracts
    tokens: tuple[TokenEntry, ...]
    # (what, why) for index constituents this network cannot trade (a public network's
    # tokens without a pool with liquidity); previews list them
    left_out: tuple[tuple[str, str], ...] = ()
    deployed_from_block: int = 0  # no vault or user operation of ours before: logs start here

    def token(self, symbol: str) -> TokenEntry:
        for entry in self.tokens:
            if entry.symbol == symbol:
                return entry
        from orchestrator.errors import InputError

        known = ", ".join(t.symbol for t in self.tokens[:12])
        raise InputError(
            f"unknown token {symbol!r} on this market",
            hint=f"Known symbols include: {known}{' ...' if len(self.tokens) > 12 else ''}",
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> AddressBook:
        return cls.model_validate_json(path.read_text())
