"""Training a tree network with the package's shared recipe (:mod:`deeptrees.recipe`), the tagger's, not a copy.

>>> from corpora.trees import load_sst
>>> from treernn.train import train_treenet
>>> net, history = train_treenet(load_sst("train"), load_sst("dev"), out="runs/sst")   # doctest: +SKIP
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from nltk import Tree

from corpora.trees import (IGNORE, IndexedTree, as_tree, batch_trees, binarize, index_trees, tree_batches, tree_labels,
                           tree_words)
from corpora.vocab import Vocab
from corpora.wordvectors import DEFAULT_VECTORS, VECTOR_DIM, WordVectors
from deeptrees.recipe import RunOptions, Task, train_network
from deeptrees.train import History, TrainConfig

from .api import TreeNet
from .model import RecursiveNet, TreeNetConfig

# the tree networks' training defaults (CLI and Python alike): AdaGrad as Socher et al. and Tai et al.;
# batches of 100 trees rather than their 25: a level's matrix product then fills the CPU (1.8x faster
# training in benchmarks/treernn_speed.py: 716 vs 405 trees/s with the character BiLSTM), and SST dev/test
# accuracy stayed the same (README, "Tree-LSTM speed")
TRAINING = TrainConfig(optimizer="adagrad", lr=0.05, batch_size=100, weight_decay=1e-5)
SELECT_ON = ("root", "all")


def node_loss(model: RecursiveNet, batch) -> torch.Tensor:
    """Mean cross-entropy over every labelled node of the batch."""
    return F.cross_entropy(model(batch), batch.label_ids, ignore_index=IGNORE)


def vocab_for_trees(trees: Sequence[Tree], min_count: int = 1, classes: Sequence[str] | None = None) -> Vocab:
    """Words/chars from the leaves of (binarised) ``trees``; classes given (a corpus' fixed list, see
    ``corpora.trees.corpus_classes``) or else those found in the trees."""
    return Vocab.build([tree_words(t) for t in trees], [list(classes) if classes else tree_labels(trees)],
                       min_count=min_count)


class TreeTask(Task):
    """Labelled trees: batches of trees of similar height (``corpora.trees.tree_batches``), cross-entropy
    at every labelled node, dev accuracy at the root or at all nodes."""

    network = TreeNet

    def __init__(self, train: Sequence[Tree | str], dev: Sequence[Tree | str] | None, batch_size: int,
                 select_on: str, classes: Sequence[str] | None):
        if select_on not in SELECT_ON:
            raise ValueError(f"select_on must be 'root' or 'all', got {select_on!r}")
        if isinstance(train, (str, Tree)) or not isinstance(train, Sequence):
            raise TypeError("train must be a list of trees (nltk.Tree or bracketed strings)")
        self.train = [binarize(as_tree(t)) for t in train]
        self.dev = [as_tree(t) for t in dev] if dev else None
        self.has_dev = self.dev is not None
        self.batch_size, self.select_on = batch_size, select_on
        self.words = [tree_words(t) for t in self.train]
        self.labels = list(classes) if classes else tree_labels(self.train)
        if not self.labels:
            raise ValueError("the training trees carry no labels")
        self._train: list[IndexedTree] | None = None
        self._dev: list[IndexedTree] | None = None

    def batches(self, vocab: Vocab, rng: random.Random):
        if self._train is None:   # trees become index arrays once
            self._train = index_trees(self.train, vocab)
        for idx in tree_batches(self._train, self.batch_size, shuffle=True, rng=rng):
            yield batch_trees(vocab, [self._train[i] for i in idx])

    loss = staticmethod(node_loss)

    def score(self, net: TreeNet) -> float:
        if self._dev is None:
            self._dev = net.index(self.dev)
        scores = net.score(self._dev)
        return scores.root if self.select_on == "root" else scores.all_nodes

    def data(self):
        yield from map(str, self.train)
        yield "dev"
        yield from map(str, self.dev or ())


def train_treenet(train: Sequence[Tree | str], dev: Sequence[Tree | str] | None = None,
                  config: TreeNetConfig | None = None, train_config: TrainConfig | None = None,
                  out: str | Path | None = None, init_embeddings_from: str | Path | None = None,
                  select_on: str = "root", min_count: int = 1, progress: bool = True,
                  meta: dict | None = None, classes: Sequence[str] | None = None,
                  word_vectors: str | WordVectors | None = DEFAULT_VECTORS, *, vector_dim: int = VECTOR_DIM,
                  held_out: Iterable[Sequence[str]] = (), **run) -> tuple[TreeNet, History]:
    """Train on labelled trees, selecting on dev accuracy at the root (``select_on="root"``) or all nodes.

    ``init_embeddings_from`` names any saved model (a tagger or a tree net): its vocabulary and
    embedding-layer weights start the tree network (its embedding settings replace
    ``config.embedding``), frozen word vectors included. Otherwise ``word_vectors`` give the
    embedding a frozen table, by default learned from unlabelled NLTK text without the ``dev``
    sentences and ``held_out`` (give your test trees' words). ``out`` and ``run``
    (:class:`deeptrees.recipe.RunOptions`) as for ``tagger.train_tagger``.
    """
    train_config = train_config or TRAINING
    task = TreeTask(train, dev, train_config.batch_size, select_on, classes)
    dev_words = [tree_words(t) for t in task.dev or ()]
    return train_network(task, config or TreeNetConfig(), train_config, min_count=min_count,
                         word_vectors=word_vectors, vector_dim=vector_dim, held_out=[*dev_words, *held_out],
                         init_embeddings_from=init_embeddings_from, meta={"select_on": select_on, **(meta or {})},
                         run=RunOptions(out=out, progress=progress, **run))
