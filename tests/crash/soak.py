"""Randomized crash runs of the one-click confirm on the local node (anvil + alto).

Each run is one intended action, "buy $X for wallet W" (X unique per run, so each intent
is told apart on chain). A forked child opens a session, previews, tells the parent its
quote id, and confirms with $INDEXVAULT_CRASH_AT naming a point chosen at random
(orchestrator.crashpoints; "none" for a clean run): it dies there by SIGKILL, and the
parent checks that it died where it was told (exit by SIGKILL exactly when a point was
named). Then the "restart", as a user would: a new session (which settles what the dead
one left open) reads the journal for the intent's quote ids; one included -> done;
otherwise (never submitted, dropped, failed, or still open with no trace on chain) a
fresh preview is confirmed at once, without waiting to learn the open op's fate: the
hardest case for "never twice", since the open op may still land (see `_restart`).

At the end, for every wallet: the journal says exactly what the chain says (every
UserOperationEvent of its account is one included entry, nothing open), and per intent:
executed exactly once (`double` counts intents with two or more operations on chain,
`lost` intents with none).

    python -m tests.crash.soak --runs 1000 --seed 1     # `make crash-soak`
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from eth_account.signers.local import LocalAccount

from orchestrator.crashpoints import CRASH_ENV, CRASH_POINTS
from orchestrator.execution.userop_result import USER_OPERATION_EVENT_TOPIC
from orchestrator.ledger.journal import Journal
from orchestrator.ledger.journal_records import JournalEntry
from orchestrator.service import LocalKeySigner, fund_test_account, open_session
from orchestrator.service.models import usdc_units

WALLETS = 4
# refusals a retry may meet before its preview, each a reason to look again: an earlier
# run's op executed after all (found by the retry's own settle), or landed meanwhile
REFUSALS = ("error EarlierRunLanded", "error AccountMoved")
POINTS = (*CRASH_POINTS, "none")
RESULTS = Path(__file__).resolve().parents[2] / ".bench" / "crash_soak.json"


@dataclass
class SoakResult:
    crash_runs: int = 0
    crashed_where_told: int = 0
    crash_double_executions: int = 0
    crash_lost_intents: int = 0
    journal_mismatches: int = 0
    retried_after_crash: int = 0
    by_point: dict[str, int] = field(default_factory=dict)
    doubles: list[str] = field(default_factory=list)  # what each double was, to read
    seconds: float = 0.0


def _owners(seed: int) -> list[LocalAccount]:
    from eth_account import Account
    from eth_utils.crypto import keccak

    return [Account.from_key(keccak(text=f"crash soak {seed} wallet {i}")) for i in range(WALLETS)]


def _child(owner: LocalAccount, amount: int, point: str, out_fd: int) -> None:
    """In the forked child: preview, tell the quote id, confirm (maybe dying on the way)."""
    try:
        if point != "none":
            os.environ[CRASH_ENV] = point
        with open_session("local", signer=LocalKeySigner(owner)) as session:
            preview = session.preview_buy(usdc_units(amount))
            os.write(out_fd, (preview.quote_id + "\n").encode())
            session.confirm(preview)
        os._exit(0)
    except BaseException as error:  # a refusal: reported, the parent retries the intent
        os.write(out_fd, f"error {type(error).__name__}: {error}\n".encode())
        os._exit(3)


def _attempt(owner: LocalAccount, amount: int, point: str) -> tuple[int, str]:
    """Fork a child for one attempt; (its wait status, what it said)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        _child(owner, amount, point, write_fd)
    os.close(write_fd)
    chunks = []
    while chunk := os.read(read_fd, 4096):
        chunks.append(chunk)
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    return status, b"".join(chunks).decode()


def _states(home: Path, quote_ids: list[str]) -> list[str]:
    with Journal(home / "journal.sqlite") as journal:
        found = {e.preview.quote_id: e.state for e in journal.entries()}
    return [found.get(q, "none") for q in quote_ids]


def _settle(owner: LocalAccount) -> None:
    with open_session("local", signer=LocalKeySigner(owner)):
        pass  # opening a session settles what an earlier run left open


def _restart(home: Path, owner: LocalAccount, amount: int, quote_id: str | None) -> list[str]:
    """After a run, as a user would: settle (a new session does), then look at the intent's
    quotes: one included -> done; otherwise (never submitted, failed, dropped, or still
    open with no trace) a fresh preview, confirmed without a crash, at once. An op still
    open may sit in alto's mempool and land at any moment: the retry is built on the
    account's nonce, which is the open op's, so at most one of them executes (before this
    rule, a time-based "dropped" verdict let both land). Returns every quote id
    confirmed for the intent."""
    quotes = [quote_id] if quote_id else []
    said = ""
    for _ in range(20):
        if "included" in _states(home, quotes):
            return quotes
        _settle(owner)
        if "included" in _states(home, quotes):
            return quotes
        status, said = _attempt(owner, amount, "none")
        fresh = said.splitlines()[0].strip() if said and not said.startswith("error") else None
        if fresh:
            quotes.append(fresh)
        elif status != 0 and not said.startswith(REFUSALS):
            raise AssertionError(f"the retry failed before its preview: {said}")
    raise AssertionError(f"intent {amount} not done after 20 retries: {quotes}; last: {said}")


