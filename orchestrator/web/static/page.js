// The index page. Everything it shows comes from the JSON API (the orchestrator's facade);
// it computes nothing but display formats. The owner key lives only here: created or
// imported in the browser, kept encrypted (Web3 Secret Storage v3) in localStorage, and
// decrypted into memory when the user unlocks it to sign.
//
// Refresh: the page polls /api/head every POLL_MS and reloads its data when the block
// number moves. Polling, not server-sent events: the server runs every facade call on one
// thread, and a poll is one cheap call, where a stream per tab would need its own watcher
// of the chain beside that thread. A local chain mines a block per transaction, so a new
// block is exactly when something may have changed.
"use strict";

const V = window.IndexVaultVendor;
const POLL_MS = 2000;
const KEYSTORE_KEY = "indexvault.keystore";
const USDC_DECIMALS = 6;
const $ = (id) => document.getElementById(id);

const page = {
  config: null, overview: null, owner: null, keystore: null, wallet: null, injected: null,
  block: -1, review: null, reviewReceivedAt: 0, holdingsRows: [], sortKey: "value", sortDesc: true,
  charts: {}, drawn: {}, marks: {},
};
function mark(name) { page.marks[name] = page.marks[name] || Math.round(performance.now()); }
window.__indexvault = page; // for the browser tests and the page-load benchmark

// -- formats: base units (number or decimal string) -> human text ----------------------
function big(x) { return typeof x === "bigint" ? x : BigInt(x); }
function units(value, decimals, shown = 2) {
  const v = big(value); const neg = v < 0n; const a = neg ? -v : v;
  const scale = 10n ** BigInt(decimals);
  const whole = a / scale; let frac = (a % scale).toString().padStart(decimals, "0");
  frac = frac.slice(0, shown);
  const grouped = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (neg ? "-" : "") + grouped + (shown > 0 ? "." + frac.padEnd(shown, "0") : "");
}
function usd(value) { if (value === null || value === undefined) return "–"; const t = units(value, USDC_DECIMALS);
  return t.startsWith("-") ? "-$" + t.slice(1) : "$" + t; }
function money(decimalText) { return "$" + Number(decimalText).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }); }
function eth(wei) { return units(wei, 18, 6) + " ETH"; }
function pct(bps) { return (Number(bps) / 100).toFixed(2) + "%"; }
function tokenAmount(value, decimals) { return units(value, decimals, Math.min(decimals, 6)); }
function when(s) { return new Date(Number(s) * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC"; }
function short(addr) { return addr ? addr.slice(0, 8) + "…" + addr.slice(-6) : ""; }
function esc(s) { return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]); }

// -- the API ------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, body) { super(body.message || ("HTTP " + status)); this.status = status; this.body = body; }
}
async function api(path, body) {
  const init = body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const answer = await fetch(path, init);
  const data = await answer.json().catch(() => ({ message: "HTTP " + answer.status }));
  if (!answer.ok) {
    if (answer.status === 422 && Array.isArray(data.detail)) data.message = data.detail.map((d) => d.msg).join("; ");
    throw new ApiError(answer.status, data);
  }
  return data;
}
function errorText(error) {
  const hint = error.body && error.body.hint ? " " + error.body.hint : "";
  return error.message + hint;
}
function banner(text) { const b = $("banner"); b.hidden = !text; b.textContent = text || ""; }

// -- the wallet ---------------------------------------------------------------------------
function loadKeystore() {
  const text = localStorage.getItem(KEYSTORE_KEY);
  if (!text) return null;
  try { const json = JSON.parse(text); return json && json.address ? text : null; } catch { return null; }
}
function ownerOfKeystore(text) { return V.getAddress("0x" + JSON.parse(text).address.replace(/^0x/, "")); }

