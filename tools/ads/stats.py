"""Small, dependency-free statistics for ads measurement: OLS, z and Welch t tests, normal and Student-t tails."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959964


@dataclass(frozen=True)
class Fit:
    """Least-squares line y = intercept + slope·x."""

    slope: float
    slope_se: float
    intercept: float
    r2: float
    n: int


def ols(x: list[float], y: list[float]) -> Fit | None:
    """Simple linear regression; None when there are fewer than 3 points or x does not vary."""
    n = len(x)
    if n < 3 or n != len(y):
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((a - mx) ** 2 for a in x)
    if sxx <= 0:
        return None
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    slope = sxy / sxx
    intercept = my - slope * mx
    sse = sum((b - intercept - slope * a) ** 2 for a, b in zip(x, y, strict=True))
    syy = sum((b - my) ** 2 for b in y)
    return Fit(
        slope=slope,
        slope_se=math.sqrt(sse / (n - 2) / sxx),
        intercept=intercept,
        r2=1 - sse / syy if syy > 0 else 0.0,
        n=n,
    )


def std(values: list[float]) -> float:
    """Sample standard deviation (0 for fewer than two values)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def normal_two_sided(z: float) -> float:
    """P(|Z| ≥ |z|) for a standard normal Z."""
    return math.erfc(abs(z) / math.sqrt(2))


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction for the regularized incomplete beta function (modified Lentz's method)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1) < 1e-12:
            break
    return result


def incomplete_beta(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b) for 0 ≤ x ≤ 1."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1 - math.exp(log_front) * _beta_fraction(b, a, 1 - x) / b


def student_t_two_sided(t: float, df: float) -> float:
    """P(|T| ≥ |t|) for Student's t with `df` degrees of freedom."""
    return incomplete_beta(df / 2, 0.5, df / (df + t * t))


@dataclass(frozen=True)
class Significance:
    statistic: float
    p_value: float


def welch(a: list[float], b: list[float]) -> Significance | None:
    """Welch's unequal-variance t-test of mean(b) vs mean(a); None with fewer than 2 values per arm."""
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = std(a) ** 2 / len(a), std(b) ** 2 / len(b)
    if va + vb <= 0:
        return None
    t = (sum(b) / len(b) - sum(a) / len(a)) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return Significance(statistic=t, p_value=student_t_two_sided(t, df))


def two_proportions(success_a: int, n_a: int, success_b: int, n_b: int) -> Significance | None:
    """Pooled two-proportion z-test of rate b vs rate a; None when a group is empty or the pooled rate is 0 or 1."""
    if n_a <= 0 or n_b <= 0:
        return None
    pooled = (success_a + success_b) / (n_a + n_b)
    if pooled <= 0 or pooled >= 1:
        return None
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (success_b / n_b - success_a / n_a) / se
    return Significance(statistic=z, p_value=normal_two_sided(z))


def relative_risk_interval(success_e: int, n_e: int, success_h: int, n_h: int) -> tuple[float, float, float] | None:
    """Relative lift (rate_e / rate_h − 1) with a 95% log-relative-risk interval; None if a count is zero."""
    if min(success_e, success_h) <= 0 or min(n_e, n_h) <= 0:
        return None
    ratio = (success_e / n_e) / (success_h / n_h)
    se = math.sqrt(max(0.0, 1 / success_e - 1 / n_e + 1 / success_h - 1 / n_h))
    return ratio - 1, ratio * math.exp(-Z95 * se) - 1, ratio * math.exp(Z95 * se) - 1
