"""Running one experiment: device selection, seeding, progress, artifacts.

Recording the run in the KB store is :mod:`kb.runs`'s job; this module knows nothing of the
store. It imports torch, so only the ``run`` command imports it.
"""

from __future__ import annotations

import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from reproductions import registry
from reproductions.spec import ExperimentConfig, Result

DEVICES = ("auto", "cpu", "cuda")


class DeviceError(RuntimeError):
    pass


# -- device ------------------------------------------------------------------------------
def select_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA when present, else CPU; ``cpu``; ``cuda`` (or ``cuda:N``) when present."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError("device 'cuda' asked for but CUDA is not available here")
        return torch.device(name)
    raise DeviceError(f"unknown device {name!r} (expected one of {', '.join(DEVICES)})")


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return platform.processor() or platform.machine() or "cpu"


# -- seeding -----------------------------------------------------------------------------
def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch; ask torch for deterministic kernels where it has them."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if torch.backends.cudnn.is_available():
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True


def generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(seed)
    return g


@contextmanager
def cpu_threads(device: torch.device) -> Iterator[None]:
    """On a CPU, run with ``$MTLKB_REPRO_THREADS`` torch threads (default 1), then restore.

    The experiments' tensors are small: with several OpenMP threads on a busy machine the
    threads spin-wait on each other and a step gets several times slower (measured 7x on a
    loaded 2-core machine), and one thread keeps seeded CPU runs bit-for-bit repeatable.
    """
    if device.type != "cpu":
        yield
        return
    previous = torch.get_num_threads()
    try:
        wanted = int(os.environ.get("MTLKB_REPRO_THREADS", "1"))
    except ValueError:
        wanted = 1
    torch.set_num_threads(max(1, wanted))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# -- progress ----------------------------------------------------------------------------
class Progress:
    """Steps, loss and ETA for the experiment's loops; silent unless ``enabled``.

    Experiments call ``with ctx.progress.task("label", total) as bar: bar.advance(1, loss=x)``.
    Updates to the terminal are throttled, so calling ``advance`` every step is cheap.
    """

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled
        self._rich: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._rich.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.__exit__(*exc)
            self._rich = None

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[_Bar]:
        bar = _Bar(self._rich, description, total)
        try:
            yield bar
        finally:
            bar.close()


class _Bar:
    def __init__(self, rich: Any, description: str, total: int) -> None:
        self._rich = rich
        self.total = total
        self.done = 0
        self._pending = 0
        self._last = 0.0
        self._loss = "-"
        self._id = rich.add_task(description, total=total, loss="-") if rich else None

    def advance(self, n: int = 1, loss: float | None = None) -> None:
        self.done += n
        if self._rich is None:
            return
        self._pending += n
        if loss is not None:
            self._loss = f"{float(loss):.4g}"
        now = time.monotonic()
        if now - self._last > 0.1 or self.done >= self.total:
            self._rich.update(self._id, advance=self._pending, loss=self._loss)
            self._pending = 0
            self._last = now

    def close(self) -> None:
        if self._rich is not None and self._pending:
            self._rich.update(self._id, advance=self._pending, loss=self._loss)
            self._pending = 0


# -- artifacts ---------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _file_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write to a temporary file beside ``path`` then rename it over: never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode())  # mkstemp makes 0600; give the usual umask mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


@dataclass
class RunContext:
    """What an experiment gets besides its config and device."""

    out_dir: Path | None = None
    progress: Progress = field(default_factory=Progress)
    artifacts: list[str] = field(default_factory=list)

    def path(self, name: str) -> Path | None:
        """Where to write artifact ``name`` (None when the run keeps no artifacts)."""
        if self.out_dir is None:
            return None
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self.out_dir / name

    def add(self, name: str) -> None:
        if name not in self.artifacts:
            self.artifacts.append(name)

    def write_json(self, name: str, obj: Any) -> None:
        target = self.path(name)
        if target is not None:
            atomic_write_json(target, obj)
            self.add(name)


# -- provenance --------------------------------------------------------------------------
def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__}
    for name in ("matplotlib", "mlxtend", "pydantic", "sklearn"):
        try:
            module = __import__(name)
            out[name] = getattr(module, "__version__", "?")
        except Exception:  # noqa: BLE001 - optional packages
            continue
    try:
        from importlib.metadata import version

        out["mtlkb"] = version("mtlkb")
    except Exception:  # noqa: BLE001 - not installed as a package
        pass
    out["platform"] = platform.platform()
    return out


def git_commit(path: Path | None = None) -> str | None:
    """The commit of the code (``+dirty`` when the tree has changes), None outside a git repo."""
    where = Path(path or Path(__file__).resolve().parent)
    try:
        head = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty and head else (head or None)


# -- one run -----------------------------------------------------------------------------
def make_config(repro_id: str, scale: str, seed: int, **overrides: Any) -> ExperimentConfig:
    module = registry.load(repro_id)
    return module.Config.for_scale(scale, seed=seed, **overrides)


def execute(
    repro_id: str,
    config: ExperimentConfig,
    device: torch.device,
    out_dir: Path | None = None,
    progress: Progress | None = None,
) -> Result:
    """Seed, run the experiment, write ``metrics.json`` (and the plots) into ``out_dir``."""
    module = registry.load(repro_id)
    seed_everything(config.seed)
    ctx = RunContext(out_dir=Path(out_dir) if out_dir else None, progress=progress or Progress())
    with cpu_threads(device):
        result: Result = module.run(config, device, ctx)
    for name in ctx.artifacts:
        if name not in result.artifacts:
            result.artifacts.append(name)
    if ctx.out_dir is not None:
        payload = {
            "reproduction": repro_id,
            "config": config.model_dump(),
            "device": str(device),
            "metrics": result.metrics,
            "verdicts": [v.model_dump() for v in result.verdicts],
            "notes": result.notes,
        }
        atomic_write_json(ctx.out_dir / "metrics.json", payload)
        if "metrics.json" not in result.artifacts:
            result.artifacts.insert(0, "metrics.json")
    return result


def is_terminal() -> bool:
    return sys.stderr.isatty()
