"""CLI commands (JSON contract and errors) on the synthetic market and small files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import orchestrator.cli.strategy_cmds  # noqa: F401  (registers the commands)
from orchestrator.cli import main
from orchestrator.cli.app import app
from orchestrator.errors import InputError, MarketDataError, StrategyError
from orchestrator.strategy.config import DEFAULT_CONFIG
from orchestrator.strategy.rules_text import rules_text

runner = CliRunner()
METRIC_KEYS = {
    "final_nav",
    "cagr",
    "volatility",
    "max_drawdown",
    "sharpe",
    "calmar",
    "turnover",
    "switches",
    "time_in_market",
}


def run_json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    envelope = json.loads(result.output)
    assert envelope["schema"] == "indexvault/1"
    assert envelope["command"] == args[0]
    data: dict[str, object] = envelope["data"]
    return data


def test_weights_json_contract() -> None:
    data = run_json("weights", "--date", "2022-06-06", "--top", "20", "--cap", "0.2")
    assert {"date", "weights_bps", "excluded"} <= set(data)
    assert data["date"] == "2022-06-06"
    assert data["source"] == "synthetic (seed=7)"
    weights = data["weights_bps"]
    assert isinstance(weights, dict)
    assert len(weights) <= 20
    assert sum(weights.values()) == 10_000
    assert max(weights.values()) <= 2000
    assert data["excluded"]["USDC"] == "stablecoin"  # type: ignore[index]


def test_signal_json_contract() -> None:
    data = run_json("signal", "--date", "2022-06-06")
    assert data["regime"] in ("bull", "bear")
    gauge = data["gauge"]
    assert isinstance(gauge, int)
    assert 0 <= gauge <= 100
    assert data["value"] == gauge
    assert data["kind"] == DEFAULT_CONFIG.signal.kind
    assert data["band"] == [data["exit_below"], data["enter_above"]]
    components = data["components"]
    assert isinstance(components, list)
    assert [c["kind"] for c in components] == [m.kind for m in DEFAULT_CONFIG.signal.members]
    bulls = sum(1 for c in components if c["regime"] == "bull")
    assert data["regime"] == ("bull" if bulls >= DEFAULT_CONFIG.signal.need else "bear")
    assert data["last_switch_to"] in ("bull", "bear", None)


def test_strategy_prints_the_generated_rules() -> None:
    result = runner.invoke(app, ["strategy"])
    assert result.exit_code == 0
    assert result.output == rules_text(DEFAULT_CONFIG)


def test_backtest_json_contract_and_plot(tmp_path: Path) -> None:
    png = tmp_path / "nav.png"
    data = run_json("backtest", "--from", "2022-06-06", "--to", "2022-12-26", "--plot", str(png))
    for name in ("strategy", "passive", "btc"):
        metrics = data[name]
        assert isinstance(metrics, dict)
        assert set(metrics) == METRIC_KEYS
    assert data["from"] == "2022-06-06"
    assert data["to"] == "2022-12-26"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_backtest_text_output() -> None:
    result = runner.invoke(app, ["backtest", "--from", "2023-06-05", "--to", "2023-08-28"])
    assert result.exit_code == 0
    assert "synthetic (seed=7)" in result.output
    assert "passive" in result.output


def test_weights_from_a_csv_file_uses_the_stablecoins_file_beside_it(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(
        "date,symbol,name,price_usd,market_cap_usd,volume_24h_usd,rank\n"
        "2024-01-01,AAA,A,1,500,1,1\n2024-01-01,NEWUSD,New USD,1,400,1,2\n"
        "2024-01-01,BBB,B,1,300,1,3\n2024-01-01,CCC,C,1,200,1,4\n"
    )
    (tmp_path / "stablecoins.csv").write_text("symbol,peg\nNEWUSD,USD\n")
    data = run_json("weights", "--market-data", str(tmp_path / "m.csv"), "--cap", "0.5")
    assert data["weights_bps"] == {"AAA": 5000, "BBB": 3000, "CCC": 2000}
    assert data["excluded"] == {"NEWUSD": "stablecoin (USD)"}


@pytest.mark.parametrize(
    ("args", "error", "text"),
    [
        (["weights", "--date", "2022-06-07"], MarketDataError, "nearest available: 2022-06-06"),
        (["signal", "--date", "06/06/2022"], InputError, "is not a date"),
        (["weights", "--top", "3", "--cap", "0.25"], StrategyError, "impossible cap"),
        (["weights", "--cap", "lots"], InputError, "--cap 'lots' is not a number"),
        (["weights", "--market-data", "/nonexistent/m.csv"], MarketDataError, "file not found"),
        (["backtest", "--from", "2030-01-01"], InputError, "at least 2 dates"),
    ],
)
def test_bad_inputs_raise_clear_errors(args: list[str], error: type, text: str) -> None:
    result = runner.invoke(app, args)
    assert isinstance(result.exception, error)
    assert text in str(result.exception)


def test_main_prints_error_and_hint_with_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["indexvault", "weights", "--top", "3", "--cap", "0.25"])
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "impossible cap" in err
    assert "hint: Raise the cap" in err
