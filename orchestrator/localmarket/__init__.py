"""A real local Uniswap V3 market built from a market snapshot (eth-tester or anvil)."""

from orchestrator.localmarket.addressbook import AddressBook, CoreContracts, TokenEntry
from orchestrator.localmarket.deploy import MarketConfig, deploy_market, deploy_uniswap

__all__ = [
    "AddressBook",
    "CoreContracts",
    "MarketConfig",
    "TokenEntry",
    "deploy_market",
    "deploy_uniswap",
]
