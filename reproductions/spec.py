"""Pydantic models shared by the reproductions: registry entries, configs, verdicts, results.

Nothing here imports torch, so the plain CLI can use these models.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Scale = Literal["smoke", "medium", "full"]
SCALES: tuple[str, ...] = ("smoke", "medium", "full")


class Reproduction(BaseModel):
    """One registry line: metadata only; ``module`` is imported lazily when the run starts."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    arxiv_ids: tuple[str, ...] = ()
    claim: str
    module: str
    paper_keys: tuple[str, ...] = ()
    doi: str | None = None

    @field_validator("arxiv_ids")
    @classmethod
    def _no_versions(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        for arxiv_id in ids:
            if "v" in arxiv_id.split(".")[-1]:
                raise ValueError(f"arXiv id {arxiv_id!r}: give it without a version")
        return ids


class ExperimentConfig(BaseModel):
    """Base of every experiment's config.

    A subclass lists its knobs with the **full-scale** values as defaults and the smoke-scale
    overrides in ``SMOKE``; :meth:`for_scale` builds either.
    """

    model_config = ConfigDict(extra="forbid")

    SMOKE: ClassVar[dict[str, Any]] = {}
    MEDIUM: ClassVar[dict[str, Any]] = {}  # overrides of the optional medium scale

    scale: Scale = "full"
    seed: int = 0

    @classmethod
    def for_scale(cls, scale: str, seed: int = 0, **overrides: Any) -> ExperimentConfig:
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r} (expected one of {', '.join(SCALES)})")
        values: dict[str, Any] = dict({"smoke": cls.SMOKE, "medium": cls.MEDIUM}.get(scale, {}))
        values.update(overrides)
        return cls(scale=scale, seed=seed, **values)


Outcome = Literal["passed", "failed", "inconclusive"]
OUTCOMES: tuple[str, ...] = ("passed", "failed", "inconclusive")


class Verdict(BaseModel):
    """One claim checked: our number beside the paper's, and the tolerance that decided it.

    ``kind`` is ``"paper"`` when the paper's claim itself is checked (full scale) and
    ``"sanity"`` for the smoke-scale checks of the trend the paper claims.

    ``outcome`` is ``"passed"``, ``"failed"`` or ``"inconclusive"`` (a comparative claim
    decided over seeds by :func:`reproductions.stats.decide`: the confidence interval of
    the paired difference lies on the claimed side, on the other side, or straddles the
    bound). ``passed`` is kept for old stored runs, whose JSON has only ``passed``: the
    missing one of the two is derived, and ``passed`` is True only for outcome
    ``"passed"``. ``interval`` (low, high) and ``n_seeds`` are set for interval verdicts.
    """

    claim: str
    ours: float | int | str | bool | None
    paper: float | int | str | bool | None = None
    tolerance: str
    outcome: Outcome
    passed: bool
    kind: Literal["paper", "sanity"] = "paper"
    interval: tuple[float, float] | None = None
    n_seeds: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _outcome_or_passed(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        has_o = data.get("outcome") is not None
        has_p = data.get("passed") is not None
        if has_o and not has_p:
            data = {**data, "passed": data["outcome"] == "passed"}
        elif has_p and not has_o:
            data = {**data, "outcome": "passed" if data["passed"] else "failed"}
        elif has_o and has_p and bool(data["passed"]) != (data["outcome"] == "passed"):
            raise ValueError(f"passed={data['passed']!r} contradicts outcome={data['outcome']!r}")
        return data

    @field_validator("ours", "paper")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        return value


class Result(BaseModel):
    """What an experiment's ``run`` returns."""

    metrics: dict[str, Any]
    verdicts: list[Verdict]
    artifacts: list[str] = Field(default_factory=list)  # file names inside the run folder
    notes: list[str] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    @property
    def outcome(self) -> str | None:
        return overall_verdict(self.verdicts)


def verdict_outcome(v: dict[str, Any] | Verdict) -> str:
    """One verdict's outcome; a stored verdict without ``outcome`` (older runs) is read
    from ``passed``."""
    if isinstance(v, Verdict):
        return v.outcome
    outcome = v.get("outcome")
    if outcome in OUTCOMES:
        return str(outcome)
    return "passed" if v.get("passed") else "failed"


def overall_verdict(verdicts: list[dict[str, Any]] | list[Verdict] | None) -> str | None:
    """``'failed'`` if any verdict failed, else ``'inconclusive'`` if any was, else
    ``'passed'``; None when there are none."""
    if not verdicts:
        return None
    outcomes = {verdict_outcome(v) for v in verdicts}
    if "failed" in outcomes:
        return "failed"
    return "inconclusive" if "inconclusive" in outcomes else "passed"
