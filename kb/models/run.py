"""A reproduction run: one shape for stored runs (``runs`` table) and committed reference runs
(``reproductions/reference/*.json``)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from reproductions.spec import overall_verdict

Status = Literal["running", "done", "failed", "interrupted"]
STATUSES: tuple[str, ...] = ("running", "done", "failed", "interrupted")
# Columns stored as JSON text.
JSON_FIELDS = ("config", "metrics", "verdicts", "artifacts", "versions")


class Run(BaseModel):
    """One run of a reproduction (status ``running`` -> ``done`` | ``failed`` |
    ``interrupted``); ``verdicts`` are :class:`reproductions.spec.Verdict` dumps."""

    model_config = ConfigDict(extra="ignore")

    id: str
    reproduction: str
    status: Status = "done"
    device: str | None = None
    device_name: str | None = None
    seed: int | None = None
    scale: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    verdicts: list[dict[str, Any]] = Field(default_factory=list)
    artifacts: list[str] = Field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None
    wall_s: float | None = None
    versions: dict[str, str] = Field(default_factory=dict)
    git_commit: str | None = None
    error: str | None = None
    pid: int | None = None
    host: str | None = None
    reference: bool = False
    notes: list[str] = Field(default_factory=list)  # reference runs: how they were made

    @field_validator(*JSON_FIELDS, mode="before")
    @classmethod
    def _json_text(cls, value: Any, info: ValidationInfo) -> Any:
        """A stored JSON column arrives as text; NULL means empty."""
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                return value
        if value is None:
            return [] if info.field_name in ("verdicts", "artifacts") else {}
        return value

    @field_validator("notes", mode="before")
    @classmethod
    def _no_notes(cls, value: Any) -> Any:
        return [] if value is None else value  # a reference file may say "notes": null

    @property
    def verdict(self) -> str | None:
        """``'passed'`` / ``'failed'`` over its verdicts for a finished run, else None."""
        return overall_verdict(self.verdicts) if self.status == "done" else None

    def row(self) -> dict[str, Any]:
        """The ``runs`` row: JSON columns encoded, ``reference`` as 0/1, no ``notes``."""
        out = self.model_dump(exclude={"notes"})
        for name in JSON_FIELDS:
            out[name] = json.dumps(out[name], sort_keys=True, default=str)
        out["reference"] = int(self.reference)
        return out

    @property
    def plots(self) -> list[str]:
        """The artifacts that are plots (PNG or SVG), as ``repro show`` lists them."""
        return [a for a in self.artifacts if a.endswith((".png", ".svg"))]

    def summary(self) -> RunSummary:
        """The short form shown beside a reproduction (``latest``, ``latest_run``)."""
        return RunSummary(
            run_id=self.id, status=self.status, scale=self.scale, seed=self.seed,
            device=self.device, started_at=self.started_at, finished_at=self.finished_at,
            wall_s=self.wall_s, verdict=self.verdict, reference=self.reference,
        )

    def public_dict(self) -> dict[str, Any]:
        """The JSON shape of ``repro run --json`` and of the runs in ``repro show --json``."""
        return {
            "run_id": self.id, "reproduction": self.reproduction, "status": self.status,
            "device": self.device, "device_name": self.device_name, "scale": self.scale,
            "seed": self.seed, "metrics": self.metrics, "verdicts": self.verdicts,
            "verdict": self.verdict, "artifacts": self.artifacts, "config": self.config,
            "started_at": self.started_at, "finished_at": self.finished_at,
            "wall_s": self.wall_s, "git_commit": self.git_commit, "versions": self.versions,
            "error": self.error, "reference": self.reference,
        }


class RunSummary(BaseModel):
    """A run in short, beside its reproduction; its JSON (``model_dump``) is the shape of
    ``latest``, ``reference`` and ``latest_run`` in ``repro list|show --json`` and in a
    paper's ``reproductions`` (``show --json``)."""

    run_id: str
    status: Status
    scale: str | None = None
    seed: int | None = None
    device: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    wall_s: float | None = None
    verdict: str | None = None
    reference: bool = False

    def label(self) -> str:
        """``'failed (smoke, 2026-12-05)'``: the verdict (else the status), scale and day."""
        day = (self.finished_at or self.started_at or "")[:10]
        return f"{self.verdict or self.status} ({', '.join(x for x in (self.scale, day) if x)})"
