"""reproductions.stats: the paired-difference interval and the three-way verdict; the
Verdict model's outcome/passed compatibility and overall_verdict."""

from __future__ import annotations

import math

import pytest

from reproductions.spec import Verdict, overall_verdict
from reproductions.stats import LEVEL, decide, outcome_of, paired_interval


def test_interval_matches_the_t_formula() -> None:
    d = [1.0, 2.0, 3.0, 4.0, 5.0]
    iv = paired_interval(d)
    assert iv.mean == pytest.approx(3.0) and iv.n == 5 and iv.level == LEVEL == 0.95
    se = math.sqrt(2.5) / math.sqrt(5)
    assert iv.se == pytest.approx(se)
    # t_{0.975, 4} = 2.7764
    assert iv.low == pytest.approx(3.0 - 2.7764451 * se, rel=1e-6)
    assert iv.high == pytest.approx(3.0 + 2.7764451 * se, rel=1e-6)


def test_one_seed_has_no_interval() -> None:
    iv = paired_interval([0.3])
    assert iv.low == -math.inf and iv.high == math.inf
    assert outcome_of(iv) == "inconclusive"


def test_nonfinite_differences_are_inconclusive() -> None:
    assert outcome_of(paired_interval([1.0, math.nan, 2.0])) == "inconclusive"


def test_three_outcomes() -> None:
    above = [0.5, 0.6, 0.55, 0.52]
    below = [-x for x in above]
    straddle = [0.1, -0.2, 0.15, -0.05]
    assert decide(above, claim="c").outcome == "passed"
    assert decide(below, claim="c").outcome == "failed"
    assert decide(straddle, claim="c").outcome == "inconclusive"
    # direction "less" mirrors it
    assert decide(below, claim="c", direction="less").outcome == "passed"
    assert decide(above, claim="c", direction="less").outcome == "failed"


def test_margin_is_signed() -> None:
    d = [-0.2, -0.1, -0.15, -0.12]  # slightly worse
    assert decide(d, claim="superior").outcome == "failed"
    assert decide(d, claim="non-inferior within 0.5", margin=-0.5).outcome == "passed"
    assert decide([0.3, 0.35, 0.32], claim="better by 1", margin=1.0).outcome == "failed"


def test_zero_variance_is_a_point_interval() -> None:
    v = decide([-1.0, -1.0, -1.0], claim="rho", direction="less", margin=-0.9)
    assert v.outcome == "passed" and v.interval == (-1.0, -1.0)


def test_verdict_fields() -> None:
    v = decide([1.0, 1.1, 1.2], claim="c", scale=100, what="accuracy points", digits=2)
    assert v.passed and v.n_seeds == 3 and v.interval is not None
    assert "+110.00" in str(v.ours) and "95% CI" in str(v.ours)
    assert "accuracy points > 0" in v.tolerance
    assert not decide([1.0, -1.0], claim="c").passed  # inconclusive is not passed


def test_verdict_reads_old_runs_and_rejects_contradictions() -> None:
    old = Verdict.model_validate({"claim": "c", "ours": 1, "tolerance": "t", "passed": False})
    assert old.outcome == "failed"
    assert Verdict(claim="c", ours=1, tolerance="t", passed=True).outcome == "passed"
    new = Verdict(claim="c", ours=1, tolerance="t", outcome="inconclusive")
    assert new.passed is False
    again = Verdict.model_validate(new.model_dump(mode="json"))
    assert again == new
    with pytest.raises(ValueError):
        Verdict(claim="c", ours=1, tolerance="t", outcome="failed", passed=True)


def test_overall_verdict_three_ways() -> None:
    assert overall_verdict([]) is None
    assert overall_verdict([{"passed": True}, {"passed": True}]) == "passed"
    assert overall_verdict([{"passed": True}, {"passed": False}]) == "failed"
    inc = {"outcome": "inconclusive", "passed": False}
    assert overall_verdict([{"passed": True}, inc]) == "inconclusive"
    assert overall_verdict([inc, {"outcome": "failed", "passed": False}]) == "failed"
    assert overall_verdict([Verdict(claim="c", ours=1, tolerance="t",
                                    outcome="inconclusive")]) == "inconclusive"
