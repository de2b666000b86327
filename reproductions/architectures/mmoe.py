"""Multi-gate Mixture-of-Experts (Ma, Zhao, Yi, Chen, Hong & Chi, KDD 2018,
DOI 10.1145/3219819.3220007).

``E`` shared experts ``f_e``; each task k has a softmax gate over the experts computed
from the input, ``g_k(x) = softmax(W_k x)``, and a tower ``h_k``:

    y_k = h_k( sum_e g_k(x)_e f_e(x) ).

The experts are shared; gates and towers are task-specific.  The stacked expert outputs
``(B, E, H)`` are the shared representation (gates depend on the input only).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from reproductions.architectures.base import MultiTaskModel, as_module_list, mlp, unique_params


class MMoE(MultiTaskModel):
    """``experts`` map ``x`` to ``(B, H)``; ``gates[k]`` map ``x`` to ``(B, E)`` logits;
    ``towers[k]`` map ``(B, H)`` to task k's output."""

    has_representation = True

    def __init__(
        self, experts: Sequence[nn.Module], gates: Sequence[nn.Module], towers: Sequence[nn.Module]
    ) -> None:
        super().__init__()
        if len(gates) != len(towers):
            raise ValueError("one gate and one tower per task")
        self.experts = as_module_list(experts)
        self.gates = as_module_list(gates)
        self.towers = as_module_list(towers)
        self.n_tasks = len(self.towers)

    @classmethod
    def mlp(
        cls,
        in_dim: int,
        expert_hidden: Sequence[int],
        n_experts: int,
        tower_hidden: Sequence[int],
        out_dims: Sequence[int],
    ) -> MMoE:
        experts = [mlp([in_dim, *expert_hidden]) for _ in range(n_experts)]
        gates = [nn.Linear(in_dim, n_experts) for _ in out_dims]
        h = expert_hidden[-1]
        towers = [
            nn.Sequential(
                mlp([h, *tower_hidden]), nn.Linear(tower_hidden[-1] if tower_hidden else h, o)
            )
            for o in out_dims
        ]
        return cls(experts, gates, towers)

    def forward_with_representation(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        z = torch.stack([e(x) for e in self.experts], dim=1)  # (B, E, H)
        outs = []
        for gate, tower in zip(self.gates, self.towers, strict=True):
            g = torch.softmax(gate(x), dim=-1)  # (B, E)
            outs.append(tower((g.unsqueeze(-1) * z).sum(1)))
        return outs, z

    def gate_weights(self, x: Tensor) -> list[Tensor]:
        """Each task's softmax gate ``(B, E)``."""
        return [torch.softmax(g(x), dim=-1) for g in self.gates]

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.experts.parameters())

    def task_parameters(self) -> list[list[nn.Parameter]]:
        return [unique_params([g, t]) for g, t in zip(self.gates, self.towers, strict=True)]
