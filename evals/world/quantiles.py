"""`draws.py` over arrays: Poisson and Binomial quantiles of many uniforms at once, bit for bit the scalar results.

Exponentials and logarithms go through `math` (the C library), not NumPy's vector kernels, which differ from it in
the last bit often enough to move a quantile; everything else is IEEE arithmetic in the scalar code's order.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from cadencia.evals.world.draws import EDGE, NORMAL_ABOVE

_CENTRAL_NUM = (
    2.5090809287301226727e3,
    3.3430575583588128105e4,
    6.7265770927008700853e4,
    4.5921953931549871457e4,
    1.3731693765509461125e4,
    1.9715909503065514427e3,
    1.3314166789178437745e2,
    3.3871328727963666080e0,
)
_CENTRAL_DEN = (
    5.2264952788528545610e3,
    2.8729085735721942674e4,
    3.9307895800092710610e4,
    2.1213794301586595867e4,
    5.3941960214247511077e3,
    6.8718700749205790830e2,
    4.2313330701600911252e1,
    1.0,
)
_NEAR_NUM = (
    7.74545014278341407640e-4,
    2.27238449892691845833e-2,
    2.41780725177450611770e-1,
    1.27045825245236838258e0,
    3.64784832476320460504e0,
    5.76949722146069140550e0,
    4.63033784615654529590e0,
    1.42343711074968357734e0,
)
_NEAR_DEN = (
    1.05075007164441684324e-9,
    5.47593808499534494600e-4,
    1.51986665636164571966e-2,
    1.48103976427480074590e-1,
    6.89767334985100004550e-1,
    1.67638483018380384940e0,
    2.05319162663775882187e0,
    1.0,
)
_FAR_NUM = (
    2.01033439929228813265e-7,
    2.71155556874348757815e-5,
    1.24266094738807843860e-3,
    2.65321895265761230930e-2,
    2.96560571828504891230e-1,
    1.78482653991729133580e0,
    5.46378491116411436990e0,
    6.65790464350110377720e0,
)
_FAR_DEN = (
    2.04426310338993978564e-15,
    1.42151175831644588870e-7,
    1.84631831751005468180e-5,
    7.86869131145613259100e-4,
    1.48753612908506148525e-2,
    1.36929880922735805310e-1,
    5.99832206555887937690e-1,
    1.0,
)


def libm(fn: Callable[[float], float], values: np.ndarray) -> np.ndarray:
    """`fn` from `math` applied element by element (bit-identical to scalar code)."""
    return np.fromiter(map(fn, values.tolist()), dtype=np.float64, count=len(values))


def _horner(coefficients: tuple[float, ...], r: np.ndarray) -> np.ndarray:
    acc = coefficients[0] * r + coefficients[1]
    for c in coefficients[2:]:
        acc = acc * r + c
    return acc


def normal_quantiles(u: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """`NormalDist(mu, sigma).inv_cdf(u)` (Wichura's AS241, as the standard library computes it)."""
    q = u - 0.5
    x = np.empty_like(u)
    central = np.abs(q) <= 0.425
    if central.any():
        qc = q[central]
        r = 0.180625 - qc * qc
        x[central] = (_horner(_CENTRAL_NUM, r) * qc) / _horner(_CENTRAL_DEN, r)
    tail = ~central
    if tail.any():
        qt, ut = q[tail], u[tail]
        r = np.sqrt(-libm(math.log, np.where(qt <= 0.0, ut, 1.0 - ut)))
        near = r <= 5.0
        xt = np.empty_like(r)
        rn, rf = r[near] - 1.6, r[~near] - 5.0
        xt[near] = _horner(_NEAR_NUM, rn) / _horner(_NEAR_DEN, rn)
        xt[~near] = _horner(_FAR_NUM, rf) / _horner(_FAR_DEN, rf)
        x[tail] = np.where(qt < 0.0, -xt, xt)
    return mu + (x * sigma)


def _normal_counts(u: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    clipped = np.minimum(np.maximum(u, EDGE), 1 - EDGE)
    return np.maximum(0, np.rint(normal_quantiles(clipped, mean, np.sqrt(variance)))).astype(np.int64)


def poisson_quantiles(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """`poisson_at` element-wise."""
    out = np.zeros(len(u), dtype=np.int64)
    big = mean > NORMAL_ABOVE
    if big.any():
        out[big] = _normal_counts(u[big], mean[big], mean[big])
    at = np.flatnonzero((mean > 0) & ~big)
    if len(at) == 0:
        return out
    uu, m = u[at], mean[at]
    term = libm(math.exp, -m)
    cdf = term.copy()
    k = np.zeros(len(at), dtype=np.int64)
    live = np.flatnonzero((uu > cdf) & (term > 0))
    while len(live):
        k[live] += 1
        term[live] *= m[live] / k[live]
        cdf[live] += term[live]
        live = live[(uu[live] > cdf[live]) & (term[live] > 0)]
    out[at] = k
    return out


def binomial_quantiles(u: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """`binomial_at` element-wise (`n` integer counts, `p` probabilities)."""
    out = np.zeros(len(u), dtype=np.int64)
    some = (n > 0) & (p > 0)
    sure = some & (p >= 1)
    out[sure] = n[sure]
    some &= ~sure
    mean = n * p
    big = some & (mean > NORMAL_ABOVE)
    if big.any():
        nb, pb = n[big], p[big]
        out[big] = np.minimum(nb, _normal_counts(u[big], mean[big], mean[big] * (1 - pb)))
    at = np.flatnonzero(some & ~big)
    if len(at) == 0:
        return out
    uu, nn, pp = u[at], n[at], p[at]
    term = libm(math.exp, nn * libm(math.log1p, -pp))
    cdf, odds = term.copy(), pp / (1 - pp)
    k = np.zeros(len(at), dtype=np.int64)
    live = np.flatnonzero((uu > cdf) & (k < nn))
    while len(live):
        term[live] *= (nn[live] - k[live]) / (k[live] + 1) * odds[live]
        k[live] += 1
        cdf[live] += term[live]
        live = live[(uu[live] > cdf[live]) & (k[live] < nn[live])]
    out[at] = k
    return out
