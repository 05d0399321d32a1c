"""A small, fast ABI codec for the hot batched paths (previews, quotes, user operations).

`encode(types, values)` and `decode(types, data)` take the same arguments as eth_abi's and
give the same bytes and values (property tests compare them), but do not run eth_abi's
per-value validation layers: a 100-leg preview encodes and decodes a few thousand values,
and eth_abi spent ~40 ms of it there (measured). Values are still range-checked where a
wrong one would silently encode something else (integers out of range, addresses of the
wrong length); anything else malformed fails with a plain TypeError/ValueError.

Supported: uintN, intN, address, bool, bytesN, bytes, string, T[] and tuples of those.
Fixed-size arrays T[k] are not (nothing here needs them): they raise InvalidValue (a ValueError).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from orchestrator.errors import InvalidValue

__all__ = ["decode", "encode"]

_WORD = 32
_ZERO_WORD = bytes(_WORD)


@dataclass(frozen=True)
class _Type:
    # uint, int, address, bool, fixed_bytes, bytes, string, array or tuple
    kind: str
    bits: int = 0  # uint/int width; fixed_bytes length in bytes
    items: tuple[_Type, ...] = ()  # tuple components, or the one array element type

    @property
    def dynamic(self) -> bool:
        if self.kind in ("bytes", "string", "array"):
            return True
        return self.kind == "tuple" and any(t.dynamic for t in self.items)

    @property
    def head_size(self) -> int:
        """Bytes this type takes in its parent's head: a pointer if dynamic."""
        if self.kind == "tuple" and not self.dynamic:
            return sum(t.head_size for t in self.items)
        return _WORD


