"""The page in a real browser (Debian's chromium, driven by Playwright) against the app on
a real anvil market: one test per journey, with screenshots a person can look at."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect, sync_playwright

from orchestrator.service import LOCAL_BUNDLER_ACCOUNT, LocalMarket
from orchestrator.wallet.keystore import Keystore
from orchestrator.web import PageState
from tests.web.browser import chromium_path, screenshot_dir, served

pytestmark = [pytest.mark.browser, pytest.mark.anvil]

PASSPHRASE = "correct horse battery staple"
TIMEOUT_MS = 60_000  # a loaded machine: scrypt in the browser and a user op can take seconds


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def site(page_state: PageState) -> Iterator[tuple[str, FastAPI]]:
    with served(page_state) as running:
        yield running


@pytest.fixture
def tab(browser: Browser, site: tuple[str, FastAPI]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto(site[0])
    expect(tab.locator("#regime")).not_to_have_text("–")
    try:
        yield tab
    finally:
        context.close()


def create_wallet(tab: Page) -> str:
    tab.fill("#new-pass", PASSPHRASE)
    tab.fill("#new-pass2", PASSPHRASE)
    tab.click("#create-wallet")
    expect(tab.locator("#wallet-some")).to_be_visible()
    expect(tab.locator("#lock-state")).to_have_text("unlocked")
    return str(tab.locator("#owner").text_content())


def fund(tab: Page) -> None:
    tab.fill("#faucet-usdc", "10000")
    tab.click("#faucet")
    expect(tab.locator("#usdc-balance")).to_have_text("$10,000.00")


def review(tab: Page, button: str) -> None:
    tab.click(button)
    expect(tab.locator("#review")).to_be_visible()


def confirm(tab: Page) -> None:
    tab.click("#confirm")
    expect(tab.locator("#progress")).to_have_attribute("data-done", "true")
    tab.click("#close-review")


def first_log_kind(tab: Page) -> str:
    return str(tab.locator("#log-table tbody tr").first.get_attribute("data-kind"))


def sends(market: LocalMarket) -> int:
    """Transactions the bundler key has sent: every user operation goes through it."""
    return market.chain.tx_count(market.chain.accounts[LOCAL_BUNDLER_ACCOUNT].address)


def test_buy_sell_withdraw_journey(tab: Page) -> None:
    shots = screenshot_dir()
    owner = create_wallet(tab)
    assert owner.startswith("0x")
    fund(tab)
    tab.fill("#buy-usdc", "1000")
    review(tab, "#review-buy")
    for field in ("gas-likely", "gas-max", "fee", "slippage", "min-expected", "expected"):
        shown = tab.locator(f'[data-review="{field}"]')
        expect(shown).not_to_be_empty()
    expect(tab.locator('[data-review="gas-likely"]')).to_contain_text("ETH")
    expect(tab.locator('[data-review="gas-likely"]')).to_contain_text("$")
    expect(tab.locator('[data-review="fee"]')).to_contain_text("$")
    expect(tab.locator('[data-review="min-expected"]')).to_contain_text("$")
    expect(tab.locator("#expiry")).to_have_text(re.compile(r"^[0-9]+:[0-5][0-9]$"))
    tab.locator("#review").screenshot(path=str(shots / "review-sheet.png"))
    legs = tab.locator("#review-body tbody tr").count()
    tab.click("#confirm")
    expect(tab.locator("#progress")).to_have_attribute("data-done", "true")
    fills = tab.locator("#progress li", has_text="(min ")
    expect(fills).to_have_count(legs)  # each leg's fill against its min-out
    tab.click("#close-review")
    expect(tab.locator("#treemap")).not_to_have_attribute("data-tiles", "0")
    assert tab.locator("#holdings-table tbody tr").count() >= 3
    tab.click('#holdings-table th[data-key="symbol"]')  # sortable: by token, A to Z
    symbols = tab.locator("#holdings-table tbody td:first-child").all_text_contents()
    assert symbols == sorted(symbols)
    tab.click('#holdings-table th[data-key="symbol"]')
    assert tab.locator("#holdings-table tbody td:first-child").all_text_contents() == sorted(
        symbols, reverse=True
    )
    expect(tab.locator("#log-table tbody tr").first).to_have_attribute("data-kind", "buy")
    expect(tab.locator('[data-pnl="Equity"]')).not_to_have_text("$0.00")
    expect(tab.locator('[data-pnl="Fees paid"]')).not_to_have_text("$0.00")
    tab.wait_for_function("() => window.__indexvault.drawn.treemap !== undefined")
    tab.screenshot(path=str(shots / "page.png"), full_page=True)

    tab.fill("#sell-percent", "50")
    review(tab, "#review-sell")
    expect(tab.locator("#review-title")).to_have_text("Sell 50.00% of the vault")
    confirm(tab)
    expect(tab.locator("#log-table tbody tr").first).to_have_attribute("data-kind", "sell")

    review(tab, "#review-withdraw")
    confirm(tab)
    expect(tab.locator("#log-table tbody tr").first).to_have_attribute("data-kind", "withdraw")
    expect(tab.locator("#treemap")).to_have_attribute("data-tiles", "0")
    tab.locator("#log").screenshot(path=str(shots / "log.png"))


def test_price_updated_between_review_and_confirm(
    tab: Page, site: tuple[str, FastAPI], web_market: LocalMarket
) -> None:
    create_wallet(tab)
    fund(tab)
    tab.fill("#buy-usdc", "3000")
    review(tab, "#review-buy")
    preview: dict[str, Any] = tab.evaluate("() => window.__indexvault.review")
    biggest = max(preview["legs"], key=lambda leg: int(leg["amount_in"]))["symbol"]
    # another trader buys the biggest leg's token, on the server's facade thread (the chain
    # connection is the server's; one thread talks to it)
    site[1].state.facade.thread.run(web_market.push_prices, {biggest: 1_000})
    before = sends(web_market)
    tab.click("#confirm")
    expect(tab.locator("#price-updated")).to_be_visible()
    expect(tab.locator("#price-updated")).to_contain_text("Price updated")
    expect(tab.locator("#price-updated")).to_contain_text(biggest)
    expect(tab.locator("#again")).to_be_visible()
    assert sends(web_market) == before  # nothing was sent
    tab.locator("#review").screenshot(path=str(screenshot_dir() / "price-updated.png"))
    tab.click("#again")  # a fresh review at the new prices goes through
    expect(tab.locator("#price-updated")).to_be_hidden()
    confirm(tab)
    expect(tab.locator("#log-table tbody tr").first).to_have_attribute("data-kind", "buy")


def test_a_wrong_passphrase_signs_nothing(tab: Page, web_market: LocalMarket) -> None:
    create_wallet(tab)
    fund(tab)
    tab.reload()  # the key is in memory only until the page goes: locked again
    expect(tab.locator("#lock-state")).to_have_text("locked")
    tab.fill("#unlock-pass", "not the passphrase")
    tab.click("#unlock")
    expect(tab.locator("#banner")).to_contain_text("Wrong passphrase")
    expect(tab.locator("#lock-state")).to_have_text("locked")
    review(tab, "#review-buy")
    expect(tab.locator("#review-unlock")).to_be_visible()  # the sheet asks for it to sign
    tab.fill("#review-pass", "still not it")
    before = sends(web_market)
    tab.click("#confirm")
    expect(tab.locator("#review-error")).to_contain_text("Wrong passphrase")
    assert sends(web_market) == before  # nothing signed, nothing sent
    tab.fill("#review-pass", PASSPHRASE)
    confirm(tab)
    expect(tab.locator("#lock-state")).to_have_text("unlocked")
    expect(tab.locator("#log-table tbody tr").first).to_have_attribute("data-kind", "buy")
    assert sends(web_market) == before + 1


def test_keystores_move_between_browser_and_cli(tab: Page, tmp_path: Path) -> None:
    owner = create_wallet(tab)
    text = tab.evaluate("() => localStorage.getItem('indexvault.keystore')")
    folder = tmp_path / "keystores"
    folder.mkdir()
    (folder / "from-browser.json").write_text(text)
    assert Keystore(folder).unlock("from-browser", PASSPHRASE).address == owner

    info = Keystore(folder).create("from-cli", "cli passphrase", scrypt_n=2**14)
    tab.evaluate("() => localStorage.removeItem('indexvault.keystore')")
    tab.reload()
    expect(tab.locator("#wallet-none")).to_be_visible()
    tab.set_input_files("#import-file", str(folder / "from-cli.json"))
    expect(tab.locator("#owner")).to_have_text(info.owner)
    tab.fill("#unlock-pass", "cli passphrase")
    tab.click("#unlock")
    expect(tab.locator("#lock-state")).to_have_text("unlocked")
    with tab.expect_download() as download:
        tab.click("#backup")
    saved = tmp_path / "backup.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_text())["address"].lower() == info.owner[2:].lower()


def test_mandate_set_show_revoke_from_the_page(tab: Page) -> None:
    create_wallet(tab)
    fund(tab)
    review(tab, "#review-buy")
    confirm(tab)
    expect(tab.locator("#mandate-view")).to_contain_text("No keeper")
    tab.fill("#m-budget", "25")
    review(tab, "#review-mandate")
    expect(tab.locator("#review-title")).to_have_text("Set the keeper mandate")
    confirm(tab)
    expect(tab.locator("#mandate-view")).to_contain_text("loss budget $25.00")
    expect(tab.locator("#log-table tbody tr").first).to_have_attribute("data-kind", "mandate")
    review(tab, "#review-revoke")
    expect(tab.locator("#review-title")).to_have_text("Revoke the keeper")
    confirm(tab)
    expect(tab.locator("#mandate-view")).to_contain_text("No keeper")


# A stand-in browser wallet: announced by EIP-6963, answering EIP-1193 requests; it signs
# `eth_signTypedData_v4` payloads (the JSON the page hands it) with its own key, through
# the page's bundled ethers, as an extension would.
INJECTED_KEY = "0x" + "42" * 32
INJECTED_WALLET = """
(() => {
  const key = "__KEY__";
  const info = { uuid: "b3b5c3f0-0000-4000-8000-000000000042", name: "Test Wallet",
                 icon: "data:image/svg+xml,<svg/>", rdns: "test.wallet" };
  window.__signed = [];
  const provider = { async request({ method, params }) {
    const wallet = new window.IndexVaultVendor.Wallet(key);
    if (method === "eth_requestAccounts") return [wallet.address];
    if (method === "eth_signTypedData_v4") {
      const [from, json] = params;
      if (from.toLowerCase() !== wallet.address.toLowerCase()) throw new Error("unknown account");
      const { domain, types, message } = JSON.parse(json);
      const struct = { ...types }; delete struct.EIP712Domain;
      window.__signed.push(json);
      return wallet.signTypedData(domain, struct, message);
    }
    throw new Error("unsupported " + method);
  } };
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider",
    { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
""".replace("__KEY__", INJECTED_KEY)


def test_an_injected_wallet_owns_and_signs(browser: Browser, site: tuple[str, FastAPI]) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.add_init_script(INJECTED_WALLET)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    try:
        tab.goto(site[0])
        tab.click("text=Use Test Wallet")
        expect(tab.locator("#owner")).to_have_text(Account.from_key(INJECTED_KEY).address)
        expect(tab.locator("#lock-state")).to_have_text("browser wallet")
        fund(tab)
        review(tab, "#review-buy")
        expect(tab.locator("#review-unlock")).to_be_hidden()  # the wallet signs, not a passphrase
        confirm(tab)
        expect(tab.locator("#log-table tbody tr").first).to_have_attribute("data-kind", "buy")
        signed = tab.evaluate("() => window.__signed")
        assert len(signed) == 1
        assert json.loads(signed[0])["primaryType"] == "PackedUserOperation"
    finally:
        context.close()
