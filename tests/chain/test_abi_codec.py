"""The fast ABI codec against eth_abi: same bytes out, same values back, for random types
and values (pure; no chain)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import decode as eth_abi_decode
from eth_abi.abi import encode as eth_abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.chain import abi

_ELEMENTARY = ["uint8", "uint24", "uint160", "uint256", "int24", "int256", "address", "bool",
               "bytes4", "bytes32", "bytes", "string"]  # fmt: skip


def _type_strategy() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        arrays = inner.map(lambda t: f"{t}[]")
        tuples = st.lists(inner, min_size=1, max_size=4).map(lambda ts: f"({','.join(ts)})")
        return arrays | tuples

    return st.recursive(st.sampled_from(_ELEMENTARY), extend, max_leaves=8)


def _value_strategy(type_str: str) -> st.SearchStrategy[Any]:
    parsed = abi._parse(type_str)
    return _for(parsed)


def _for(t: Any) -> st.SearchStrategy[Any]:
    if t.kind == "uint":
        return st.integers(0, 2**t.bits - 1)
    if t.kind == "int":
        return st.integers(-(2 ** (t.bits - 1)), 2 ** (t.bits - 1) - 1)
    if t.kind == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if t.kind == "bool":
        return st.booleans()
    if t.kind == "fixed_bytes":
        return st.binary(min_size=t.bits, max_size=t.bits)
    if t.kind == "bytes":
        return st.binary(max_size=80)
    if t.kind == "string":
        return st.text(max_size=20)
    if t.kind == "array":
        return st.lists(_for(t.items[0]), max_size=4).map(tuple)
    return st.tuples(*(_for(item) for item in t.items))


@st.composite
def _typed_values(draw: st.DrawFn) -> tuple[list[str], list[Any]]:
    types = draw(st.lists(_type_strategy(), min_size=1, max_size=4))
    values = [draw(_value_strategy(t)) for t in types]
    return types, values


@settings(max_examples=300, deadline=None)
@given(_typed_values())
def test_encode_matches_eth_abi_and_decodes_back(case: tuple[list[str], list[Any]]) -> None:
    types, values = case
    encoded = abi.encode(types, values)
    assert encoded == eth_abi_encode(types, values)
    assert abi.decode(types, encoded) == eth_abi_decode(types, encoded)


def test_hot_shapes_match_eth_abi() -> None:
    """The shapes the preview path uses, with realistic values."""
    op = ("0x" + "11" * 20, 7, b"\x01" * 60, b"\xab" * 1500, b"\x02" * 32, 21_000,
          b"\x03" * 32, b"", b"\x04" * 65)  # fmt: skip
    cases: list[tuple[list[str], list[Any]]] = [
        (["(address,bool,bytes)[]"], [[("0x" + "22" * 20, True, b"\x05" * 164)] * 3]),
        (["(address,uint24,uint256,uint256)[]"], [[("0x" + "33" * 20, 3000, 10**9, 0)] * 5]),
        (["(address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)", "address", "bytes"],
         [op, "0x" + "44" * 20, b""]),
    ]  # fmt: skip
    for types, values in cases:
        assert abi.encode(types, values) == eth_abi_encode(types, values)


@pytest.mark.parametrize(
    ("types", "values", "message"),
    [
        (["uint8"], [256], "does not fit uint8"),
        (["uint256"], [-1], "does not fit uint256"),
        (["int24"], [2**23], "does not fit int24"),
        (["address"], ["0x1234"], "an address is 20 bytes"),
        (["bytes4"], [b"12345"], "do not fit bytes4"),
        (["uint256[2]"], [[1, 2]], "fixed-size arrays"),
        (["uint7"], [1], "bad ABI type"),
        (["uint256", "bool"], [1], "2 types for 1 values"),
    ],
)
def test_bad_values_raise_instead_of_encoding_something_else(
    types: list[str], values: list[Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        abi.encode(types, values)


def test_short_data_raises() -> None:
    encoded = abi.encode(["bytes"], [b"\x01" * 40])
    with pytest.raises(ValueError, match="too short"):
        abi.decode(["bytes"], encoded[:-40])
    with pytest.raises(ValueError, match="too short"):
        abi.decode(["uint256", "uint256"], encoded[:40])
