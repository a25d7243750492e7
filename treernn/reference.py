"""Per-node reference evaluation of a :class:`RecursiveNet`, for tests and the speed benchmark only.

One cell call per node, in post-order, with a plain loop over the node list (children come
before parents, so no recursion and no stack depth problem for deep trees). It must agree with
the level-batched ``RecursiveNet.forward`` to 1e-5; it is the slow, obviously-correct version.
"""
from __future__ import annotations

import torch

from corpora.trees import TreeBatch

from .model import RecursiveNet


def reference_logits(model: RecursiveNet, batch: TreeBatch) -> torch.Tensor:
    x = model.leaf_inputs(batch)
    word_of = {int(node): k for k, node in enumerate(batch.leaves)}
    left = torch.full((batch.n_nodes,), -1, dtype=torch.long)
    right = left.clone()
    for nodes, l, r in batch.levels:
        left[torch.from_numpy(nodes)] = torch.from_numpy(l)
        right[torch.from_numpy(nodes)] = torch.from_numpy(r)
    states: list[tuple[torch.Tensor, ...] | None] = [None] * batch.n_nodes
    for node in range(batch.n_nodes):  # post-order within each tree, trees one after another
        if node in word_of:
            states[node] = model.cell.leaf(x[word_of[node]].unsqueeze(0))
        else:
            states[node] = model.cell.compose(states[int(left[node])], states[int(right[node])])
    h = torch.cat([s[0] for s in states], dim=0)
    return model.classify(model.dropout(h))
