"""Pydantic models shared by the reproductions: registry entries, configs, verdicts, results.

Nothing here imports torch, so the plain CLI can use these models.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "arxiv_ids": list(self.arxiv_ids),
            "claim": self.claim,
            "doi": self.doi,
        }


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


class Verdict(BaseModel):
    """One claim checked: our number beside the paper's, and the tolerance that decided it.

    ``kind`` is ``"paper"`` when the paper's claim itself is checked (full scale) and
    ``"sanity"`` for the smoke-scale checks of the trend the paper claims.
    """

    claim: str
    ours: float | int | str | bool | None
    paper: float | int | str | bool | None = None
    tolerance: str
    passed: bool
    kind: Literal["paper", "sanity"] = "paper"

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


def overall_verdict(verdicts: list[dict[str, Any]] | list[Verdict] | None) -> str | None:
    """``'passed'`` when every verdict passed, ``'failed'`` when one did, None when none."""
    if not verdicts:
        return None
    flags = [v.passed if isinstance(v, Verdict) else bool(v.get("passed")) for v in verdicts]
    return "passed" if all(flags) else "failed"
