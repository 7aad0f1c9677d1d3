"""Bootstrap multipliers keyed by unit id (counter-based), not by row order.

R ``did`` (and :func:`analysis.did.bootstrap.multiplier_draws` by default) draws
the multipliers from one random stream in the order of the sorted units, so a draw
depends on how many units precede a unit. A streamed or partitioned estimator sees
units in chunks, in any order, on any engine; to give identical bootstrap results
it needs the multiplier of unit ``i`` in draw ``b`` to be a pure function of
``(seed, id_i, b)``. That is what a counter-based generator gives: here the
SplitMix64 finaliser (Steele, Lea and Flood 2014), a bijective 64-bit mixer with
full avalanche, applied to the seed, a 64-bit key of the unit id and the draw
counter. Hand-written because numpy's counter-based bit generators (Philox) can
only be keyed per stream, and one stream per unit costs a Python object per unit.

* Rademacher draws use one mixed 64-bit word per (unit, block of 64 draws): bit
  ``b % 64`` of word ``b // 64`` is the coin of draw ``b``.
* Mammen draws use one word per (unit, draw): its top 53 bits are a uniform.

Keys: whole-number ids (any integer dtype, or floats holding whole numbers) are
their own 64-bit two's-complement value; any other id is hashed as text with
pandas' SipHash (``pd.util.hash_array``, fixed key). So ``17`` and ``"17"`` are
different units, but an id column read as int32, int64 or whole floats by pandas,
DuckDB or Spark gives the same keys.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_HASH_KEY = "did-unit-keyed-1"  # 16 bytes: pandas' SipHash key


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    z = np.asarray(z, dtype=np.uint64)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def unit_keys(ids) -> np.ndarray:
    """64-bit keys of unit (or cluster) ids, independent of dtype width and engine."""
    a = np.asarray(ids)
    if a.dtype.kind in "iu":
        return a.astype(np.int64).view(np.uint64)
    if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        return a.astype(np.int64).view(np.uint64)
    if a.dtype.kind == "b":
        return a.astype(np.int64).view(np.uint64)
    text = np.asarray([str(v) for v in a.tolist()], dtype=object)
    return pd.util.hash_array(text, hash_key=_HASH_KEY, categorize=False).astype(np.uint64)


def _seed_word(seed) -> np.uint64:
    if seed is None:
        raise ValueError("unit-keyed draws need an explicit integer seed")
    return _mix(np.array([int(seed) % 2**64], dtype=np.uint64))[0]


def keyed_bits(keys: np.ndarray, biters: int, seed) -> np.ndarray:
    """(m x biters) uint8 coins (0/1) of the Rademacher draws of units with ``keys``."""
    base = _mix(np.asarray(keys, dtype=np.uint64) ^ _seed_word(seed))
    nblk = -(-int(biters) // 64)
    ctr = (np.arange(1, nblk + 1, dtype=np.uint64) * _GOLDEN)[None, :]
    words = _mix(base[:, None] + ctr).astype("<u8")
    bits = np.unpackbits(words.view(np.uint8), axis=1, bitorder="little")
    return bits[:, : int(biters)]


def keyed_multipliers(keys: np.ndarray, *, biters: int, seed, weights: str = "rademacher") -> np.ndarray:
    """(m x biters) multipliers ``V[i, b]``, a function of ``(seed, keys[i], b)`` only."""
    from analysis.did.bootstrap import MAMMEN_HIGH, MAMMEN_LOW, MAMMEN_P_LOW

    if weights == "rademacher":
        return 2.0 * keyed_bits(keys, biters, seed) - 1.0
    if weights != "mammen":
        raise ValueError(f"weights must be 'mammen' or 'rademacher', got {weights!r}")
    base = _mix(np.asarray(keys, dtype=np.uint64) ^ _seed_word(seed))
    ctr = (np.arange(1, int(biters) + 1, dtype=np.uint64) * _GOLDEN)[None, :]
    u = (_mix(base[:, None] + ctr) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return np.where(u < MAMMEN_P_LOW, MAMMEN_LOW, MAMMEN_HIGH)


#: units per block when forming multipliers (block x biters float64: ~130 MB at 999 draws)
BLOCK_UNITS = 16_384


def keyed_draw_sums(psi: np.ndarray, keys: np.ndarray, *, biters: int, seed, weights: str = "rademacher") -> np.ndarray:
    """``sum_i V_ib psi_i`` over the rows of ``psi`` (m x k): a (biters x k) partial sum.

    Partial sums over any split of the units add up to the same total (up to
    floating-point rounding), which is what makes chunked bootstraps exact.
    """
    psi = np.asarray(psi, dtype=float)
    out = np.zeros((int(biters), psi.shape[1]))
    for start in range(0, len(keys), BLOCK_UNITS):
        stop = min(len(keys), start + BLOCK_UNITS)
        block = psi[start:stop]
        if weights == "rademacher":
            # V = 2 bit - 1: one 0/1 product plus a column sum.
            bits = keyed_bits(keys[start:stop], biters, seed).astype(np.float64)
            out += 2.0 * (bits.T @ block) - block.sum(axis=0)[None, :]
        else:
            out += keyed_multipliers(keys[start:stop], biters=biters, seed=seed, weights=weights).T @ block
    return out
