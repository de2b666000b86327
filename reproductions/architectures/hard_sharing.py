"""Hard parameter sharing (Caruana 1997): a shared trunk followed by one head per task.

``z = trunk(x)`` is the shared representation; ``y_k = head_k(z)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from reproductions.architectures.base import MultiTaskModel, as_module_list, mlp, unique_params


class HardSharing(MultiTaskModel):
    """Shared ``trunk`` + task ``heads`` (any modules)."""

    has_representation = True

    def __init__(self, trunk: nn.Module, heads: Sequence[nn.Module]) -> None:
        super().__init__()
        self.trunk = trunk
        self.heads = as_module_list(heads)
        self.n_tasks = len(self.heads)

    @classmethod
    def mlp(cls, in_dim: int, hidden: Sequence[int], out_dims: Sequence[int]) -> HardSharing:
        """ReLU MLP trunk ``in_dim -> hidden...`` with linear heads to ``out_dims``."""
        trunk = mlp([in_dim, *hidden])
        heads = [nn.Linear(hidden[-1] if hidden else in_dim, o) for o in out_dims]
        return cls(trunk, heads)

    def forward_with_representation(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        z = self.trunk(x)
        return [h(z) for h in self.heads], z

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.trunk.parameters())

    def task_parameters(self) -> list[list[nn.Parameter]]:
        return [unique_params([h]) for h in self.heads]
