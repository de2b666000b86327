"""MTAN-style attention (Liu, Johns & Davison, "End-to-End Multi-Task Learning with
Attention", CVPR 2019, arXiv 1803.10704).

A shared trunk of blocks produces features ``u_1, ..., u_L``.  Each task k has a soft
attention module per block: a mask ``a_k^l = sigmoid(A_k^l([u_l, p_k^{l-1}]))`` in
(0, 1), element-wise on the shared features, ``p_k^l = a_k^l * u_l``, where
``p_k^{l-1}`` (the task's attended features of the previous block, mapped to the
width of ``u_l`` by ``B_k^l``) is concatenated with the shared features (for the first
block only ``u_1`` is used).  The head reads ``p_k^L``.  For MLP trunks ``A`` and ``B``
are linear layers (two layers with ReLU for ``A`` as in the paper's ``[1x1 conv, BN,
ReLU, 1x1 conv, BN, sigmoid]`` block); for conv trunks they are 1x1 convolutions and
``u_l`` must keep the spatial size between blocks (or the map ``B`` is followed by
adaptive pooling to the next size).  The trunk is shared; attention modules and heads
are task-specific.  The attended features differ per task, so there is no single
shared representation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from reproductions.architectures.base import MultiTaskModel, as_module_list, mlp, unique_params


def _att_block(in_ch: int, out_ch: int, conv: bool) -> nn.Module:
    if conv:
        return nn.Sequential(
            nn.Conv2d(in_ch, out_ch, 1),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(),
            nn.Conv2d(out_ch, out_ch, 1),
            nn.BatchNorm2d(out_ch),
            nn.Sigmoid(),
        )
    return nn.Sequential(
        nn.Linear(in_ch, out_ch), nn.ReLU(), nn.Linear(out_ch, out_ch), nn.Sigmoid()
    )


class MTAN(MultiTaskModel):
    """Shared ``blocks`` (their output widths ``widths``) + per-task attention + ``heads``."""

    has_representation = False

    def __init__(
        self,
        blocks: Sequence[nn.Module],
        widths: Sequence[int],
        heads: Sequence[nn.Module],
        conv: bool = False,
    ) -> None:
        super().__init__()
        if len(blocks) != len(widths):
            raise ValueError("one width per block")
        self.blocks = as_module_list(blocks)
        self.heads = as_module_list(heads)
        self.n_tasks = len(self.heads)
        self.conv = conv
        L = len(widths)
        self.attention = nn.ModuleList(
            [
                nn.ModuleList(
                    [
                        _att_block(widths[0] if i == 0 else 2 * widths[i], widths[i], conv)
                        for i in range(L)
                    ]
                )
                for _ in range(self.n_tasks)
            ]
        )
        Lin = nn.Conv2d if conv else nn.Linear
        self.bridges = nn.ModuleList(
            [
                nn.ModuleList(
                    [Lin(widths[i - 1], widths[i], *((1,) if conv else ())) for i in range(1, L)]
                )
                for _ in range(self.n_tasks)
            ]
        )

    @classmethod
    def mlp(cls, in_dim: int, hidden: Sequence[int], out_dims: Sequence[int]) -> MTAN:
        dims = [in_dim, *hidden]
        blocks = [mlp([a, b]) for a, b in zip(dims[:-1], dims[1:], strict=True)]
        heads = [nn.Linear(dims[-1], o) for o in out_dims]
        return cls(blocks, list(hidden), heads)

    @classmethod
    def small_conv(cls, in_channels: int, channels: Sequence[int], out_dims: Sequence[int]) -> MTAN:
        """Conv trunk (3x3 conv, BN, ReLU; max-pool 2 between blocks) with global-pool
        linear heads."""
        blocks = []
        prev = in_channels
        for i, c in enumerate(channels):
            layers: list[nn.Module] = [] if i == 0 else [nn.MaxPool2d(2)]
            layers += [nn.Conv2d(prev, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU()]
            blocks.append(nn.Sequential(*layers))
            prev = c
        heads = [
            nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(prev, o))
            for o in out_dims
        ]
        return cls(blocks, list(channels), heads, conv=True)

    def forward_with_representation(self, x: Tensor) -> tuple[list[Tensor], None]:
        feats = []
        h = x
        for block in self.blocks:
            h = block(h)
            feats.append(h)
        outs = []
        for k in range(self.n_tasks):
            p: Tensor | None = None
            for level, u in enumerate(feats):
                inp = u if p is None else torch.cat([u, self._bridge(k, level, p, u)], dim=1)
                p = self.attention[k][level](inp) * u
            assert p is not None
            outs.append(self.heads[k](p))
        return outs, None

    def attention_masks(self, x: Tensor) -> list[list[Tensor]]:
        """Each task's masks ``a_k^l`` (for inspection)."""
        feats, h = [], x
        for block in self.blocks:
            h = block(h)
            feats.append(h)
        masks = []
        for k in range(self.n_tasks):
            p, ms = None, []
            for level, u in enumerate(feats):
                inp = u if p is None else torch.cat([u, self._bridge(k, level, p, u)], dim=1)
                a = self.attention[k][level](inp)
                ms.append(a)
                p = a * u
            masks.append(ms)
        return masks

    def _bridge(self, k: int, level: int, p: Tensor, u: Tensor) -> Tensor:
        q = self.bridges[k][level - 1](p)
        if self.conv and q.shape[-2:] != u.shape[-2:]:
            q = F.adaptive_avg_pool2d(q, u.shape[-2:])
        return q

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.blocks.parameters())

    def task_parameters(self) -> list[list[nn.Parameter]]:
        return [
            unique_params([a, b, h])
            for a, b, h in zip(self.attention, self.bridges, self.heads, strict=True)
        ]
