"""A local chain's state file that is gone, empty or cut short is said in words, and no
new empty chain is started in its place (issue 15: an 82-line traceback, then an empty
chain saved over the old one)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.chain.daemon import read_record
from orchestrator.chain.localnode import start_node, state_file
from orchestrator.cli import app
from orchestrator.errors import ChainStateLost
from orchestrator.networks import NetworkConfig


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "is missing, but this local network had a chain"),
        (b"", "is empty (0 bytes)"),
        (b'{"block": {"number": "0x1"}, "accounts": {"0x', "is unreadable (truncated or corrupt"),
    ],
)
def test_a_lost_state_file_is_refused_and_no_node_is_started(
    tmp_path: Path, content: bytes | None, said: str
) -> None:
    state = state_file(tmp_path)
    if content is not None:
        state.write_bytes(content)
    with pytest.raises(ChainStateLost, match=re.escape(said)) as caught:
        start_node(tmp_path, expect_state=True)
    assert "local up --reset" in (caught.value.hint or "")
    assert read_record(tmp_path, "anvil") is None  # nothing started
    assert (state.read_bytes() if state.exists() else None) == content  # kept as it was


def test_local_up_says_so_in_words(tmp_path: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    config = NetworkConfig(name="local", address_book=local / "addressbook.json", chain_id=31337)
    (local / "network.json").write_text(config.model_dump_json())
    state_file(local).write_bytes(b'{"truncated": ')
    result = CliRunner().invoke(app, ["local", "up"], env={"INDEXVAULT_HOME": str(tmp_path)})
    assert isinstance(result.exception, ChainStateLost), result.output
    assert str(result.exception).startswith(f"the local chain's state file {state_file(local)}")
    assert read_record(local, "anvil") is None