async function createWallet() {
  const pass = $("new-pass").value;
  if (!pass) return banner("Choose a passphrase: it encrypts your key in this browser.");
  if (pass !== $("new-pass2").value) return banner("The two passphrases differ: type the same one twice.");
  banner("Creating and encrypting your key…");
  const wallet = V.Wallet.createRandom();
  const encrypted = JSON.parse(await V.encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, pass));
  // The CLI's format exactly (geth's spelling): "crypto", not "Crypto"; no vendor extras.
  const text = JSON.stringify({ address: encrypted.address, crypto: encrypted.Crypto || encrypted.crypto, id: encrypted.id, version: 3 });
  localStorage.setItem(KEYSTORE_KEY, text);
  page.wallet = new V.Wallet(wallet.privateKey);
  $("new-pass").value = ""; $("new-pass2").value = "";
  banner("");
  useKeystore(text);
}

async function importKeystore(file) {
  const text = await file.text();
  if (!V.isKeystoreJson(text)) return banner(`${file.name} is not a Web3 Secret Storage keystore (JSON with crypto/kdf).`);
  localStorage.setItem(KEYSTORE_KEY, text);
  page.wallet = null;
  useKeystore(text);
}

async function unlock() {
  const pass = $("unlock-pass").value;
  if (!page.keystore) return false;
  $("lock-state").textContent = "unlocking…";
  try {
    const account = await V.decryptKeystoreJson(page.keystore, pass);
    page.wallet = new V.Wallet(account.privateKey);
    $("unlock-pass").value = "";
    banner("");
  } catch (e) {
    page.wallet = null;
    banner("Wrong passphrase: this keystore did not open. Nothing was signed.");
  }
  showLock();
  return page.wallet !== null;
}
function showLock() {
  const open = page.wallet !== null || page.injected !== null;
  $("lock-state").textContent = page.injected ? "browser wallet" : open ? "unlocked" : "locked";
  $("lock-state").className = "badge" + (open ? " on" : "");
}

function useKeystore(text) {
  page.keystore = text; page.injected = null;
  setOwner(ownerOfKeystore(text));
}
function setOwner(owner) {
  page.owner = owner;
  $("wallet-none").hidden = owner !== null;
  $("wallet-some").hidden = owner === null;
  $("wallet-badge").textContent = owner ? short(owner) : "no wallet";
  $("owner").textContent = owner || "";
  showLock();
  page.block = -1; // reload everything for this owner
  refresh();
}

