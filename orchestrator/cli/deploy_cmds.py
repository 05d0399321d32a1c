"""`indexvault deploy --network NAME [--predict | --dry-run] [-w DEPLOYER]
[--with-test-market N] [--yes]`: the platform on a public network (docs/testnet.md)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from orchestrator import service
from orchestrator.cli.app import app
from orchestrator.cli.output import JsonOpt, emit
from orchestrator.cli.wallet_cmds import _password
from orchestrator.errors import InputError

__all__ = ["deploy"]


def _plan_text(plan: service.DeployPlan, *, predicted_only: bool) -> str:
    p = plan.platform
    lines = [
        f"network {plan.network.name} (chain id {plan.network.chain_id}), deployer {plan.deployer}",
        f"VaultFactory                {p.vault_factory}",
        f"IndexVault implementation   {p.index_vault_implementation}",
        f"  salt {p.salt}; admin {p.admin}; fee {p.fee_bps} bps to {p.fee_recipient}; "
        f"min block time {p.min_block_time_s} s",
    ]
    if plan.test_market is not None and plan.market is not None:
        m = plan.market
        lines.append(
            f"test market: {len(m.assets)} tokens from {m.source} on {m.assets[0].date}, "
            f"${m.depth_usd:,} deep pools, oracle ring {plan.test_market.observation_cardinality}"
        )
        for token in plan.test_market.tokens:
            lines.append(
                f"  {token.symbol:<8} token {token.address}  pool {token.pool}  "
                f"${token.snapshot_price_usd:,}"
            )
    if predicted_only:
        return "\n".join(lines)
    if plan.checks is not None:
        lines += ["address book:"] + [f"  ok: {line}" for line in plan.checks.lines]
    lines.append("transactions:")
    for view in plan.views:
        state = "done, skipped" if view.done else f"{view.gas:>12,} gas"
        lines.append(f"  {view.what:<62} {state}")
    pending = plan.pending
    lines.append(f"{len(pending)} to send, {plan.gas_pending:,} gas")
    if plan.fees is not None and pending:
        likely = plan.cost_likely_wei or 0
        lines.append(
            f"cost at current fees (base {plan.fees.base_fee_per_gas / 1e9:.3f} gwei + tip "
            f"{plan.fees.max_priority_fee_per_gas / 1e9:.3f} gwei): ~{service.eth_text(likely)}, "
            f"at most {service.eth_text(plan.cost_max_wei or 0)}"
        )
    if plan.balance_wei is not None:
        lines.append(f"deployer balance: {service.eth_text(plan.balance_wei)}")
        if plan.missing_wei:
            lines.append(f"missing: {service.eth_text(plan.missing_wei)} (fund the deployer first)")
    if plan.usdc_needed and plan.usdc_balance is not None:
        lines.append(
            f"USDC for the test pools: {Decimal(plan.usdc_needed).scaleb(-6):,.2f} needed, "
            f"{Decimal(plan.usdc_balance).scaleb(-6):,.2f} held"
        )
    return "\n".join(lines)


def _deployer_address(wallet: str) -> str:
    if wallet.startswith("0x"):
        return wallet
    owner = service.wallets.keystore().get(wallet).owner
    if owner is None:
        raise InputError(f"wallet {wallet!r} has no readable address")
    return owner


@app.command("deploy")
def deploy(
    network: Annotated[str, typer.Option("--network", "-n", help="A public network.")],
    wallet: Annotated[str, typer.Option("--wallet", "-w", help="The deployer's keystore.")] = (
        "deployer"
    ),
    predict: Annotated[bool, typer.Option(help="Print the addresses; no node needed.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Check, plan and price; send nothing.")] = False,
    with_test_market: Annotated[
        int, typer.Option(help="Also deploy N test tokens with seeded USDC pools.")
    ] = 0,
    pool_depth_usd: Annotated[str, typer.Option(help="Each test pool's depth in USD.")] = str(
        service.DEFAULT_POOL_DEPTH_USD
    ),
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Deploy without asking.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Deploy the VaultFactory (and its IndexVault implementation) with CREATE2; resumable."""
    try:
        depth = Decimal(pool_depth_usd)
    except InvalidOperation:
        raise InputError(f"{pool_depth_usd!r} is not an amount of USD") from None
    if predict or dry_run:
        deployer = _deployer_address(wallet)
        if predict:
            plan = service.deploy_predict(
                network, deployer, with_test_market=with_test_market, pool_depth_usd=depth
            )
        else:
            plan = service.deploy_plan(
                network, deployer, with_test_market=with_test_market, pool_depth_usd=depth
            )
        if as_json:
            emit("deploy", plan)
        else:
            typer.echo(_plan_text(plan, predicted_only=predict))
        return
    signer = service.wallets.keystore_signer(wallet, lambda: _password(confirm=False))
    key = signer.unlock()

    def confirm(plan: service.DeployPlan) -> bool:
        if as_json:  # no prompt can interleave with JSON: without --yes nothing is sent
            return yes
        typer.echo(_plan_text(plan, predicted_only=False))
        return yes or typer.confirm("Send these transactions?", default=False)

    def on_sent(sent: service.SentTx) -> None:
        if not as_json:
            typer.echo(
                f"  sent {sent.step}: {sent.tx_hash} (block {sent.block}, {sent.gas_used:,} gas)"
            )

    outcome = service.deploy(
        network, key, confirm=confirm,
        on_sent=on_sent, with_test_market=with_test_market, pool_depth_usd=depth,
    )  # fmt: skip
    if as_json:
        emit("deploy", {"plan": outcome.plan, "sent": outcome.sent, "record": outcome.record,
                        "path": str(outcome.path)})  # fmt: skip
        if outcome.record is None:
            raise typer.Exit(1)
        return
    if outcome.record is None:
        typer.echo("not deployed: nothing was sent")
        raise typer.Exit(1)
    verb = f"sent {outcome.sent} transaction(s)" if outcome.sent else "nothing to send"
    typer.echo(
        f"deployed on {network}: {verb}; VaultFactory {outcome.record.platform.vault_factory}\n"
        f"deployment file: {outcome.path}"
    )
