"""Customized Gate Control (CGC) and Progressive Layered Extraction (PLE) (Tang, Liu, Zhao &
Gong, RecSys 2020, DOI 10.1145/3383313.3412236; not on arXiv).

CGC (the paper's Sec. 4.1): each task k has ``m_k`` task-specific experts ``E_(k,i)`` and all
tasks share ``m_s`` experts ``E_(s,i)``; task k's gate weighs only its own and the shared
experts, ``g^k(x) = softmax(W_g^k x) S^k(x)`` with ``S^k(x)`` the stacked outputs of those
``m_k + m_s`` experts, and its tower reads the fusion, ``y^k = t^k(g^k(x))``.  Unlike MMoE a
tower never sees another task's specific experts.

PLE (Sec. 4.2) stacks ``N`` such extraction networks.  Below the last one a *shared* gate
also fuses all experts of the level (every task's and the shared ones) into ``g^{s,j}``.  At
level ``j > 1`` task k's experts read ``g^{k,j-1}`` and the shared experts read
``g^{s,j-1}``; each gate's selector is the same fused vector its experts read
(``g^{k,j} = w^{k,j}(g^{k,j-1}) S^{k,j}``), as the paper states and as the common
implementations (DeepCTR's ``PLE``, FuxiCTR) do.  CGC is PLE with ``N = 1``.

Parameter split (the contract of :mod:`reproductions.architectures.base`): below the last
level a task's experts feed the shared gate, so they reach every task and count as shared;
so does a task's gate at a level below ``N - 1`` (its fusion feeds that task's next experts,
which feed the next shared gate).  Task-specific are: the last level's task experts, the
task's gates at levels ``N - 1`` and ``N``, and its tower.  With one level (CGC) that is the
textbook split (shared experts shared; task experts, gates, towers per task), and the stacked
shared-expert outputs ``(B, m_s, H)`` are the shared representation; a stack of two or more
levels has none.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from reproductions.architectures.base import MultiTaskModel, mlp, unique_params


class _Level(nn.Module):
    """One extraction network: task experts, shared experts, task gates and (below the top)
    a shared gate.  ``in_dim`` is the width its experts and gates read."""

    def __init__(self, in_dim: int, width: int, n_tasks: int, n_task_experts: int,
                 n_shared_experts: int, shared_gate: bool) -> None:
        super().__init__()
        self.task_experts = nn.ModuleList(
            [nn.ModuleList([mlp([in_dim, width]) for _ in range(n_task_experts)])
             for _ in range(n_tasks)])
        self.shared_experts = nn.ModuleList([mlp([in_dim, width])
                                             for _ in range(n_shared_experts)])
        self.task_gates = nn.ModuleList([nn.Linear(in_dim, n_task_experts + n_shared_experts)
                                         for _ in range(n_tasks)])
        self.shared_gate = (nn.Linear(in_dim, n_tasks * n_task_experts + n_shared_experts)
                            if shared_gate else None)

    def forward(self, task_in: list[Tensor], shared_in: Tensor
                ) -> tuple[list[Tensor], Tensor | None, Tensor]:
        """Fused outputs per task, the shared fusion (None at the top) and the stacked
        shared-expert outputs ``(B, m_s, H)``."""
        shared = torch.stack([e(shared_in) for e in self.shared_experts], dim=1)
        own = [torch.stack([e(xk) for e in experts], dim=1)
               for experts, xk in zip(self.task_experts, task_in, strict=True)]
        fused = []
        for k, gate in enumerate(self.task_gates):
            w = torch.softmax(gate(task_in[k]), dim=-1)  # (B, m_k + m_s)
            fused.append((w.unsqueeze(-1) * torch.cat([own[k], shared], dim=1)).sum(1))
        shared_fused = None
        if self.shared_gate is not None:
            w = torch.softmax(self.shared_gate(shared_in), dim=-1)
            shared_fused = (w.unsqueeze(-1) * torch.cat([*own, shared], dim=1)).sum(1)
        return fused, shared_fused, shared


class PLE(MultiTaskModel):
    """``len(widths)`` extraction levels of single-layer ReLU experts (``widths[j]`` units at
    level j; the paper's experts are single-layer networks), ``n_task_experts`` per task and
    ``n_shared_experts`` shared per level, and one tower per task reading the top fusion."""

    def __init__(self, in_dim: int, widths: Sequence[int], n_task_experts: int,
                 n_shared_experts: int, towers: Sequence[nn.Module]) -> None:
        super().__init__()
        if not widths:
            raise ValueError("at least one extraction level")
        if n_task_experts < 0 or n_shared_experts < 0 or n_task_experts + n_shared_experts == 0:
            raise ValueError("each gate needs at least one expert")
        self.towers = nn.ModuleList(list(towers))
        self.n_tasks = len(self.towers)
        dims = [in_dim, *widths]
        self.levels = nn.ModuleList(
            [_Level(dims[j], dims[j + 1], self.n_tasks, n_task_experts, n_shared_experts,
                    shared_gate=j < len(widths) - 1) for j in range(len(widths))])
        # a single level (CGC) has a shared representation: the shared experts' outputs
        self.has_representation = len(widths) == 1 and n_shared_experts > 0

    @classmethod
    def mlp(cls, in_dim: int, widths: Sequence[int], n_task_experts: int,
            n_shared_experts: int, tower_hidden: Sequence[int], out_dims: Sequence[int]) -> PLE:
        if not widths:
            raise ValueError("at least one extraction level")
        h = widths[-1]
        towers = [nn.Sequential(mlp([h, *tower_hidden]),
                                nn.Linear(tower_hidden[-1] if tower_hidden else h, o))
                  for o in out_dims]
        return cls(in_dim, widths, n_task_experts, n_shared_experts, towers)

    @classmethod
    def cgc(cls, in_dim: int, width: int, n_task_experts: int, n_shared_experts: int,
            tower_hidden: Sequence[int], out_dims: Sequence[int]) -> PLE:
        """Customized Gate Control: PLE with one extraction level."""
        return cls.mlp(in_dim, [width], n_task_experts, n_shared_experts, tower_hidden,
                       out_dims)

    def _extract(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        task_in: list[Tensor] = [x] * self.n_tasks
        shared_in = x
        shared = x
        for level in self.levels:
            task_in, shared_fused, shared = level(task_in, shared_in)
            if shared_fused is not None:
                shared_in = shared_fused
        return task_in, shared

    def forward_with_representation(self, x: Tensor) -> tuple[list[Tensor], Tensor | None]:
        fused, shared = self._extract(x)
        outs = [t(f) for t, f in zip(self.towers, fused, strict=True)]
        return outs, (shared if self.has_representation else None)

    def gate_weights(self, x: Tensor) -> list[Tensor]:
        """Each task's softmax weights ``(B, m_k + m_s)`` at the top level (own experts
        first, then the shared ones)."""
        task_in: list[Tensor] = [x] * self.n_tasks
        shared_in = x
        for level in self.levels[:-1]:
            task_in, shared_fused, _ = level(task_in, shared_in)
            assert shared_fused is not None
            shared_in = shared_fused
        top = self.levels[-1]
        return [torch.softmax(g(xk), dim=-1) for g, xk in zip(top.task_gates, task_in,
                                                               strict=True)]

    def task_parameters(self) -> list[list[nn.Parameter]]:
        n = len(self.levels)
        out = []
        for k in range(self.n_tasks):
            mods: list[nn.Module] = [self.levels[-1].task_experts[k]]
            mods += [self.levels[j].task_gates[k] for j in range(max(0, n - 2), n)]
            mods.append(self.towers[k])
            out.append(unique_params(mods))
        return out

    def shared_parameters(self) -> list[nn.Parameter]:
        own = {id(p) for ps in self.task_parameters() for p in ps}
        return [p for p in self.parameters() if id(p) not in own]

