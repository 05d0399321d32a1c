"""Preparing a deployment (checks, plan, what is done already, gas, cost, balances) and
running it: every step whose effect is not on chain yet is sent, one after another, and
the deployment file is rewritten after each.

`on_sent` is called after each transaction is mined (the CLI prints progress; the tests
stop a run there, as a kill between two transactions would)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from orchestrator.chain.backends import Chain
from orchestrator.chain.calls import call_raw, estimate_gas
from orchestrator.chain.fees import Fees, suggest_fees
from orchestrator.chain.transactor import Transactor, TxParams
from orchestrator.chain.vault_binding import BALANCE_OF
from orchestrator.deployment.checks import BookCheck, check_address_book
from orchestrator.deployment.network_file import NetworkFile
from orchestrator.deployment.plan import (
    PLATFORM_SALT,
    PlatformArgs,
    Step,
    TestMarketPlan,
    plan_platform,
    plan_test_market,
    vault_factory_constructor_args,
)
from orchestrator.deployment.record import (
    DeploymentRecord,
    PlatformRecord,
    SentTx,
    TestMarketRecord,
    compiler_info,
    standard_json_input,
)
from orchestrator.errors import AddressBookMismatch, DeployerUnderfunded, InternalError
from orchestrator.market.snapshot import AssetSnapshot

__all__ = [
    "DeployPlan",
    "MarketChoice",
    "StepView",
    "eth_text",
    "execute",
    "predict",
    "prepare",
    "require_funds",
]

WEI_PER_ETH = 10**18


@dataclass(frozen=True)
class MarketChoice:
    """The test market's assets and where they came from."""

    assets: tuple[AssetSnapshot, ...]
    source: str
    is_synthetic: bool
    depth_usd: Decimal


@dataclass(frozen=True)
class StepView:
    key: str
    what: str
    creates: str | None
    gas: int  # estimated where it can be (the platform), else the step's gas limit
    gas_limit: int
    done: bool


@dataclass(frozen=True)
class DeployPlan:
    network: NetworkFile
    deployer: str
    platform: PlatformRecord
    steps: tuple[Step, ...]
    views: tuple[StepView, ...]
    market: MarketChoice | None
    test_market: TestMarketPlan | None
    checks: BookCheck | None = None
    fees: Fees | None = None
    balance_wei: int | None = None
    usdc_balance: int | None = None

    @property
    def pending(self) -> tuple[StepView, ...]:
        return tuple(v for v in self.views if not v.done)

    @property
    def gas_pending(self) -> int:
        return sum(v.gas for v in self.pending)

    @property
    def cost_likely_wei(self) -> int | None:
        return None if self.fees is None else self.gas_pending * self.fees.likely_fee_per_gas

    @property
    def cost_max_wei(self) -> int | None:
        """What the deployer must hold: every pending step's gas limit at the max fee."""
        if self.fees is None:
            return None
        return sum(v.gas_limit for v in self.pending) * self.fees.max_fee_per_gas

    @property
    def missing_wei(self) -> int:
        if self.cost_max_wei is None or self.balance_wei is None:
            return 0
        return max(self.cost_max_wei - self.balance_wei, 0)

    @property
    def usdc_needed(self) -> int:
        """USDC base units the pending liquidity steps spend (pools seeded before: none)."""
        if self.test_market is None:
            return 0
        per_pool = self.test_market.usdc_per_pool
        return sum(
            per_pool[v.key.split(":")[1]] for v in self.pending if v.key.endswith(":liquidity")
        )


def _platform_args(network: NetworkFile, deployer: str, fee_recipient: str | None,
                   fee_bps: int) -> PlatformArgs:  # fmt: skip
    return PlatformArgs(
        admin=deployer,
        usdc=network.contracts.usdc.address,
        uniswap_v3_factory=network.contracts.uniswap_v3_factory.address,
        fee_recipient=to_checksum_address(fee_recipient or deployer),
        fee_bps=fee_bps,
        min_block_time_s=network.block_time_s,
    )


def predict(
    network: NetworkFile,
    deployer: str,
    *,
    fee_recipient: str | None = None,
    fee_bps: int = 10,
    market: MarketChoice | None = None,
    deadline_s: int = 2**40,
) -> DeployPlan:
    """The plan and its addresses, from the network file alone (no node needed)."""
    args = _platform_args(network, deployer, fee_recipient, fee_bps)
    step, factory, implementation = plan_platform(args)
    platform = PlatformRecord(
        vault_factory=factory,
        index_vault_implementation=implementation,
        salt="0x" + PLATFORM_SALT.hex(),
        constructor_arguments="0x" + vault_factory_constructor_args(args).hex(),
        **{k: getattr(args, k) for k in ("admin", "usdc", "uniswap_v3_factory",
                                         "fee_recipient", "fee_bps", "min_block_time_s")},
    )  # fmt: skip
    steps: list[Step] = [step]
    market_plan = None
    if market is not None and market.assets:
        c = network.contracts
        market_plan = plan_test_market(
            market.assets, deployer=deployer, usdc=c.usdc.address,
            v3_factory=c.uniswap_v3_factory.address,
            position_manager=c.nonfungible_position_manager.address,
            depth_usd=market.depth_usd, block_time_s=network.block_time_s,
            deadline_s=deadline_s,
        )  # fmt: skip
        steps += market_plan.steps
    views = tuple(
        StepView(s.key, s.what, s.creates, s.gas_limit, s.gas_limit, False) for s in steps
    )
    return DeployPlan(network, deployer, platform, tuple(steps), views, market, market_plan)


