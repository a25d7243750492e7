"""The tree network: shared token embedding at the leaves, a composition cell applied level by
level over a whole batch of trees, and a softmax classifier on every node."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from corpora.embedding import EmbeddingConfig, TokenEmbedding
from corpora.trees import TreeBatch
from corpora.vocab import Vocab
from deeptrees.dropout import Dropout
from deeptrees.network import NetworkConfig

from .cells import CELLS
from .levels import node_table


# node sizes that train in similar time per epoch: the RNTN's tensor has d * 2d * 2d weights
SUGGESTED_HIDDEN = {"rnn": 100, "rntn": 40, "treelstm": 150}


def tree_embedding() -> EmbeddingConfig:
    """The tree networks' default embedding: a character CNN rather than the tagger's BiLSTM, 1.14x faster
    to train. On SST, with batches of 100 trees, it scored as the BiLSTM with batches of 25 did (2 seeds
    each: dev root 49.0 / 49.4 vs 49.2 / 49.1, test all nodes 82.1 / 82.1 vs 82.0 / 82.0)."""
    return EmbeddingConfig(char_encoder="cnn")


@dataclass
class TreeNetConfig(NetworkConfig):
    """Architecture of a tree network; saved in the model's ``config.json``."""

    embedding: EmbeddingConfig = field(default_factory=tree_embedding)
    cell: str = "treelstm"       # rnn | rntn | treelstm
    hidden_size: int | None = None   # None: the cell's SUGGESTED_HIDDEN size
    dropout: float = 0.3         # on leaf inputs and before the classifier

    CELLS: ClassVar[dict] = CELLS
    SIZES: ClassVar[dict] = {**NetworkConfig.SIZES, "hidden_size": ("classify.weight", 1)}

    def __post_init__(self) -> None:
        if self.hidden_size is None and self.cell in SUGGESTED_HIDDEN:
            self.hidden_size = SUGGESTED_HIDDEN[self.cell]
        super().__post_init__()


class RecursiveNet(nn.Module):
    """``TreeBatch -> (n_nodes, n_classes)`` logits, one row per node of every tree."""

    def __init__(self, vocab: Vocab, cfg: TreeNetConfig):
        super().__init__()
        if cfg.embedding.context_hidden:
            raise ValueError("a tree network computes each word form's leaf once, so it cannot read contextual "
                             "(character LM) vectors; train it without them")
        self.cfg = cfg
        self.embedding = TokenEmbedding(vocab, cfg.embedding)
        self.cell = CELLS[cfg.cell](self.embedding.output_dim, cfg.hidden_size)
        self.dropout = Dropout(cfg.dropout)
        self.classify = nn.Linear(cfg.hidden_size, len(vocab.labels))

    def leaf_states(self, batch: TreeBatch) -> torch.Tensor:
        """(n_word_forms, cell.width): the leaf state of each distinct word form of the batch
        (``batch.words.by_type()``), which all its leaves share. A leaf's state depends on its word alone, so
        this is done in training too (an SST batch of 100 trees has 46% as many word forms as leaves): word
        dropout and dropout then act per word of the batch, every occurrence of a word in a batch keeping or
        dropping the same units."""
        return self.cell.leaf(self.dropout(self.embedding(batch.words.by_type())[0]))

    def node_states(self, batch: TreeBatch) -> torch.Tensor:
        """(n_nodes, hidden): ``h`` of every node, in node-id order, computed one tree level at a time
        over the whole batch (:func:`treernn.levels.node_table`)."""
        return self._h(batch)[batch.rank_ids]

    def _h(self, batch: TreeBatch) -> torch.Tensor:
        """``h`` of every row of the table, in height order (``batch.rank_ids[node]`` is a node's row; the
        leaves of one word share a row)."""
        return node_table(self.cell, self.leaf_states(batch), batch)[:, : self.cell.hidden]

    def forward(self, batch: TreeBatch) -> torch.Tensor:
        # classify the table's rows (a word form once), then put the (n_nodes, n_classes) logits in node-id
        # order: a gather of n_classes columns instead of hidden
        return self.classify(self.dropout(self._h(batch)))[batch.rank_ids]
