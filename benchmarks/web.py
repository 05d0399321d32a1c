"""The web page's benchmarks (issue 16):

- web_review_ms.100: the review sheet of a 100-leg buy, server side: POST /api/preview/buy
  through the ASGI app (routing, the facade thread, the preview, JSON), median of 5 on an
  anvil market of 100 tokens where every token gets a leg;
- web_page_load_ms: a browser's first load of the page for an owner holding the index
  (100 tiles) until both the gauge and the treemap have drawn (ECharts' `finished`),
  from navigation start; median of 3 fresh browser contexts (Debian's chromium);
- web_assets_kb: everything under orchestrator/web/static (the page and the vendor bundle),
  uncompressed, against the budget checked at setup.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from eth_account import Account
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright

from orchestrator.service import Session, load_history, open_local_market
from orchestrator.strategy import StrategyConfig, WeightsConfig
from orchestrator.web import PageState, create_app
from orchestrator.web.assets_budget import ASSETS_BUDGET_KB, assets_kb
from tests.web.browser import chromium_path, served

TOKENS = 100
ORIGIN = "http://127.0.0.1:8765"
REPEATS = 5
LOADS = 3


def run() -> dict[str, float]:
    results: dict[str, float] = {}
    sizes = assets_kb()
    results["web_assets_kb"] = sum(sizes.values())
    print(f"   web_assets_kb {results['web_assets_kb']} (budget {ASSETS_BUDGET_KB})")
    market = open_local_market(chain_target="anvil", tokens=TOKENS)
    history = load_history(None, tokens=TOKENS)
    owner = Account.from_key(keccak(text="bench web owner"))
    try:
        with tempfile.TemporaryDirectory() as folder:

            def opener(who: str | None) -> Session:
                session = market.session(
                    owner=who, journal=Path(folder) / "journal.sqlite", history=history
                )
                if who is not None:  # every token a leg: "100" is the number of legs
                    session.trading.strategy = StrategyConfig(
                        weights=WeightsConfig(min_weight_bps=0)
                    )
                return session

            state = PageState(network="bench", opener=opener, faucet=True)
            with TestClient(create_app(state), base_url=ORIGIN) as client:
                headers = {"origin": ORIGIN}
                funded = client.post(
                    "/api/faucet", json={"owner": owner.address, "usdc": "100000"}, headers=headers
                )
                funded.raise_for_status()
                times, preview = [], {}
                for _ in range(REPEATS):
                    started = time.perf_counter()
                    answer = client.post(
                        "/api/preview/buy",
                        json={"owner": owner.address, "usdc": "50000"},
                        headers=headers,
                    )
                    times.append((time.perf_counter() - started) * 1000)
                    answer.raise_for_status()
                    preview = answer.json()
                legs = len(preview["legs"])
                results[f"web_review_ms.{legs}"] = round(statistics.median(times), 1)
                print(
                    f"   web_review_ms.{legs} {statistics.median(times):.1f} (first {times[0]:.1f})"
                )
                request = client.post(
                    "/api/confirm", json={"quote_id": preview["quote_id"]}, headers=headers
                ).json()
                signature = owner.unsafe_sign_hash(bytes.fromhex(request["user_op_hash"][2:]))
                client.post(
                    "/api/submit",
                    json={
                        "quote_id": preview["quote_id"],
                        "signature": "0x" + bytes(signature.signature).hex(),
                    },
                    headers=headers,
                ).raise_for_status()
            results["web_page_load_ms"] = _page_load_ms(state, owner.address)
    finally:
        market.close()
    return results


def _page_load_ms(state: PageState, owner: str) -> float:
    """A keystore-shaped entry for `owner` (the page needs only its address to read)."""
    keystore = json.dumps({"address": owner[2:].lower(), "crypto": {}, "id": "bench", "version": 3})
    loads = []
    with served(state) as (url, _app), sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for _ in range(LOADS):
                context = browser.new_context(viewport={"width": 1280, "height": 1000})
                context.add_init_script(
                    f"localStorage.setItem('indexvault.keystore', {json.dumps(keystore)})"
                )
                tab = context.new_page()
                tab.goto(url)
                tab.wait_for_function(
                    "() => window.__indexvault && window.__indexvault.drawn.gauge !== undefined"
                    " && window.__indexvault.drawn.treemap !== undefined",
                    timeout=120_000,
                )
                drawn = tab.evaluate("() => Math.max(...Object.values(window.__indexvault.drawn))")
                loads.append(float(drawn))
                print(
                    f"   load: {tab.evaluate('() => window.__indexvault.marks')} drawn {drawn:.0f}"
                )
                context.close()
        finally:
            browser.close()
    median = statistics.median(loads)
    print(f"   web_page_load_ms {median:.0f} (loads {', '.join(f'{x:.0f}' for x in loads)})")
    return round(median, 1)