def prepare(chain: Chain, planned: DeployPlan, url: str) -> DeployPlan:
    """Check the address book, then read what is done already, the gas of what is not,
    the current fees and the deployer's balances. Sends nothing."""
    checks = check_address_book(chain, planned.network, url)
    views = []
    for step, view in zip(planned.steps, planned.views, strict=True):
        done = step.done(chain)
        gas = view.gas_limit
        if not done and step.key.startswith("platform:"):
            gas = estimate_gas(chain, step.to, step.data, sender=planned.deployer)
        views.append(StepView(view.key, view.what, view.creates, gas, view.gas_limit, done))
    usdc = planned.network.contracts.usdc.address
    usdc_balance = int(
        BALANCE_OF.decode(call_raw(chain, usdc, BALANCE_OF.call(planned.deployer)))[0]
    )
    return DeployPlan(
        planned.network, planned.deployer, planned.platform, planned.steps, tuple(views),
        planned.market, planned.test_market, checks=checks, fees=suggest_fees(chain),
        balance_wei=chain.balance_wei(planned.deployer), usdc_balance=usdc_balance,
    )  # fmt: skip


def eth_text(wei: int) -> str:
    return f"{Decimal(wei) / WEI_PER_ETH:.6f} ETH"


def require_funds(plan: DeployPlan) -> None:
    """DeployerUnderfunded (how much is needed, how much is held) before anything is sent."""
    if plan.missing_wei > 0:
        assert plan.cost_max_wei is not None
        assert plan.balance_wei is not None
        raise DeployerUnderfunded(
            holder=plan.deployer, asset="ETH", amount=plan.cost_max_wei,
            available=plan.balance_wei,
            shown=f"{eth_text(plan.balance_wei)}; the {len(plan.pending)} transaction(s) left "
            f"need up to {eth_text(plan.cost_max_wei)} (gas limits at the current max fee): "
            f"{eth_text(plan.missing_wei)} more",
        )  # fmt: skip
    needed = plan.usdc_needed
    if needed and plan.usdc_balance is not None and plan.usdc_balance < needed:
        raise DeployerUnderfunded(
            holder=plan.deployer, asset="USDC", amount=needed, available=plan.usdc_balance,
            shown=f"{Decimal(plan.usdc_balance).scaleb(-6):,.2f} USDC; seeding the test "
            f"market's pools needs {Decimal(needed).scaleb(-6):,.2f} USDC",
        )  # fmt: skip


def _record(plan: DeployPlan, sent: Sequence[SentTx], standard_input: str) -> DeploymentRecord:
    compiler, digest = compiler_info()
    market = None
    if plan.test_market is not None and plan.market is not None:
        market = TestMarketRecord(
            market_source=plan.market.source,
            market_is_synthetic=plan.market.is_synthetic,
            market_date=plan.market.assets[0].date.isoformat(),
            pool_depth_usd=str(plan.market.depth_usd),
            observation_cardinality=plan.test_market.observation_cardinality,
            tokens=plan.test_market.tokens,
        )
    return DeploymentRecord(
        network=plan.network.name, chain_id=plan.network.chain_id, deployer=plan.deployer,
        platform=plan.platform, compiler=compiler, sources_hash=digest,
        standard_json_input=standard_input, transactions=tuple(sent), test_market=market,
    )  # fmt: skip


def execute(
    chain: Chain,
    tx: Transactor,
    plan: DeployPlan,
    *,
    record_path: Path,
    on_sent: Callable[[SentTx], None] = lambda _sent: None,
) -> DeploymentRecord:
    """Send every step not done yet (each re-checked on chain just before), rewriting the
    deployment file after each. Returns the final record."""
    require_funds(plan)
    input_name = f"{record_path.stem}.standard-input.json"
    record_path.parent.mkdir(parents=True, exist_ok=True)
    (record_path.parent / input_name).write_text(json.dumps(standard_json_input(), indent=1) + "\n")
    earlier: list[SentTx] = []
    if record_path.exists():
        previous = DeploymentRecord.load(record_path)
        if previous.chain_id == plan.network.chain_id and previous.deployer == plan.deployer:
            earlier = list(previous.transactions)
    sent = list(earlier)
    record = _record(plan, sent, input_name)
    record.save(record_path)
    for step in plan.steps:
        if step.done(chain):
            continue
        params: TxParams = {"to": to_checksum_address(step.to), "data": HexBytes(step.data)}
        receipt = tx.send(params, gas=step.gas_limit)
        if step.creates is not None and not chain.code(step.creates):
            if step.key.endswith(":pool"):
                raise AddressBookMismatch(
                    name="the Uniswap V3 factory",
                    address=plan.network.contracts.uniswap_v3_factory.address,
                    problem=f"the new pool is not at {step.creates}, where the vault's pool "
                    "init-code hash puts it: the vault would reject this factory's pools",
                    hint="Point uniswap_v3_factory at the canonical Uniswap V3 factory.",
                )  # fmt: skip
            raise InternalError(
                f"{step.what}: the transaction succeeded but left no code at {step.creates}",
                hint="Its constructor probably ran out of gas: raise the step's gas limit.",
            )
        done = SentTx(
            step=step.key,
            tx_hash=HexBytes(receipt["transactionHash"]).to_0x_hex(),
            block=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
        )
        sent.append(done)
        record = _record(plan, sent, input_name)
        record.save(record_path)
        on_sent(done)
    return record
