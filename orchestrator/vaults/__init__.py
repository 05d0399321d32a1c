"""Our vault platform on chain: deploying the factory, creating vaults, encoding legs."""

from orchestrator.vaults.platform import (
    Leg,
    Mandate,
    VaultPlatform,
    deploy_vault_factory,
    encode_legs,
)

__all__ = ["Leg", "Mandate", "VaultPlatform", "deploy_vault_factory", "encode_legs"]