def _split_tuple(inner: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return [p for p in parts if p] if inner else []


@cache
def _parse(text: str) -> _Type:
    text = text.strip()
    if text.endswith("]"):
        base, _, size = text[:-1].rpartition("[")
        if size:
            raise InvalidValue(
                f"fixed-size arrays are not supported: {text}", name="type", value=text
            )
        return _Type("array", items=(_parse(base),))
    if text.startswith("("):
        if not text.endswith(")"):
            raise InvalidValue(f"malformed tuple type: {text}", name="type", value=text)
        return _Type("tuple", items=tuple(_parse(p) for p in _split_tuple(text[1:-1])))
    if text in ("address", "bool", "bytes", "string"):
        return _Type(text)
    for prefix, kind in (("uint", "uint"), ("int", "int"), ("bytes", "fixed_bytes")):
        if text.startswith(prefix):
            width = int(text[len(prefix) :] or "256")
            limit = 32 if kind == "fixed_bytes" else 256
            if not 0 < width <= limit or (kind != "fixed_bytes" and width % 8):
                raise InvalidValue(f"bad ABI type: {text}", name="type", value=text)
            return _Type(kind, bits=width)
    raise InvalidValue(f"unsupported ABI type: {text}", name="type", value=text)


def _padded(data: bytes) -> bytes:
    rest = len(data) % _WORD
    return data + bytes(_WORD - rest) if rest else data


def _address_bytes(value: Any) -> bytes:
    raw = (
        bytes.fromhex(value[2:] if value[:2] in ("0x", "0X") else value)
        if isinstance(value, str)
        else bytes(value)
    )
    if len(raw) != 20:
        raise InvalidValue(
            f"an address is 20 bytes, got {len(raw)}: {value!r}", name="address", value=value
        )
    return raw


def _encode_static(t: _Type, value: Any) -> bytes:
    kind = t.kind
    if kind == "uint":
        if value < 0 or value >> t.bits:
            raise InvalidValue(f"{value} does not fit uint{t.bits}", name="uint", value=value)
        return int(value).to_bytes(_WORD, "big")
    if kind == "address":
        return bytes(12) + _address_bytes(value)
    if kind == "bool":
        return (1 if value else 0).to_bytes(_WORD, "big")
    if kind == "int":
        bound = 1 << (t.bits - 1)
        if not -bound <= value < bound:
            raise InvalidValue(f"{value} does not fit int{t.bits}", name="int", value=value)
        return int(value).to_bytes(_WORD, "big", signed=True)
    if kind == "fixed_bytes":
        raw = bytes(value)
        if len(raw) > t.bits:
            raise InvalidValue(
                f"{len(raw)} bytes do not fit bytes{t.bits}", name="bytes", value=value
            )
        return raw.ljust(_WORD, b"\0")
    # a static tuple
    return b"".join(_encode_static(item, v) for item, v in zip(t.items, value, strict=True))


def _encode_sequence(types: Sequence[_Type], values: Sequence[Any]) -> bytes:
    if len(types) != len(values):
        raise InvalidValue(
            f"{len(types)} types for {len(values)} values", name="values", value=values
        )
    heads: list[bytes] = []
    tails: list[bytes] = []
    offset = sum(t.head_size for t in types)
    for t, value in zip(types, values, strict=True):
        if t.dynamic:
            tail = _encode_dynamic(t, value)
            heads.append(offset.to_bytes(_WORD, "big"))
            tails.append(tail)
            offset += len(tail)
        else:
            heads.append(_encode_static(t, value))
    return b"".join(heads) + b"".join(tails)


def _encode_dynamic(t: _Type, value: Any) -> bytes:
    if t.kind == "bytes":
        raw = bytes(value)
        return len(raw).to_bytes(_WORD, "big") + _padded(raw)
    if t.kind == "string":
        raw = value.encode("utf-8")
        return len(raw).to_bytes(_WORD, "big") + _padded(raw)
    if t.kind == "array":
        (item,) = t.items
        return len(value).to_bytes(_WORD, "big") + _encode_sequence([item] * len(value), value)
    return _encode_sequence(t.items, value)  # a dynamic tuple


def encode(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """ABI-encode `values` as the tuple of `types` (the arguments of a call)."""
    return _encode_sequence([_parse(t) for t in types], values)


def _word_int(data: bytes, at: int) -> int:
    if at + _WORD > len(data):
        raise InvalidValue(
            f"ABI data too short: a word at {at} of {len(data)} bytes", name="data", value=len(data)
        )
    return int.from_bytes(data[at : at + _WORD], "big")


def _decode_static(t: _Type, data: bytes, at: int) -> Any:
    kind = t.kind
    if kind == "uint":
        return _word_int(data, at)
    if kind == "address":
        return "0x" + data[at + 12 : at + _WORD].hex()
    if kind == "bool":
        return _word_int(data, at) != 0
    if kind == "int":
        value = _word_int(data, at)
        return value - (1 << 256) if value >> 255 else value
    if kind == "fixed_bytes":
        return bytes(data[at : at + t.bits])
    values, cursor = [], at
    for item in t.items:
        values.append(_decode_static(item, data, cursor))
        cursor += item.head_size
    return tuple(values)


def _decode_sequence(types: Sequence[_Type], data: bytes, base: int) -> list[Any]:
    values, cursor = [], base
    for t in types:
        if t.dynamic:
            values.append(_decode_dynamic(t, data, base + _word_int(data, cursor)))
        else:
            values.append(_decode_static(t, data, cursor))
        cursor += t.head_size
    return values


def _decode_dynamic(t: _Type, data: bytes, at: int) -> Any:
    if t.kind in ("bytes", "string"):
        length = _word_int(data, at)
        raw = bytes(data[at + _WORD : at + _WORD + length])
        if len(raw) != length:
            raise InvalidValue(
                f"ABI data too short: {length} bytes at {at}", name="data", value=len(data)
            )
        return raw.decode("utf-8") if t.kind == "string" else raw
    if t.kind == "array":
        length = _word_int(data, at)
        if length * t.items[0].head_size > len(data):
            raise InvalidValue(
                f"ABI array length {length} exceeds the data", name="data", value=len(data)
            )
        return tuple(_decode_sequence([t.items[0]] * length, data, at + _WORD))
    return tuple(_decode_sequence(t.items, data, at))


def decode(types: Sequence[str], data: bytes) -> tuple[Any, ...]:
    """Decode ABI `data` holding the tuple of `types` (a call's return data). Addresses come
    back as lowercase 0x-hex, arrays and tuples as tuples, as eth_abi returns them."""
    return tuple(_decode_sequence([_parse(t) for t in types], bytes(data), 0))
