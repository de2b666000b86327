"""Single-task baseline: one independent network per task (no parameter sharing).

The reference point of every MTL comparison (e.g. the "single task" rows of Sener &
Koltun 2018 and Liu et al. 2019).  ``shared_parameters()`` is empty, so every method's
update reduces to each task's own gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from reproductions.architectures.base import MultiTaskModel, as_module_list, mlp, unique_params


class SingleTask(MultiTaskModel):
    """``T`` independent networks; ``y_k = nets[k](x)``."""

    has_representation = False

    def __init__(self, nets: Sequence[nn.Module]) -> None:
        super().__init__()
        self.nets = as_module_list(nets)
        self.n_tasks = len(self.nets)

    @classmethod
    def mlp(cls, in_dim: int, hidden: Sequence[int], out_dims: Sequence[int]) -> SingleTask:
        return cls(
            [
                nn.Sequential(
                    mlp([in_dim, *hidden]), nn.Linear(hidden[-1] if hidden else in_dim, o)
                )
                for o in out_dims
            ]
        )

    def forward_with_representation(self, x: Tensor) -> tuple[list[Tensor], None]:
        return [net(x) for net in self.nets], None

    def shared_parameters(self) -> list[nn.Parameter]:
        return []

    def task_parameters(self) -> list[list[nn.Parameter]]:
        return [unique_params([n]) for n in self.nets]
