"""Deciding a comparative claim over seeds: the Student-t confidence interval of the mean
paired difference, and the three-way verdict it gives.

A comparative claim ("A beats B", "A is at least as good as B", "the effect is larger at
p = 0.5 than at p = 1") is measured once per seed as a paired difference ``d_s`` (A's
number minus B's, both from seed ``s``: same data split and initialisation where the
experiment allows). With ``n`` seeds, mean ``m`` and sample standard deviation ``sd``, the
two-sided interval at level ``LEVEL`` (95%) is

    m +- t_{(1 + level) / 2, n - 1} * sd / sqrt(n).

The claim is ``mean difference > margin`` (``direction="greater"``) or ``< margin``
(``"less"``). It is **passed** when the whole interval lies on the claimed side of
``margin``, **failed** when the whole interval lies on the other side, **inconclusive**
otherwise (including one seed, whose interval is unbounded). ``margin`` is signed: a
non-inferiority claim within ``m`` points is ``direction="greater", margin=-m``; a
superiority claim by a practical margin ``m`` is ``margin=+m``.

No torch here; scipy gives the t quantile.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reproductions.spec import Verdict

LEVEL = 0.95  # two-sided confidence level of every interval verdict

Direction = Literal["greater", "less"]


@dataclass(frozen=True)
class Interval:
    mean: float
    se: float  # standard error of the mean (sd / sqrt(n)); inf for n < 2
    low: float
    high: float
    n: int
    level: float


def t_quantile(q: float, df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(q, df))


def paired_interval(diffs: Sequence[float], level: float = LEVEL) -> Interval:
    """Student-t interval of the mean of the paired differences ``diffs``."""
    values = [float(d) for d in diffs]
    n = len(values)
    if n == 0:
        raise ValueError("no differences")
    if not all(math.isfinite(v) for v in values):
        return Interval(math.nan, math.inf, -math.inf, math.inf, n, level)
    mean = sum(values) / n
    if n < 2:
        return Interval(mean, math.inf, -math.inf, math.inf, n, level)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    se = sd / math.sqrt(n)
    half = t_quantile((1 + level) / 2, n - 1) * se
    return Interval(mean, se, mean - half, mean + half, n, level)


def outcome_of(interval: Interval, direction: Direction = "greater",
               margin: float = 0.0) -> str:
    """``passed`` / ``failed`` / ``inconclusive`` for the claim ``diff > margin`` (greater)
    or ``diff < margin`` (less)."""
    if direction not in ("greater", "less"):
        raise ValueError(f"direction must be 'greater' or 'less', not {direction!r}")
    lo, hi = interval.low, interval.high
    if direction == "less":
        lo, hi, margin = -hi, -lo, -margin
    if lo > margin:
        return "passed"
    if hi < margin:
        return "failed"
    return "inconclusive"


def decide(
    diffs: Sequence[float],
    *,
    claim: str,
    direction: Direction = "greater",
    margin: float = 0.0,
    paper: float | int | str | bool | None = None,
    kind: Literal["paper", "sanity"] = "paper",
    what: str = "paired difference",
    scale: float = 1.0,
    digits: int = 4,
    level: float = LEVEL,
) -> Verdict:
    """The Verdict of a comparative claim from its per-seed paired differences.

    ``what`` names the difference in the tolerance text; ``scale`` multiplies the numbers
    shown (e.g. 100 for accuracy points) -- ``margin`` is in the shown units.
    """
    shown = [float(d) * scale for d in diffs]
    iv = paired_interval(shown, level)
    outcome = outcome_of(iv, direction, margin)
    op = ">" if direction == "greater" else "<"
    pct = f"{level * 100:g}%"
    if iv.n >= 2 and math.isfinite(iv.se):
        ours = (f"{iv.mean:+.{digits}f} (SE {iv.se:.{digits}f}; {pct} CI "
                f"[{iv.low:+.{digits}f}, {iv.high:+.{digits}f}], n={iv.n})")
        interval: tuple[float, float] | None = (round(iv.low, 6), round(iv.high, 6))
    else:
        ours = f"{iv.mean:+.{digits}f} (n={iv.n}: no interval)"
        interval = None
    tolerance = (f"{what} {op} {margin:g}: passed when the {pct} Student-t interval of the "
                 f"mean over seeds lies above/below accordingly, failed when it lies wholly "
                 f"on the other side, else inconclusive")
    return Verdict(claim=claim, ours=ours, paper=paper, tolerance=tolerance, outcome=outcome,
                   kind=kind, interval=interval, n_seeds=iv.n)
