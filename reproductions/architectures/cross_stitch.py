"""Cross-stitch networks (Misra, Shrivastava, Gupta & Hebert, CVPR 2016, arXiv 1604.03539).

One column (network) per task; after each block ``l`` the task activations are mixed by
a learned ``T x T`` cross-stitch unit:

    x~_i^l = sum_j alpha^l_{ij} x_j^l,

initialised near the identity (``alpha_ii = 0.9`` and the remaining 0.1 spread over the
other tasks: the paper's ``(alpha_S, alpha_D) = (0.9, 0.1)`` for two tasks).  The paper
mixes per channel for conv layers; ``per_channel=True`` learns one ``T x T`` matrix per
channel (feature) instead of one per layer.

Through the units every column influences every task's output, so for the purpose of
multi-task optimisation the columns and the units are the *shared* parameters (they
get the method's combined direction) and only the heads after the last unit are
task-specific.  (With the units fixed at the identity the columns would be independent
single-task networks.)  The paper trains everything with the plain sum of the losses.
There is no single shared representation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from reproductions.architectures.base import MultiTaskModel, as_module_list, mlp, unique_params


class CrossStitchUnit(nn.Module):
    """Learned linear mixing of ``T`` task activations (same shape each)."""

    def __init__(self, n_tasks: int, self_weight: float = 0.9, channels: int | None = None) -> None:
        super().__init__()
        off = (1 - self_weight) / (n_tasks - 1) if n_tasks > 1 else 0.0
        a = torch.full((n_tasks, n_tasks), off)
        a.fill_diagonal_(self_weight if n_tasks > 1 else 1.0)
        if channels is not None:
            a = a.unsqueeze(-1).repeat(1, 1, channels)  # (T, T, C)
        self.alpha = nn.Parameter(a)

    def forward(self, xs: Sequence[Tensor]) -> list[Tensor]:
        stacked = torch.stack(list(xs))  # (T, B, C, ...)
        if self.alpha.dim() == 2:
            mixed = torch.einsum("ij,j...->i...", self.alpha, stacked)
        else:  # per channel: alpha (T, T, C) acts on dim 2 of stacked
            shape = (self.alpha.shape[0], self.alpha.shape[1], 1, self.alpha.shape[2]) + (1,) * (
                stacked.dim() - 3
            )
            mixed = (self.alpha.reshape(shape) * stacked.unsqueeze(0)).sum(1)
        return list(mixed.unbind(0))


class CrossStitch(MultiTaskModel):
    """``columns[k]`` is task k's list of blocks (all columns have the same structure);
    a cross-stitch unit follows every block; ``heads[k]`` maps the last activation."""

    has_representation = False

    def __init__(
        self,
        columns: Sequence[Sequence[nn.Module]],
        heads: Sequence[nn.Module],
        self_weight: float = 0.9,
        channels: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        if len(columns) != len(heads):
            raise ValueError("one column and one head per task")
        depth = {len(c) for c in columns}
        if len(depth) != 1:
            raise ValueError("all columns must have the same number of blocks")
        n_blocks = depth.pop()
        self.n_tasks = len(columns)
        self.columns = nn.ModuleList([as_module_list(c) for c in columns])
        self.heads = as_module_list(heads)
        self.stitches = nn.ModuleList(
            [
                CrossStitchUnit(
                    self.n_tasks, self_weight, None if channels is None else channels[i]
                )
                for i in range(n_blocks)
            ]
        )

    @classmethod
    def mlp(
        cls, in_dim: int, hidden: Sequence[int], out_dims: Sequence[int], per_channel: bool = False
    ) -> CrossStitch:
        dims = [in_dim, *hidden]
        columns = [
            [mlp([a, b]) for a, b in zip(dims[:-1], dims[1:], strict=True)] for _ in out_dims
        ]
        heads = [nn.Linear(dims[-1], o) for o in out_dims]
        return cls(columns, heads, channels=list(hidden) if per_channel else None)

    def forward_with_representation(self, x: Tensor) -> tuple[list[Tensor], None]:
        xs = [x] * self.n_tasks
        for level, stitch in enumerate(self.stitches):
            xs = stitch([col[level](h) for col, h in zip(self.columns, xs, strict=True)])
        return [head(h) for head, h in zip(self.heads, xs, strict=True)], None

    def shared_parameters(self) -> list[nn.Parameter]:
        """The columns and the cross-stitch units (each influences every task)."""
        return unique_params([self.columns, self.stitches])

    def task_parameters(self) -> list[list[nn.Parameter]]:
        return [unique_params([h]) for h in self.heads]

    def column_parameters(self) -> list[list[nn.Parameter]]:
        """Each task's column (the paper's per-task network)."""
        return [unique_params([c]) for c in self.columns]
