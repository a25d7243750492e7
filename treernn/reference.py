"""Per-node reference evaluation of a :class:`RecursiveNet`, for tests and the speed benchmark only.

Like the public recursive Tree-LSTM reimplementations, it visits one node at a time: a leaf
embeds its own word, an internal node composes its two children, and each node is classified
on its own (``per_node_io=False`` embeds and classifies all nodes in one call instead, leaving
only the cell per node). Nodes are visited with a plain loop in post-order (children come
before parents), so there is no recursion and no depth limit. It must agree with the
level-batched ``RecursiveNet.forward`` to 1e-5; it is the slow, obviously-correct version.
"""
from __future__ import annotations

import torch

from corpora.batch import WordBatch
from corpora.trees import TreeBatch

from .model import RecursiveNet


def _one_word(words: WordBatch, k: int) -> WordBatch:
    """The k-th word of a (1, n) WordBatch as its own batch (its character row only)."""
    t = int(words.type_index[0, k])
    return WordBatch(words.word_ids[:, k: k + 1], torch.ones(1, 1, dtype=torch.long),
                     words.char_ids[[0, t]], words.shapes[[0, t]], torch.ones(1, dtype=torch.long),
                     words.vector_ids[:, k: k + 1] if words.vector_ids is not None else None)


def reference_logits(model: RecursiveNet, batch: TreeBatch, per_node_io: bool = True) -> torch.Tensor:
    word_of = {int(node): k for k, node in enumerate(batch.leaves)}
    left = torch.full((batch.n_nodes,), -1, dtype=torch.long)
    right = left.clone()
    for nodes, l, r in batch.levels:
        left[nodes], right[nodes] = torch.from_numpy(l), torch.from_numpy(r)
    x = None if per_node_io else model.dropout(model.embedding(batch.words)[0])
    h = model.cell.hidden
    states: list[torch.Tensor] = []
    logits = []
    for node in range(batch.n_nodes):  # post-order within each tree, trees one after another
        k = word_of.get(node)
        if k is not None:
            xk = model.dropout(model.embedding(_one_word(batch.words, k))[0]) if per_node_io else x[k: k + 1]
            states.append(model.cell.leaf(xk))
        else:
            states.append(model.cell.compose(torch.cat([states[int(left[node])], states[int(right[node])]], dim=1)))
        if per_node_io:
            logits.append(model.classify(model.dropout(states[-1][:, :h])))
    if per_node_io:
        return torch.cat(logits, dim=0)
    return model.classify(model.dropout(torch.cat(states, dim=0)[:, :h]))
