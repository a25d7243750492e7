"""Composition cells: how a parent's vector is made from its two children's.

Every cell works on whole batches of nodes at once. A node's state is one row of ``width``
numbers whose first ``hidden`` are ``h``, what the classifier reads (the Tree-LSTM's row is
``[h, c]``). ``leaf(x)`` makes the rows of N leaves from their N word vectors; ``compose(children)``
makes N parents from an (N, 2 * width) table whose rows are ``[left child's row, right child's]``.

``compose`` is plain autograd code, the definition. Training runs a level through
``level_forward`` / ``level_backward`` instead (:mod:`treernn.levels`): by default they recompute
``compose`` under autograd; the Tree-LSTM writes out its derivative, which saves half the small
operations of a level, and forms its weight gradient in one product for the whole batch.
"""
from __future__ import annotations

import functools

import torch
from torch import nn


class Cell(nn.Module):
    """What :class:`treernn.model.RecursiveNet` needs of a cell."""

    hidden: int
    width: int

    def leaf(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def compose(self, children: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def level_parameters(self) -> list[nn.Parameter]:
        """The weights ``compose`` reads."""
        raise NotImplementedError

    def level_forward(self, children: torch.Tensor, keep: bool, out: torch.Tensor) -> object:
        """Write ``compose(children)`` into ``out`` (no autograd); return what ``level_backward`` needs (if ``keep``)."""
        out.copy_(self.compose(children))

    def level_backward(self, saved: object, children: torch.Tensor, grad: torch.Tensor) -> tuple[torch.Tensor, object]:
        """The gradient of ``(compose(children) * grad).sum()`` w.r.t. ``children``, and the level's share
        of the gradient w.r.t. ``level_parameters()``, in the form :meth:`weight_grads` adds up."""
        children = children.detach().requires_grad_()
        weights = self.level_parameters()
        with torch.enable_grad():
            grads = torch.autograd.grad(self.compose(children), [children, *weights], grad, allow_unused=True,
                                        materialize_grads=True)
        return grads[0], list(grads[1:])

    def weight_grads(self, shares: list) -> list[torch.Tensor]:
        """The gradients w.r.t. ``level_parameters()`` from every level's share (by default, the gradients)."""
        return [functools.reduce(torch.Tensor.add_, parts) for parts in zip(*shares)]


class RecursiveCell(Cell):
    """Socher et al. (2011): ``p = tanh(W [a; b] + b)``; leaves are ``tanh(W_x x + b_x)``."""

    def __init__(self, input_dim: int, hidden: int):
        super().__init__()
        self.hidden = self.width = hidden
        self.leaf_proj = nn.Linear(input_dim, hidden)
        self.W = nn.Linear(2 * hidden, hidden)

    def leaf(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.leaf_proj(x))

    def compose(self, children: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.W(children))

    def level_parameters(self) -> list[nn.Parameter]:
        return [self.W.weight, self.W.bias]


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

    def compose(self, children: torch.Tensor) -> torch.Tensor:
        ab, d2 = children, children.shape[1]                               # (N, 2d)
        # ab^T V_k ab for every k as one matmul: (N, 2d) @ (2d, d*2d) -> (N, d, 2d), then dot with ab.
        # (a plain einsum over "ni,kij,nj" may build an (N, d, 2d, 2d) intermediate and run out of memory)
        Vab = (ab @ self.V.permute(1, 0, 2).reshape(d2, -1)).view(-1, self.hidden, d2)
        tensor = (Vab * ab.unsqueeze(1)).sum(-1) / d2                       # (N, d)
        return torch.tanh(tensor + self.W(ab))

    def level_parameters(self) -> list[nn.Parameter]:
        return [*super().level_parameters(), self.V]


class BinaryTreeLSTMCell(Cell):
    """Binary N-ary Tree-LSTM (Tai et al., 2015): a forget gate per child, memory cells flow up.

    Leaves read their word: ``i, o, u`` from ``x``, ``c = i*u``. Internal nodes read only
    their children: gates ``i, f_l, f_r, o, u`` from ``U_l h_l + U_r h_r + b``. A state row is ``[h, c]``.
    """

    def __init__(self, input_dim: int, hidden: int):
        super().__init__()
        self.hidden, self.width = hidden, 2 * hidden
        self.leaf_gates = nn.Linear(input_dim, 3 * hidden)
        self.U = nn.Linear(2 * hidden, 5 * hidden)
        with torch.no_grad():  # forget gates start open-ish, a common Tree-LSTM choice
            self.U.bias[hidden: 3 * hidden].fill_(1.0)

    def leaf(self, x: torch.Tensor) -> torch.Tensor:
        i, o, u = self.leaf_gates(x).chunk(3, dim=-1)
        c = torch.sigmoid(i) * torch.tanh(u)
        return torch.cat([torch.sigmoid(o) * torch.tanh(c), c], dim=1)

    def compose(self, children: torch.Tensor) -> torch.Tensor:
        hl, cl, hr, cr = children.chunk(4, dim=1)
        i, fl, fr, o, u = self.U(torch.cat([hl, hr], dim=1)).chunk(5, dim=1)
        c = torch.sigmoid(i) * torch.tanh(u) + torch.sigmoid(fl) * cl + torch.sigmoid(fr) * cr
        return torch.cat([torch.sigmoid(o) * torch.tanh(c), c], dim=1)

    def level_parameters(self) -> list[nn.Parameter]:
        return [self.U.weight, self.U.bias]

    # compose and its derivative in as few whole-level operations as possible
    def level_forward(self, children: torch.Tensor, keep: bool, out: torch.Tensor) -> object:
        H = self.hidden
        x = torch.cat([children[:, :H], children[:, 2 * H: 3 * H]], dim=1)           # [h_l, h_r]
        gates = torch.addmm(self.U.bias, x, self.U.weight.t())
        sig, u = gates[:, : 4 * H].sigmoid(), gates[:, 4 * H:].tanh()             # i, f_l, f_r, o | u
        c = torch.mul(sig[:, :H], u, out=out[:, H:])
        c.addcmul_(sig[:, H: 2 * H], children[:, H: 2 * H]).addcmul_(sig[:, 2 * H: 3 * H], children[:, 3 * H:])
        tanh_c = c.tanh()
        torch.mul(sig[:, 3 * H:], tanh_c, out=out[:, :H])
        return (x, sig, u, tanh_c) if keep else None

    def level_backward(self, saved: object, children: torch.Tensor, grad: torch.Tensor) -> tuple[torch.Tensor, object]:
        x, sig, u, tanh_c = saved
        H, N = self.hidden, len(children)
        dh, dc = grad[:, :H], grad[:, H:]
        i, fl, fr, o = sig[:, :H], sig[:, H: 2 * H], sig[:, 2 * H: 3 * H], sig[:, 3 * H:]
        dc = (dh * o).mul_(1 - tanh_c * tanh_c).add_(dc)               # through h = o * tanh(c)
        dgates = x.new_empty(N, 5 * H)                                  # d(pre-activation): i, f_l, f_r, o, u
        torch.mul(dc, u, out=dgates[:, :H])
        torch.mul(dc, children[:, H: 2 * H], out=dgates[:, H: 2 * H])
        torch.mul(dc, children[:, 3 * H:], out=dgates[:, 2 * H: 3 * H])
        torch.mul(dh, tanh_c, out=dgates[:, 3 * H: 4 * H])
        dgates[:, : 4 * H].mul_(sig * (1 - sig))
        torch.mul(dc, i, out=dgates[:, 4 * H:]).mul_(1 - u * u)
        dx = dgates @ self.U.weight                                     # (N, 2H): d h_l, d h_r
        dchildren = x.new_empty(N, 4 * H)
        dchildren[:, :H], dchildren[:, 2 * H: 3 * H] = dx[:, :H], dx[:, H:]
        torch.mul(dc, fl, out=dchildren[:, H: 2 * H])
        torch.mul(dc, fr, out=dchildren[:, 3 * H:])
        return dchildren, (dgates, x)

    def weight_grads(self, shares: list) -> list[torch.Tensor]:
        # one (5H, N) @ (N, 2H) product over the whole batch: 2x faster than one per level, whose N is small
        dgates, x = (torch.cat(parts) for parts in zip(*shares))
        return [dgates.t() @ x, dgates.sum(0)]


CELLS = {"rnn": RecursiveCell, "rntn": RNTNCell, "treelstm": BinaryTreeLSTMCell}
