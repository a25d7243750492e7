"""Composition cells: how a parent's vector is made from its two children's.

Every cell works on whole batches of nodes at once: ``leaf(x)`` makes the state of N leaves
from their N word vectors, ``compose(left, right)`` makes N parents from N left and N right
children. A state is a tuple of tensors (``(h,)``, or ``(h, c)`` for the Tree-LSTM), and
``h = state[0]`` is what the classifier reads.
"""
from __future__ import annotations

import torch
from torch import nn

State = tuple[torch.Tensor, ...]


class RecursiveCell(nn.Module):
    """Socher et al. (2011): ``p = tanh(W [a; b] + b)``; leaves are ``tanh(W_x x + b_x)``."""

    def __init__(self, input_dim: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        self.leaf_proj = nn.Linear(input_dim, hidden)
        self.W = nn.Linear(2 * hidden, hidden)

    def leaf(self, x: torch.Tensor) -> State:
        return (torch.tanh(self.leaf_proj(x)),)

    def compose(self, left: State, right: State) -> State:
        return (torch.tanh(self.W(torch.cat([left[0], right[0]], dim=-1))),)


class RNTNCell(RecursiveCell):
    """Socher et al. (2013): adds the tensor term ``[a;b]^T V^[1:d] [a;b]`` to the plain cell.

    The term is computed as ``[a;b]^T V [a;b] / 2d`` with ``V ~ N(0, 1)``: the same function
    class, but the weights live on a scale of 1, so an optimiser step (Adam, AdaGrad: ~lr per
    weight) does not saturate the tanh at once; with ``V ~ N(0, 1/(4d)^2)`` and no scaling the
    RNTN stalled near the majority class on SST.
    """

    def __init__(self, input_dim: int, hidden: int):
        super().__init__(input_dim, hidden)
        self.V = nn.Parameter(torch.randn(hidden, 2 * hidden, 2 * hidden))

    def compose(self, left: State, right: State) -> State:
        ab = torch.cat([left[0], right[0]], dim=-1)                       # (N, 2d)
        d2 = ab.shape[1]
        # ab^T V_k ab for every k as one matmul: (N, 2d) @ (2d, d*2d) -> (N, d, 2d), then dot with ab.
        # (a plain einsum over "ni,kij,nj" may build an (N, d, 2d, 2d) intermediate and run out of memory)
        Vab = (ab @ self.V.permute(1, 0, 2).reshape(d2, -1)).view(-1, self.hidden, d2)
        tensor = (Vab * ab.unsqueeze(1)).sum(-1) / d2                       # (N, d)
        return (torch.tanh(tensor + self.W(ab)),)


class BinaryTreeLSTMCell(nn.Module):
    """Binary N-ary Tree-LSTM (Tai et al., 2015): a forget gate per child, memory cells flow up.

    Leaves read their word: ``i, o, u`` from ``x``, ``c = i*u``. Internal nodes read only
    their children: gates ``i, f_l, f_r, o, u`` from ``U_l h_l + U_r h_r + b``.
    """

    def __init__(self, input_dim: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        self.leaf_gates = nn.Linear(input_dim, 3 * hidden)
        self.U = nn.Linear(2 * hidden, 5 * hidden)
        with torch.no_grad():  # forget gates start open-ish, a common Tree-LSTM choice
            self.U.bias[hidden: 3 * hidden].fill_(1.0)

    def leaf(self, x: torch.Tensor) -> State:
        i, o, u = self.leaf_gates(x).chunk(3, dim=-1)
        c = torch.sigmoid(i) * torch.tanh(u)
        return torch.sigmoid(o) * torch.tanh(c), c

    def compose(self, left: State, right: State) -> State:
        (hl, cl), (hr, cr) = left, right
        i, fl, fr, o, u = self.U(torch.cat([hl, hr], dim=-1)).chunk(5, dim=-1)
        c = torch.sigmoid(i) * torch.tanh(u) + torch.sigmoid(fl) * cl + torch.sigmoid(fr) * cr
        return torch.sigmoid(o) * torch.tanh(c), c


CELLS = {"rnn": RecursiveCell, "rntn": RNTNCell, "treelstm": BinaryTreeLSTMCell}

