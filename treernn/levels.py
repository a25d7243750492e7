"""A batch of trees evaluated one height level at a time, as ONE autograd operation.

The states of all nodes live in one (n_rows, width) table ordered by height (first one row per word
form of the batch, which its leaves share; see :class:`corpora.trees.TreeBatch`): level ``k`` gathers its children's rows and writes its own
contiguous block ``bounds[k]``. Left to autograd, every level's gather and write would each cost a
table-sized gradient in the backward pass (a zero-filled copy per level, so a batch's backward
grows with levels x nodes). Here the backward pass walks the levels top-down, accumulating every
gradient into one table in place, so each level costs only its own nodes. Measured on 1,000 SST
trees with the Tree-LSTM and no character encoder or dropout: training 1.4x faster at 25 trees a
batch, 2.3x at 100 (with the full embedding: 1.2x and 1.5x).

Each level's arithmetic is the cell's (:meth:`treernn.cells.Cell.level_forward` /
``level_backward``); the result equals the per-node reference (``treernn.reference``) and its
gradients to 1e-5 (tests).
"""
from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from corpora.trees import TreeBatch

from .cells import Cell


def node_table(cell: Cell, leaves: torch.Tensor, batch: TreeBatch) -> torch.Tensor:
    """(batch.n_rows, cell.width) states of every node of ``batch`` in height order (node ``i`` is row
    ``batch.rank_ids[i]``), from the (n_word_forms, width) states of its leaves' word forms (``words.by_type()``)."""
    weights = cell.level_parameters()
    if torch.is_grad_enabled() and (leaves.requires_grad or any(w.requires_grad for w in weights)):
        return _Levels.apply(leaves, cell, batch, *weights)
    return _run(cell, leaves, batch, keep=False)[0]


def _run(cell: Cell, leaves: torch.Tensor, batch: TreeBatch, keep: bool) -> tuple[torch.Tensor, list]:
    """The table, and per level (if ``keep``) its gathered children and what the cell kept for its backward."""
    table = leaves.new_empty(batch.n_rows, leaves.shape[1])
    table[: len(leaves)] = leaves
    saved = []
    for (start, end), children in zip(batch.bounds, batch.children_ids):
        rows = table.index_select(0, children).view(end - start, -1)
        kept = cell.level_forward(rows, keep, table[start:end])
        if keep:
            saved.append((rows, kept))
    return table, saved


class _Levels(torch.autograd.Function):
    @staticmethod
    def forward(ctx, leaves: torch.Tensor, cell: Cell, batch: TreeBatch, *weights: torch.Tensor) -> torch.Tensor:
        table, ctx.kept = _run(cell, leaves, batch, keep=True)
        ctx.cell, ctx.batch, ctx.n_leaves, ctx.width = cell, batch, len(leaves), table.shape[1]
        return table

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor):
        width, shares = ctx.width, []
        grad = grad.contiguous().clone()          # a node's gradient is complete once its parent's level is done
        for (start, end), children, (rows, kept) in reversed(list(zip(ctx.batch.bounds, ctx.batch.children_ids,
                                                                       ctx.kept))):
            d_children, share = ctx.cell.level_backward(kept, rows, grad[start:end])
            grad.index_add_(0, children, d_children.reshape(-1, width))
            shares.append(share)
        # only leaves: no level, no weight gradient
        weight_grads = ctx.cell.weight_grads(shares) if shares else [None] * len(ctx.cell.level_parameters())
        return (grad[: ctx.n_leaves], None, None, *weight_grads)
