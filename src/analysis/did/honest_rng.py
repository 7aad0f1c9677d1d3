"""R's default random numbers (``set.seed`` + ``rnorm``, Mersenne-Twister / Inversion) in numpy.

R ``HonestDiD`` draws its least-favourable critical values (``set.seed(0)``, 1,000 draws of
``mvtnorm::rmvnorm``) and its folded-normal quantiles (``set.seed(0)``, 10^6 ``rnorm``)
by simulation. Reproducing its published intervals to the printed digits needs the same
draws, so this module rebuilds R's stream: ``set.seed`` scrambles the seed with the LCG
``69069 s + 1`` (50 times, then once per word of the 625-word Mersenne-Twister state, whose
first word, the position, R resets to 624); ``unif_rand`` is a 32-bit MT19937 word times
2^-32; ``norm_rand`` (Inversion) is ``qnorm((floor(2^27 u1) + u2) / 2^27)``. numpy's own
``MT19937`` bit generator does the twisting, so nothing here loops in Python per draw.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special

__all__ = ["r_rnorm", "r_rmvnorm"]

_I2_32M1 = 2.328306437080797e-10  # R's fixup for u == 0 / u == 1
_BIG = 134217728.0  # 2^27


@lru_cache(maxsize=8)
def _r_seed_words(seed: int) -> np.ndarray:
    s = int(seed) & 0xFFFFFFFF
    for _ in range(50):
        s = (69069 * s + 1) & 0xFFFFFFFF
    words = np.empty(625, dtype=np.uint32)
    for j in range(625):
        s = (69069 * s + 1) & 0xFFFFFFFF
        words[j] = s
    words.setflags(write=False)
    return words


def _r_bitgen(seed: int) -> np.random.MT19937:
    bitgen = np.random.MT19937()
    bitgen.state = {"bit_generator": "MT19937", "state": {"key": _r_seed_words(seed)[1:].copy(), "pos": 624}}
    return bitgen


def _unif(bitgen, n: int) -> np.ndarray:
    u = bitgen.random_raw(n).astype(np.float64) * 2.3283064365386963e-10
    u[u <= 0.0] = 0.5 * _I2_32M1
    u[1.0 - u <= 0.0] = 1.0 - 0.5 * _I2_32M1
    return u


def r_rnorm(n: int, seed: int) -> np.ndarray:
    """``set.seed(seed); rnorm(n)`` of R (default kinds) - the same numbers."""
    u = _unif(_r_bitgen(seed), 2 * n).reshape(n, 2)
    return special.ndtri((np.floor(_BIG * u[:, 0]) + u[:, 1]) / _BIG)


def r_rmvnorm(n: int, sigma, seed: int) -> np.ndarray:
    """``set.seed(seed); mvtnorm::rmvnorm(n, sigma = sigma)`` (method "eigen", draws filled by row)."""
    sigma = np.asarray(sigma, dtype=float)
    p = sigma.shape[0]
    values, vectors = np.linalg.eigh(sigma)
    root = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T  # symmetric root: sign-free
    return r_rnorm(n * p, seed).reshape(n, p) @ root