def _chain_ops(owner: LocalAccount) -> dict[str, bool]:
    with open_session("local", signer=LocalKeySigner(owner)) as session:
        sender = session.account
        logs = session.chain.w3.eth.get_logs({
            "fromBlock": 0, "toBlock": "latest",
            "topics": [USER_OPERATION_EVENT_TOPIC, None, "0x" + "00" * 12 + sender[2:].lower()],
        })  # fmt: skip
    return {"0x" + bytes(log["topics"][1]).hex(): bytes(log["data"])[63] == 1 for log in logs}


def run_soak(
    home: Path, runs: int, seed: int, *, checkpoint: Path | None = None, every: int = 100
) -> SoakResult:
    """`runs` randomized runs on the local node whose home is `home` (already up). With
    `checkpoint`, the whole check runs every `every` runs too and its counts so far are
    written there (a long soak stopped early still reports what it checked)."""
    os.environ["INDEXVAULT_HOME"] = str(home)
    rng = random.Random(seed)
    owners = _owners(seed)
    for owner in owners:
        with open_session("local", signer=LocalKeySigner(owner)) as session:
            fund_test_account(session.trading, 10**6 * 10**6, eth_wei=100 * 10**18)
    started = time.perf_counter()
    result = SoakResult()
    intents: dict[int, tuple[LocalAccount, list[str]]] = {}
    for run in range(runs):
        owner = owners[rng.randrange(WALLETS)]
        point = rng.choice(POINTS)
        amount = 10 * 10**6 + run  # unique per intent
        status, said = _attempt(owner, amount, point)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        if killed == (point != "none") and (killed or os.WEXITSTATUS(status) == 0):
            result.crashed_where_told += 1
        result.by_point[point] = result.by_point.get(point, 0) + 1
        first = said.splitlines()[0].strip() if said else ""
        quote_id = first if first and not first.startswith("error") else None
        quotes = _restart(home, owner, amount, quote_id)
        result.retried_after_crash += len(quotes) - (1 if quote_id else 0)
        intents[run] = (owner, quotes)
        result.crash_runs += 1
        if checkpoint is not None and result.crash_runs % every == 0 and run + 1 < runs:
            partial = replace(result, by_point=dict(result.by_point))
            partial.seconds = time.perf_counter() - started
            _check(home, intents, partial)
            checkpoint.parent.mkdir(exist_ok=True)
            checkpoint.write_text(json.dumps({**asdict(partial), "complete": False}) + "\n")
    result.seconds = time.perf_counter() - started
    _check(home, intents, result)
    return result


def _said_of(entry: JournalEntry | None, quote_id: str) -> str:
    """One quote of an intent, for the report: its id, state and op hash."""
    if entry is None:
        return f"{quote_id[:8]} none -"
    op = entry.submission.user_op_hash[:10] if entry.submission is not None else "-"
    return f"{quote_id[:8]} {entry.state} {op}"


def _check(
    home: Path, intents: dict[int, tuple[LocalAccount, list[str]]], result: SoakResult
) -> None:
    for owner in {o.address: o for o, _ in intents.values()}.values():
        _settle(owner)  # ops left open whose nonce a retry used are dropped now
    with Journal(home / "journal.sqlite") as journal:
        entries = {e.preview.quote_id: e for e in journal.entries()}
    owners = {owner.address: owner for owner, _ in intents.values()}
    on_chain: dict[str, bool] = {}
    for owner in owners.values():
        on_chain.update(_chain_ops(owner))
    claimed: set[str] = set()
    for _owner, quotes in intents.values():
        executed: set[str] = set()  # distinct operations on chain for this intent (a fresh
        # preview of a dropped trade may hash the same as the dropped one: one operation)
        for q in quotes:
            entry = entries.get(q)
            if entry is None or entry.submission is None:
                continue
            op = entry.submission.user_op_hash
            if on_chain.get(op):
                executed.add(op)
                claimed.add(op)
            if (entry.state == "included") != bool(on_chain.get(op)) and entry.state != "dropped":
                result.journal_mismatches += 1
        if len(executed) > 1:
            result.crash_double_executions += 1
            result.doubles.append("; ".join(_said_of(entries.get(q), q) for q in quotes))
        result.crash_lost_intents += not executed
    # every operation on chain belongs to one intent: nothing executed that nobody meant
    unclaimed = set(on_chain) - claimed
    result.crash_double_executions += len(unclaimed)
    result.doubles.extend(f"on chain, no intent: {op}" for op in sorted(unclaimed))
    included = {e.submission.user_op_hash for e in entries.values()
                if e.state == "included" and e.submission is not None}  # fmt: skip
    result.journal_mismatches += len(included ^ {op for op, ok in on_chain.items() if ok})
    result.journal_mismatches += sum(1 for e in entries.values() if e.state == "submitted")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from tests.local_network import local_network

    with (
        tempfile.TemporaryDirectory(prefix="crash-soak-") as tmp,
        local_network(Path(tmp), "--tokens", "4") as home,
    ):
        result = run_soak(home, args.runs, args.seed, checkpoint=RESULTS)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({**asdict(result), "complete": True}, indent=2) + "\n")
    print(json.dumps(asdict(result), indent=2))
    ok = (
        result.crash_double_executions == 0
        and result.crash_lost_intents == 0
        and result.journal_mismatches == 0
        and result.crashed_where_told == result.crash_runs
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
