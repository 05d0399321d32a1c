"""Pure math for seeding Uniswap V3 pools from USD prices (no I/O, no floats).

Conventions: every pool pairs a token with USDC (6 decimals, worth exactly 1 USD here).
A pool's price is token1 base units per token0 base unit; `sqrtPriceX96` is
floor(sqrt(price) * 2**96) (rounds down). Tokens are sorted by address into token0/token1,
as Uniswap does.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction
from math import isqrt

from orchestrator.domain.prices import Q96
from orchestrator.domain.units import USDC_DECIMALS
from orchestrator.errors import InvalidValue

__all__ = [
    "MAX_SQRT_RATIO",
    "MIN_SQRT_RATIO",
    "full_range_ticks",
    "pool_depth_usd",
    "price_usd_from_sqrt_price_x96",
    "seed_amounts",
    "sqrt_price_x96_for_usd_price",
    "token_decimals",
]

MIN_SQRT_RATIO = 4_295_128_739
MAX_SQRT_RATIO = 1_461_446_703_485_210_103_287_273_052_203_988_822_378_723_970_342
MAX_TICK = 887_272

# Native decimals of well-known assets where they are not 18 (BTC-likes use 8; several
# L1s and USD-pegged tokens use 6). Everything else is minted with 18.
_EIGHT = "BTC WBTC BTCB RENBTC LTC BCH BSV DOGE ZEC DASH RVN DCR DGB KAS XEC"
_SIX = "USDT USDC XRP ADA TRX ALGO XTZ HBAR STX EOS IOTA MIOTA XLM KDA"
_DECIMALS = {**dict.fromkeys(_EIGHT.split(), 8), **dict.fromkeys(_SIX.split(), 6)}


def token_decimals(symbol: str) -> int:
    """Decimals we give a constituent's local ERC-20: 8 for BTC-likes, 6 for some, else 18."""
    return _DECIMALS.get(symbol.upper(), 18)


def _usdc_per_token_unit(price_usd: Decimal, decimals: int) -> Fraction:
    """USDC base units per token base unit (an exact rational)."""
    if price_usd <= 0:
        raise InvalidValue(
            f"price must be positive, got {price_usd}", name="price_usd", value=price_usd
        )
    return Fraction(price_usd) * Fraction(10**USDC_DECIMALS, 10**decimals)


def sqrt_price_x96_for_usd_price(price_usd: Decimal, decimals: int, token_is_token0: bool) -> int:
    """The pool's initial sqrtPriceX96 for a token worth `price_usd` (rounded down)."""
    price = _usdc_per_token_unit(price_usd, decimals)
    if not token_is_token0:
        price = 1 / price
    sqrt_price = isqrt(price.numerator * Q96 * Q96 // price.denominator)
    if not MIN_SQRT_RATIO <= sqrt_price < MAX_SQRT_RATIO:
        raise InvalidValue(
            f"price {price_usd} USD with {decimals} decimals is outside Uniswap V3's price range",
            name="price_usd",
            value=price_usd,
        )
    return sqrt_price


def price_usd_from_sqrt_price_x96(
    sqrt_price_x96: int, decimals: int, token_is_token0: bool
) -> Decimal:
    """Inverse of `sqrt_price_x96_for_usd_price`: the token's USD price the pool implies."""
    price = Fraction(sqrt_price_x96 * sqrt_price_x96, Q96 * Q96)
    if not token_is_token0:
        price = 1 / price
    usd = price * 10**decimals / 10**USDC_DECIMALS
    with localcontext() as ctx:
        ctx.prec = 40
        return Decimal(usd.numerator) / Decimal(usd.denominator)


def full_range_ticks(tick_spacing: int) -> tuple[int, int]:
    """The widest usable tick range for a fee tier's spacing."""
    upper = MAX_TICK // tick_spacing * tick_spacing
    return -upper, upper


def pool_depth_usd(
    market_cap_usd: Decimal,
    *,
    depth_bps_of_market_cap: int = 2,
    min_depth_usd: Decimal = Decimal(50_000),
    max_depth_usd: Decimal = Decimal(200_000_000),
) -> Decimal:
    """Total value to seed a pool with: a fixed share of the asset's market cap, clamped,
    so that large caps trade deep and small caps show real price impact."""
    depth = market_cap_usd * depth_bps_of_market_cap / 10_000
    return min(max(depth, min_depth_usd), max_depth_usd)


def seed_amounts(depth_usd: Decimal, price_usd: Decimal, decimals: int) -> tuple[int, int]:
    """(token base units, USDC base units) worth half of `depth_usd` each (rounded down)."""
    half = Fraction(depth_usd) / 2
    usdc_units = int(half * 10**USDC_DECIMALS)
    token_units = int(half / Fraction(price_usd) * 10**decimals)
    return token_units, usdc_units
