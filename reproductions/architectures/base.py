"""The contract of the multi-task architectures in :mod:`reproductions.architectures`.

Every architecture is an ``nn.Module`` with

* ``forward(x) -> list[Tensor]``: one prediction per task, in task order;
* ``forward_with_representation(x) -> (list[Tensor], Tensor | None)``: the same plus the
  shared representation ``z`` -- a tensor computed only from shared parameters (and the
  input) that is the sole path from the shared parameters to every task output -- or
  ``None`` where the architecture has no such tensor (cross-stitch, MTAN, single-task).
  Pass it as ``representation=`` to :meth:`reproductions.methods.Method.backward`
  (MGDA-UB aggregates the gradients w.r.t. ``z``; the other gradient methods use it to
  get the shared Jacobian with one batched backward pass);
* ``shared_parameters() -> list[Parameter]``: the parameters every task uses (they get
  the method's combined direction);
* ``task_parameters() -> list[list[Parameter]]``: per task, its own parameters.

Together ``shared_parameters()`` and ``task_parameters()`` partition ``parameters()``.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn


class MultiTaskModel(nn.Module):
    """Base class: subclasses implement :meth:`forward_with_representation` and the
    parameter split."""

    n_tasks: int
    has_representation: bool = False

    def forward_with_representation(self, x: Tensor) -> tuple[list[Tensor], Tensor | None]:
        raise NotImplementedError

    def forward(self, x: Tensor) -> list[Tensor]:
        return self.forward_with_representation(x)[0]

    def shared_parameters(self) -> list[nn.Parameter]:
        raise NotImplementedError

    def task_parameters(self) -> list[list[nn.Parameter]]:
        raise NotImplementedError

    def last_shared_parameters(self) -> list[nn.Parameter]:
        """The last shared layer (GradNorm's ``W``): by default the last shared matrix."""
        mats = [p for p in self.shared_parameters() if p.dim() >= 2]
        return mats[-1:]


def mlp(
    dims: Sequence[int], activation: type[nn.Module] = nn.ReLU, last_activation: bool = True
) -> nn.Sequential:
    """``Linear`` layers ``dims[0] -> dims[1] -> ...`` with ``activation`` between them
    (and after the last one if ``last_activation``)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if last_activation or i < len(dims) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def unique_params(modules: Sequence[nn.Module]) -> list[nn.Parameter]:
    seen: set[int] = set()
    out: list[nn.Parameter] = []
    for m in modules:
        for p in m.parameters():
            if id(p) not in seen:
                seen.add(id(p))
                out.append(p)
    return out


def as_module_list(mods: Sequence[nn.Module]) -> nn.ModuleList:
    return mods if isinstance(mods, nn.ModuleList) else nn.ModuleList(list(mods))


__all__ = ["MultiTaskModel", "as_module_list", "mlp", "unique_params"]