function backup() {
  if (!page.keystore) return;
  const blob = new Blob([page.keystore], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `indexvault-${page.owner.slice(2, 10).toLowerCase()}.json`;
  a.click();
  URL.revokeObjectURL(a.href);
}

function forget() {
  if (!confirm("Forget this wallet in this browser? Without a backup the key is lost.")) return;
  localStorage.removeItem(KEYSTORE_KEY);
  page.keystore = null; page.wallet = null; page.injected = null;
  setOwner(null);
}

// Injected wallets: EIP-6963 discovery, EIP-1193 requests, eth_signTypedData_v4.
const announced = new Map();
window.addEventListener("eip6963:announceProvider", (event) => {
  const { info, provider } = event.detail;
  if (announced.has(info.uuid)) return;
  announced.set(info.uuid, { info, provider });
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = `Use ${info.name}`;
  button.addEventListener("click", async () => {
    try {
      const [address] = await provider.request({ method: "eth_requestAccounts" });
      page.injected = { info, provider, address: V.getAddress(address) };
      page.keystore = null; page.wallet = null;
      setOwner(page.injected.address);
    } catch (e) { banner(`${info.name} refused: ${e.message}`); }
  });
  $("injected").appendChild(button);
});

class SigningError extends Error {}

async function signRequest(request) {
  const { domain, types, message } = request.typed_data;
  if (page.injected) {
    const payload = JSON.stringify(request.typed_data);
    return page.injected.provider.request({ method: "eth_signTypedData_v4", params: [page.injected.address, payload] });
  }
  if (!page.wallet) {
    try {
      const account = await V.decryptKeystoreJson(page.keystore, $("review-pass").value);
      page.wallet = new V.Wallet(account.privateKey);
      $("review-pass").value = ""; $("review-unlock").hidden = true; showLock();
    } catch {
      throw new SigningError("Wrong passphrase: your keystore did not open. Nothing was signed or sent.");
    }
  }
  const structTypes = { ...types }; delete structTypes.EIP712Domain;
  return page.wallet.signTypedData(domain, structTypes, message);
}

// -- reading the page's data ----------------------------------------------------------------
async function refresh() {
  try {
    const head = await api("/api/head");
    mark("head");
    $("block").textContent = `block ${head.block_number}`;
    if (head.block_number === page.block) return;
    page.block = head.block_number;
    const jobs = [loadOverview()];
    if (page.owner) jobs.push(loadVault(), loadAccount(), loadLog(), loadMandate());
    else clearOwnerViews();
    await Promise.all(jobs);
  } catch (e) { banner("The server did not answer: " + errorText(e)); }
}

async function loadOverview() {
  const o = await api("/api/overview");
  mark("overview");
  page.overview = o;
  $("index-level").textContent = Number(o.index_level).toLocaleString("en-US", { minimumFractionDigits: 2 });
  const change = $("week-change");
  change.textContent = `${o.change_week_bps >= 0 ? "+" : ""}${pct(o.change_week_bps)} since ${o.previous_week_date} (base 100 on ${o.base_date}; ${o.market_source})`;
  change.className = o.change_week_bps >= 0 ? "up" : "down";
  $("constituents").textContent = o.constituents;
  $("next-rebalance").textContent = when(o.next_rebalance_s);
  $("regime").textContent = o.regime.toUpperCase();
  $("regime").className = "badge " + o.regime;
  drawGauge(o.signal);
}

function drawGauge(s) {
  let chart = page.charts.gauge;
  if (!chart) {
    chart = page.charts.gauge = V.echarts.init($("gauge"));
    chart.on("finished", () => { page.drawn.gauge = page.drawn.gauge || performance.now(); });
  }
  // A vote has one threshold (invested only when every member reads bull): its green zone is
  // the top of the dial, not an empty band.
  const bear = (s.exit_below === s.enter_above ? s.exit_below - 2 : s.exit_below) / 100;
  const bull = Math.max(bear, (s.exit_below === s.enter_above ? s.enter_above - 2 : s.enter_above) / 100);
  chart.setOption({
    animation: false,  // drawn at once: a refresh should not replay a sweep
    series: [{
      type: "gauge", min: 0, max: 100, startAngle: 200, endAngle: -20, radius: "95%",
      axisLine: { lineStyle: { width: 18, color: [[bear, "#d64545"], [bull, "#c9ced6"], [1, "#1f9d55"]] } },
      pointer: { width: 5 }, splitNumber: 10, axisLabel: { distance: 22, fontSize: 10 },
      detail: { valueAnimation: false, fontSize: 26, offsetCenter: [0, "35%"], formatter: "{value}" },
      title: { offsetCenter: [0, "62%"], fontSize: 12 },
      data: [{ value: s.value, name: `${s.regime.toUpperCase()} · ${s.rule}` }],
    }],
  });
  const last = s.last_switch ? `Last switch ${s.last_switch} to ${s.last_switch_to}` : "no switch in the history";
  const parts = (s.components || []).map((c) => `${c.rule}: ${c.regime} (${c.value}/100)`).join("; ");
  $("gauge-notes").textContent =
    `Gauge ${s.value}/100 on ${s.date} (${s.measure}). ` + (parts ? `Signals: ${parts}. ` : "") +
    `Bear below ${s.exit_below}, bull from ${s.enter_above}; in between (the hysteresis band) the regime holds. ` +
    last + (s.warming_up ? " (warming up)" : "") + ".";
}

async function loadAccount() {
  const a = await api(`/api/account?owner=${page.owner}`);
  $("account").textContent = a.account;
  $("usdc-balance").textContent = usd(a.usdc_balance);
  $("eth-balance").textContent = eth(a.eth_balance_wei);
  page.account = a;
}

async function loadVault() {
  // Holdings first (a cheap read: the treemap draws at once), then one P&L read (it
  // rebuilds from the vault's events) for both the table's per-asset P&L and My index.
  const holdingsRead = api(`/api/holdings?owner=${page.owner}`);
  const pnlRead = api(`/api/pnl?owner=${page.owner}`);
  const h = await holdingsRead;
  mark("holdings");
  showHoldings(h, null);
  const pnl = await pnlRead;
  showHoldings(h, pnl);
  showPnl(pnl);
}

function showHoldings(h, pnl) {
  const unrealised = new Map(pnl ? pnl.pnl.positions.map((p) => [p.token.toLowerCase(), p.unrealised_pnl_usdc]) : []);
  page.holdingsRows = h.view.rows.map((r) => ({
    symbol: r.symbol, amount: tokenAmount(r.amount, r.decimals), value: Number(r.value_usdc),
    weight: r.weight_bps, target: r.target_bps, drift: r.weight_bps - r.target_bps,
    pnl: unrealised.has(r.token.toLowerCase()) ? Number(unrealised.get(r.token.toLowerCase())) : null,
  }));
  drawHoldingsTable();
  if (!pnl) drawTreemap(h.treemap);
}

function driftColour(bps) {
  const t = Math.max(-1, Math.min(1, bps / 300));
  if (Math.abs(bps) < 10) return "#c9ced6";
  return t < 0 ? `rgba(43,108,176,${0.35 + 0.65 * -t})` : `rgba(221,107,32,${0.35 + 0.65 * t})`;
}
function drawTreemap(tiles) {
  let chart = page.charts.treemap;
  if (!chart) {
    chart = page.charts.treemap = V.echarts.init($("treemap"));
    chart.on("finished", () => { if (page.tiles) page.drawn.treemap = page.drawn.treemap || performance.now(); });
  }
  page.tiles = tiles.length;
  chart.setOption({
    animation: false,
    tooltip: { formatter: (p) => `${esc(p.name)}<br>${usd(p.data.raw)}<br>drift ${pct(p.data.drift)}` },
    series: [{
      type: "treemap", roam: false, nodeClick: false, breadcrumb: { show: false },
      label: { fontSize: 12, lineHeight: 16, formatter: (p) => `${p.name}\n${pct(p.data.drift)}` },
      data: tiles.map((t) => ({ name: t.name, value: Number(t.value_usdc), raw: t.value_usdc, drift: t.drift_bps,
        itemStyle: { color: driftColour(t.drift_bps) } })),
    }],
  }, true);
  $("treemap").dataset.tiles = String(tiles.length);
}

function drawHoldingsTable() {
  const rows = [...page.holdingsRows];
  const k = page.sortKey;
  rows.sort((a, b) => (a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : 0) * (page.sortDesc ? -1 : 1));
  $("holdings-table").querySelector("tbody").innerHTML = rows.map((r) =>
    `<tr><td>${esc(r.symbol)}</td><td class="num">${r.amount}</td><td class="num">${usd(r.value)}</td>` +
    `<td class="num">${pct(r.weight)}</td><td class="num">${pct(r.target)}</td><td class="num">${pct(r.drift)}</td>` +
    (r.pnl === null ? `<td class="num muted">…</td></tr>` : `<td class="num ${r.pnl >= 0 ? "up" : "down"}">${usd(r.pnl)}</td></tr>`)).join("");
}

function showPnl({ pnl: p, eth_price_usdc: ethPrice }) {
  const gasUsd = ethPrice ? (big(p.gas_paid_wei) * big(ethPrice)) / 10n ** 18n : null;
  const cells = [
    ["Equity", usd(p.equity_usdc)], ["Cost basis", usd(p.cost_basis_usdc)],
    ["Unrealised P&L", usd(p.unrealised_pnl_usdc)], ["Realised P&L", usd(p.realised_pnl_usdc)],
    ["Fees paid", usd(p.fees_usdc)], ["Gas paid", eth(p.gas_paid_wei) + (gasUsd !== null ? ` (${usd(gasUsd)})` : "")],
    ["Deposits", usd(p.deposits_usdc)], ["Withdrawals", usd(p.withdrawals_usdc)],
    ["Net P&L", usd(p.net_pnl_usdc)], ["Cash in vault", usd(p.cash_usdc)],
  ];
  $("pnl").innerHTML = cells.map(([k, v]) => `<span class="muted">${k}</span><span data-pnl="${esc(k)}">${v}</span>`).join("");
}

// LogRow.detail carries base units for buys, sells and rebalances (the amounts are in the
// columns already); it is shown for mandate changes, whose detail is the keeper.
const DETAILED = new Set(["mandate", "keeper_revoked", "failed", "dropped"]);

async function loadLog() {
  const { rows } = await api(`/api/log?owner=${page.owner}`);
  const explorer = page.overview && page.overview.explorer_url;
  $("log-table").querySelector("tbody").innerHTML = rows.map((r) => {
    const tx = r.tx_hash ? (explorer ? `<a href="${explorer}/tx/${r.tx_hash}" target="_blank" rel="noopener">${short(r.tx_hash)}</a>` : `<code>${short(r.tx_hash)}</code>`) : "";
    return `<tr data-kind="${esc(r.kind)}"><td>${when(r.time_s)}</td><td>${esc(r.kind)}${r.detail && DETAILED.has(r.kind) ? ` <span class="muted small">${esc(r.detail)}</span>` : ""}</td>` +
      `<td class="num">${r.usdc_amount === null ? "" : usd(r.usdc_amount)}</td><td class="num">${r.legs}</td>` +
      `<td class="num">${usd(r.fee_usdc)}</td><td class="num">${r.gas_wei === null ? "" : eth(r.gas_wei)}</td><td>${tx}</td></tr>`;
  }).join("");
}

async function loadMandate() {
  try {
    const m = await api(`/api/mandate?owner=${page.owner}`);
    $("mandate-view").innerHTML = m.keeper
      ? `Keeper <code>${short(m.keeper)}</code> · max slippage ${pct(m.max_slippage_bps)} per leg · every ${m.min_interval_s / 3600} h at most · ` +
        `loss budget ${usd(m.loss_budget_usdc)} per ${m.loss_window_s / 86400} days (used ${usd(m.loss_used_usdc)}) · cap ${usd(m.loss_cap_usdc)} (spent ${usd(m.loss_spent_usdc)}) · ` +
        `${m.allowed.length} tokens · last rebalance ${m.last_rebalance_s ? when(m.last_rebalance_s) : "never"}`
      : "No keeper: nobody but you can trade this vault.";
  } catch (e) {
    $("mandate-view").textContent = e.body && e.body.error === "NoVault" ? "No vault yet: buy first, then delegate to the keeper." : errorText(e);
  }
}

function clearOwnerViews() {
  for (const id of ["holdings-table", "log-table"]) $(id).querySelector("tbody").innerHTML = "";
  $("pnl").innerHTML = ""; $("mandate-view").textContent = "";
  if (page.charts.treemap) drawTreemap([]);
}

// -- the review sheet -----------------------------------------------------------------------
function maxSlippageBps() {
  const text = $("max-slippage").value.trim();
  if (!text) return null;
  return Math.round(Number(text) * 100);
}

async function review(kind) {
  if (!page.owner) return banner("Create, import or connect a wallet first.");
  const bodies = {
    buy: () => ["/api/preview/buy", { owner: page.owner, usdc: $("buy-usdc").value, max_slippage_bps: maxSlippageBps() }],
    sell: () => ["/api/preview/sell", { owner: page.owner, percent: $("sell-percent").value, max_slippage_bps: maxSlippageBps() }],
    withdraw: () => ["/api/preview/withdraw", { owner: page.owner }],
    mandate: () => ["/api/preview/mandate", {
      owner: page.owner, max_slippage_bps: Number($("m-slippage").value), min_interval_s: Math.round(Number($("m-interval").value) * 3600),
      twap_window_s: Math.round(Number($("m-twap").value) * 60), loss_budget_usdc: $("m-budget").value,
      loss_window_s: Math.round(Number($("m-window").value) * 86400), loss_cap_usdc: $("m-cap").value }],
    revoke: () => ["/api/preview/revoke", { owner: page.owner }],
  };
  const [path, body] = bodies[kind]();
  page.lastReview = kind;
  try {
    banner("");
    showReview(await api(path, body));
  } catch (e) { banner(errorText(e)); }
}

function showReview(p) {
  page.review = p; page.reviewReceivedAt = Date.now();
  const g = p.gas;
  const gasUsd = (v) => (v === null ? "" : ` (${usd(v)})`);
  const lines = [
    ["Estimated gas (likely)", eth(g.likely_cost_wei) + gasUsd(g.likely_cost_usdc), "gas-likely"],
    ["Estimated gas (max)", eth(g.max_cost_wei) + gasUsd(g.max_cost_usdc), "gas-max"],
    ["Platform fee", `${usd(p.platform_fee_usdc)} (${pct(p.fee_bps)})`, "fee"],
    ["Max slippage", `${pct(p.max_slippage_bps)}${p.slippage_is_auto ? " (auto)" : " (yours)"}`, "slippage"],
    ["Price impact (value-weighted)", pct(p.price_impact_bps), "impact"],
    ["Expected value", usd(p.expected_value_usdc), "expected"],
    ["Minimum expected value", usd(p.min_expected_value_usdc), "min-expected"],
  ];
  if (p.kind === "mandate") lines.splice(2);
  const legRows = p.legs.map((l) =>
    `<tr><td>${esc(l.symbol)}</td><td class="small muted">${esc(l.route)}</td>` +
    `<td class="num">${tokenAmount(l.amount_in, l.in_decimals)}</td><td class="num">${tokenAmount(l.expected_out, l.out_decimals)}</td>` +
    `<td class="num">${tokenAmount(l.min_out, l.out_decimals)}</td><td class="num tier-${l.impact_tier}">${pct(l.price_impact_bps)} ${l.impact_tier}</td></tr>`).join("");
  const what = { buy: `Buy the index for ${usd(p.usdc_amount)}`, sell: `Sell ${pct(p.fraction_bps)} of the vault`,
    withdraw: "Withdraw everything in kind", mandate: p.mandate && p.mandate.action === "revoke" ? "Revoke the keeper" : "Set the keeper mandate" }[p.kind];
  $("review-title").textContent = what;
  $("review-body").innerHTML =
    `<div class="review-grid">${lines.map(([k, v, id]) => `<span>${k}</span><span class="num" data-review="${id}">${v}</span>`).join("")}</div>` +
    (p.slippage_is_auto ? `<p class="small muted">Auto slippage: the operation's gas cost as a share of the value traded, kept between 0.5% and 3%. Set your own under Buy · Sell.</p>` : "") +
    (p.legs.length ? `<table class="small"><thead><tr><th>Leg</th><th>Route</th><th class="num">In</th><th class="num">Expected out</th><th class="num">Min out</th><th class="num">Impact</th></tr></thead><tbody>${legRows}</tbody></table>` : "") +
    (p.mandate ? `<p class="small">Keeper ${esc(p.mandate.keeper || "none")} · ${p.mandate.allowed.length} tokens · epoch ${p.mandate.epoch}</p>` : "") +
    p.warnings.map((w) => `<p class="warn small">${esc(w)}</p>`).join("");
  $("review-impact").hidden = !p.needs_explicit_confirmation;
  $("review-unlock").hidden = page.wallet !== null || page.injected !== null;
  $("accept-impact").checked = false;
  $("price-updated").hidden = true;
  $("review-error").hidden = true;
  $("progress").innerHTML = "";
  $("again").hidden = true;
  $("confirm").hidden = false;
  $("confirm").disabled = p.blocked;
  if (p.blocked) showError("A leg's price impact is 15% or more: refused. Buy less.");
  if (!$("review").open) $("review").showModal();
  tickExpiry();
}

function secondsLeft() {
  const p = page.review;
  if (!p) return 0;
  const now = p.created_at_s + (Date.now() - page.reviewReceivedAt) / 1000;
  return Math.max(0, Math.floor(p.expires_at_s - now));
}
function tickExpiry() {
  const left = secondsLeft();
  $("expiry").textContent = page.review ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` : "–";
  if (page.review && left === 0 && !$("confirm").hidden) { $("confirm").disabled = true; $("again").hidden = false; }
}
setInterval(tickExpiry, 1000);

function step(text) { const li = document.createElement("li"); li.textContent = text; $("progress").appendChild(li); return li; }
function showError(text) { $("review-error").hidden = false; $("review-error").textContent = text; }

async function confirmReview() {
  const p = page.review;
  $("confirm").disabled = true;
  $("review-error").hidden = true;
  try {
    step("re-quoting every leg…");
    const request = await api("/api/confirm", { quote_id: p.quote_id, accept_high_impact: $("accept-impact").checked });
    step("prices hold: signing in your browser…");
    const signature = await signRequest(request);
    step("signed; submitting the user operation…");
    const done = await api("/api/submit", { quote_id: p.quote_id, signature });
    step(`included in block ${done.block_number} (${done.success ? "success" : "reverted"}), gas ${done.actual_gas_used.toLocaleString()} used`);
    for (const f of done.fills) {
      const leg = p.legs.find((l) => l.symbol === f.symbol);
      const d = leg ? leg.out_decimals : 18;
      step(`${f.symbol}: received ${tokenAmount(f.amount_out, d)} (min ${tokenAmount(f.min_out, d)})`);
    }
    $("progress").dataset.done = "true";
    $("confirm").hidden = true;
    page.review = null;
    page.block = -1;
    await refresh();
  } catch (e) {
    const body = e.body || {};
    if (body.error === "PriceUpdated") {
      const rows = body.price_updated.map((r) => {
        const leg = p.legs.find((l) => l.symbol === r.symbol);
        const d = leg ? leg.out_decimals : 18;
        return `<li>${esc(r.symbol)}: now ${tokenAmount(r.now_out, d)}, you reviewed at least ${tokenAmount(r.reviewed_min_out, d)} (short by ${tokenAmount(r.short_by, d)})</li>`;
      }).join("");
      $("price-updated").innerHTML = `<strong>Price updated</strong> — nothing was sent. <ul>${rows}</ul>Review again to see the new prices.`;
      $("price-updated").hidden = false;
    } else if (e instanceof SigningError || !(e instanceof ApiError)) {
      showError(e.message);  // not signed: the same review can be confirmed again
      $("confirm").disabled = false;
      return;
    } else {
      showError(errorText(e));
    }
    $("again").hidden = false;
  }
}

// -- wiring -----------------------------------------------------------------------------------
function wire() {
  $("create-wallet").addEventListener("click", createWallet);
  $("import-file").addEventListener("change", (e) => e.target.files[0] && importKeystore(e.target.files[0]));
  $("unlock").addEventListener("click", unlock);
  $("backup").addEventListener("click", backup);
  $("forget").addEventListener("click", forget);
  $("faucet").addEventListener("click", async () => {
    try { await api("/api/faucet", { owner: page.owner, usdc: $("faucet-usdc").value }); banner(""); page.block = -1; await refresh(); }
    catch (e) { banner(errorText(e)); }
  });
  for (const kind of ["buy", "sell", "withdraw", "mandate", "revoke"]) $(`review-${kind}`).addEventListener("click", () => review(kind));
  $("confirm").addEventListener("click", confirmReview);
  $("again").addEventListener("click", () => review(page.lastReview));
  $("close-review").addEventListener("click", () => { page.review = null; $("review").close(); });
  $("open-strategy").addEventListener("click", async () => {
    const { text } = await api("/api/strategy");
    $("strategy-text").textContent = text;
    $("strategy-modal").showModal();
  });
  for (const th of document.querySelectorAll("#holdings-table th")) {
    th.addEventListener("click", () => {
      const key = th.dataset.key;
      page.sortDesc = page.sortKey === key ? !page.sortDesc : key !== "symbol";
      page.sortKey = key;
      drawHoldingsTable();
    });
  }
  window.addEventListener("resize", () => Object.values(page.charts).forEach((c) => c.resize()));
}

async function start() {
  mark("script");
  if (!V) { banner("The page's scripts are missing: run `make setup` (it builds static/vendor/)."); return; }
  wire();
  const stored = loadKeystore();
  if (stored) useKeystore(stored); else { setOwner(null); }  // starts the first refresh
  page.config = await api("/api/config");
  $("network").textContent = `${page.config.network} · chain ${page.config.chain_id}`;
  $("faucet-row").hidden = !page.config.faucet;
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  setInterval(refresh, POLL_MS);
}
start();
