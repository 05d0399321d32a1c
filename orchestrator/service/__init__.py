"""The facade: every operation a front end (the CLI today, a web page next) offers a
person, and nothing a front end needs beyond it (`orchestrator.service.models` for what
it returns, `orchestrator.errors` for what it raises).

    open_session(network, wallet)      a Session: previews, prepare/sign/submit, holdings,
                                       P&L, log, mandate, fund, keeper_run
    open_local_market(...)             an in-process test market (demo, tests) and its
                                       sessions; local_up / local_advance: the persistent one
    keeper_status / keeper_daily       the keeper's operator side
    strategy                           weights, regime, rules, backtest (no chain)
    deploy_predict / deploy_plan / deploy   the platform (and a test market) on a public
                                       network: addresses, dry run, the idempotent deploy
    on_notice / share_send_lock        one-line notices (settled on start); the web
                                       server's shared send lock
    journal_backup / journal_rebuild   the journal's copy, and its rebuild from the chain
    wallets                            keystores and smart account addresses
"""

from orchestrator.artifacts.load import repo_root
from orchestrator.deployment.record import SentTx
from orchestrator.deployment.run import DeployPlan, StepView, eth_text
from orchestrator.service import models, strategy, wallets
from orchestrator.service.deploy import (
    DEFAULT_POOL_DEPTH_USD,
    DeployOutcome,
    deploy,
    deploy_plan,
    deploy_predict,
)
from orchestrator.service.journal import (
    BackupDone,
    RebuildDone,
    journal_backup,
    journal_path,
    journal_rebuild,
)
from orchestrator.service.keeper import KeeperStatus, keeper_daily, keeper_run_once, keeper_status
from orchestrator.service.local import (
    LocalMarket,
    SwapOutcome,
    fund_account,
    fund_test_account,
    local_advance,
    local_down,
    local_reset_warning,
    local_status,
    local_up,
    open_local_market,
    select_assets,
    usd,
)
from orchestrator.service.reliability import on_notice, share_send_lock
from orchestrator.service.session import (
    LOCAL_BUNDLER_ACCOUNT,
    LOCAL_KEEPER_ACCOUNT,
    Session,
    keeper_address,
    keeper_journal_path,
    load_history,
    open_session,
    trading_context,
)
from orchestrator.wallet.signers import KeystoreSigner, LocalKeySigner, Signer

# Real market data beside the checkout (tests, benchmarks, the demo; read in place, never
# copied); everything runs without it.
SHARED_MARKET_DATA = repo_root().parent / "shared" / "data" / "market"

__all__ = [
    "DEFAULT_POOL_DEPTH_USD",
    "LOCAL_BUNDLER_ACCOUNT",
    "LOCAL_KEEPER_ACCOUNT",
    "SHARED_MARKET_DATA",
    "BackupDone",
    "DeployOutcome",
    "DeployPlan",
    "KeeperStatus",
    "KeystoreSigner",
    "LocalKeySigner",
    "LocalMarket",
    "RebuildDone",
    "SentTx",
    "Session",
    "Signer",
    "StepView",
    "SwapOutcome",
    "deploy",
    "deploy_plan",
    "deploy_predict",
    "eth_text",
    "fund_account",
    "fund_test_account",
    "journal_backup",
    "journal_path",
    "journal_rebuild",
    "keeper_address",
    "keeper_daily",
    "keeper_journal_path",
    "keeper_run_once",
    "keeper_status",
    "load_history",
    "local_advance",
    "local_down",
    "local_reset_warning",
    "local_status",
    "local_up",
    "models",
    "on_notice",
    "open_local_market",
    "open_session",
    "select_assets",
    "share_send_lock",
    "strategy",
    "trading_context",
    "usd",
    "wallets",
]
