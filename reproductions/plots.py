"""Matplotlib (Agg) figures for the runs, saved as PNG and SVG, each written atomically."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg", force=True)
import matplotlib.pyplot as plt  # noqa: E402

from reproductions.runner import RunContext, atomic_write_bytes  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = ("png", "svg")


def save(fig: Figure, ctx: RunContext | None, stem: str) -> list[str]:
    """Save ``fig`` as ``<stem>.png`` and ``<stem>.svg`` into the run folder; close it."""
    names: list[str] = []
    try:
        if ctx is None or ctx.out_dir is None:
            return names
        for fmt in FORMATS:
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=110, bbox_inches="tight", metadata=_metadata(fmt))
            name = f"{stem}.{fmt}"
            target = ctx.path(name)
            assert target is not None
            atomic_write_bytes(target, buf.getvalue())
            ctx.add(name)
            names.append(name)
    finally:
        plt.close(fig)
    return names


def _metadata(fmt: str) -> dict[str, Any]:
    # Keep the files reproducible: no creation date, no software string with a timestamp.
    if fmt == "svg":
        return {"Date": None}
    if fmt == "png":
        return {"Software": None}
    return {}


def curves(
    ctx: RunContext | None,
    stem: str,
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    xlabel: str = "step",
    ylabel: str = "loss",
    x: Sequence[float] | None = None,
    logy: bool = False,
) -> list[str]:
    """Training curves: one line per named series."""
    if ctx is None or ctx.out_dir is None:
        return []
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for label, ys in series.items():
        xs = list(x) if x is not None else list(range(len(ys)))
        ax.plot(xs[: len(ys)], list(ys), label=label, linewidth=1.4)
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, ctx, stem)


def grouped_bars(
    ctx: RunContext | None,
    stem: str,
    groups: Mapping[str, Mapping[str, float]],
    *,
    title: str,
    ylabel: str,
    ylim: tuple[float, float] | None = None,
) -> list[str]:
    """Bars: one group per key of ``groups`` (e.g. a method), one bar per inner key."""
    if ctx is None or ctx.out_dir is None:
        return []
    labels = list(groups)
    inner = list(next(iter(groups.values()))) if groups else []
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(labels) + 2), 4.2))
    width = 0.8 / max(1, len(inner))
    for j, key in enumerate(inner):
        xs = [i + (j - (len(inner) - 1) / 2) * width for i in range(len(labels))]
        ax.bar(xs, [groups[g].get(key, float("nan")) for g in labels], width, label=key)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if ylim:
        ax.set_ylim(*ylim)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, ctx, stem)
