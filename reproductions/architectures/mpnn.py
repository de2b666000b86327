"""The message-passing network of Nash-MTL's QM9 experiment, on padded dense molecules.

AvivNavon/nash-mtl ``experiments/quantum_chemistry/models.py`` (``Net``, from PyG's
``examples/qm9_nn_conv.py``, after Gilmer et al. 2017): ``lin0`` (11 -> dim) + ReLU, three
rounds of one edge-network convolution (PyG ``NNConv(dim, dim, nn, aggr="mean")`` with
``nn = Linear(5, 128) - ReLU - Linear(128, dim * dim)``) + ReLU followed by one shared
``GRU(dim, dim)`` step, ``Set2Set(dim, processing_steps=3)`` readout, ``lin1`` (2 dim -> dim)
+ ReLU (the shared representation), then one ``Linear(dim, 1)`` head per task.

This module computes exactly those functions without torch-geometric, on a batch padded to
its largest molecule (``reproductions.data.qm9.Batch``): the graph is complete, so a dense
form is natural, and it allows a cheaper but equal evaluation of the edge network's
messages. NNConv's message from j to i is ``h_j @ W(e_ij)`` with
``W(e) = reshape(A relu(B e + b) + c, (dim, dim))``; we apply ``A`` once per
node (``P_j = h_j A_k`` for each of the 128 hidden units k) and contract
``sum_jk u_ijk P_jk`` (``u = relu(B e + b)``) in one batched product, instead of
building a dim x dim matrix per edge (PyG), far more work on a CPU. ``u`` is computed
once per forward (PyG recomputes it in each of the three rounds: the same values, and the
same gradient). The parameter layout is PyG's, so weights copy over
(``tests/reproductions/test_exp_qm9.py`` checks the outputs against PyG's ``NNConv`` and
``Set2Set`` when torch-geometric is installed).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from reproductions.architectures.base import MultiTaskModel


class DenseNNConv(nn.Module):
    """PyG's ``NNConv(dim, dim, nn, aggr="mean", root_weight=True, bias=True)`` on a padded
    complete graph. ``edge_mlp`` is ``Sequential(Linear(e, hidden), ReLU(), Linear(hidden,
    dim * dim))``; :meth:`edge_hidden` gives ``relu(B e + b)`` (masked), reused by every
    round."""

    def __init__(self, dim: int, edge_dim: int = 5, hidden: int = 128) -> None:
        super().__init__()
        self.dim = dim
        self.nn = nn.Sequential(nn.Linear(edge_dim, hidden), nn.ReLU(),
                                nn.Linear(hidden, dim * dim))
        self.lin = nn.Linear(dim, dim, bias=False)  # PyG's root weight
        self.bias = nn.Parameter(torch.zeros(dim))

    def edge_hidden(self, edge: Tensor, pair_mask: Tensor) -> Tensor:
        return self.nn[1](self.nn[0](edge)) * pair_mask[..., None]  # (B, N, N, hidden)

    def forward(self, h: Tensor, u: Tensor, pair_mask: Tensor) -> Tensor:
        B, N, d = h.shape
        k = u.shape[-1]
        last: nn.Linear = self.nn[2]  # type: ignore[assignment]
        # W(e_ij) = sum_k u_ijk A_k + C: P[b, j, k, :] = h_j @ A_k, then one batched
        # contraction over (j, k): u (B, N, N * k) @ P (B, N * k, d) -- no copy of u.
        A = last.weight.view(d, d, k).permute(0, 2, 1).reshape(d, k * d)  # [d_in, (k, d_out)]
        P = (h.reshape(B * N, d) @ A).view(B, N * k, d)
        msg = torch.bmm(u.reshape(B, N, N * k), P) + (pair_mask @ h) @ last.bias.view(d, d)
        deg = pair_mask.sum(-1, keepdim=True).clamp_min(1.0)
        return msg / deg + self.lin(h) + self.bias


class DenseSet2Set(nn.Module):
    """PyG's ``Set2Set(dim, processing_steps)`` over the valid atoms of each molecule."""

    def __init__(self, dim: int, processing_steps: int = 3) -> None:
        super().__init__()
        self.dim = dim
        self.processing_steps = processing_steps
        self.lstm = nn.LSTM(2 * dim, dim)

    def forward(self, x: Tensor, node_mask: Tensor) -> Tensor:
        B = x.shape[0]
        h = (x.new_zeros(1, B, self.dim), x.new_zeros(1, B, self.dim))
        q_star = x.new_zeros(B, 2 * self.dim)
        for _ in range(self.processing_steps):
            q, h = self.lstm(q_star.unsqueeze(0), h)
            q = q.view(B, self.dim)
            e = (x * q[:, None, :]).sum(-1).masked_fill(~node_mask, float("-inf"))
            a = torch.softmax(e, dim=-1)
            r = (a[..., None] * x).sum(1)
            q_star = torch.cat([q, r], dim=-1)
        return q_star


class QM9MPNN(MultiTaskModel):
    """Nash-MTL's ``Net(n_tasks, num_features=11, dim=64)``; input a padded ``Batch``.

    ``forward_with_representation(batch)`` returns one ``(B,)`` prediction per task and the
    shared representation ``relu(lin1(set2set(...)))`` (B, dim)."""

    has_representation = True

    def __init__(self, n_tasks: int, num_features: int = 11, dim: int = 64,
                 edge_hidden: int = 128, rounds: int = 3) -> None:
        super().__init__()
        self.n_tasks = n_tasks
        self.dim = dim
        self.rounds = rounds
        self.lin0 = nn.Linear(num_features, dim)
        self.conv = DenseNNConv(dim, hidden=edge_hidden)
        self.gru = nn.GRU(dim, dim)
        self.set2set = DenseSet2Set(dim, processing_steps=3)
        self.lin1 = nn.Linear(2 * dim, dim)
        self.heads = nn.ModuleList([nn.Linear(dim, 1) for _ in range(n_tasks)])

    def trunk(self, batch) -> Tensor:  # noqa: ANN001 - reproductions.data.qm9.Batch
        B, N, _ = batch.x.shape
        keep = batch.node_mask[..., None].to(batch.x.dtype)
        out = F.relu(self.lin0(batch.x)) * keep
        h = out.reshape(1, B * N, self.dim)
        u = self.conv.edge_hidden(batch.edge, batch.pair_mask)
        for _ in range(self.rounds):
            m = F.relu(self.conv(out, u, batch.pair_mask))
            o, h = self.gru(m.reshape(1, B * N, self.dim), h)
            out = o.view(B, N, self.dim) * keep
        return F.relu(self.lin1(self.set2set(out, batch.node_mask)))

    def forward_with_representation(self, batch) -> tuple[list[Tensor], Tensor]:  # noqa: ANN001
        z = self.trunk(batch)
        return [head(z).squeeze(-1) for head in self.heads], z

    def shared_parameters(self) -> list[nn.Parameter]:
        return [p for name, p in self.named_parameters() if not name.startswith("heads.")]

    def task_parameters(self) -> list[list[nn.Parameter]]:
        return [list(h.parameters()) for h in self.heads]

    def last_shared_parameters(self) -> list[nn.Parameter]:
        return list(self.lin1.parameters())


__all__ = ["DenseNNConv", "DenseSet2Set", "QM9MPNN"]
