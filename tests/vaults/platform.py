"""Typed access to a deployed VaultFactory, for tests that drive vaults without the
trading flow (owners are plain keys calling their vault directly)."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.chain import Transactor
from orchestrator.chain.bindings import Contract, bind_ours

GAS_CREATE_VAULT = 400_000


@dataclass(frozen=True)
class VaultPlatform:
    """A deployed factory on one chain."""

    factory: Contract

    def predict_vault(self, owner: str, salt: bytes) -> str:
        return str(self.factory.functions.predictVault(owner, salt).call())

    def create_vault(self, tx: Transactor, owner: str, salt: bytes) -> tuple[Contract, object]:
        receipt = tx.send(self.factory.functions.createVault(owner, salt), gas=GAS_CREATE_VAULT)
        return self.vault(self.predict_vault(owner, salt)), receipt

    def vault(self, address: str) -> Contract:
        return bind_ours(self.factory.w3, "IndexVault", address)
