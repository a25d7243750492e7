"""Training a tree network with the package's shared training loop (the tagger's, not a copy).

>>> from corpora.trees import load_sst
>>> from treernn.train import train_treenet
>>> net, history = train_treenet(load_sst("train"), load_sst("dev"), out="runs/sst")   # doctest: +SKIP
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from nltk import Tree

from corpora.batch import length_batches
from corpora.train import History, TrainConfig, fit, set_seed
from corpora.trees import IGNORE, as_tree, batch_trees, binarize, tree_labels, tree_words
from corpora.vocab import Vocab
from corpora.wordvectors import WordVectors, sized_for

from .api import TreeNet
from .model import RecursiveNet, TreeNetConfig


def node_loss(model: RecursiveNet, batch) -> torch.Tensor:
    """Mean cross-entropy over every labelled node of the batch."""
    return F.cross_entropy(model(batch), torch.from_numpy(batch.labels), ignore_index=IGNORE)


def vocab_for_trees(trees: Sequence[Tree], min_count: int = 1, words_from: Vocab | None = None,
                    classes: Sequence[str] | None = None, vectors: WordVectors | None = None) -> Vocab:
    """Words/chars from the training leaves (or from ``words_from``, e.g. a tagger's); classes given
    (a corpus' fixed list, see ``corpora.trees.corpus_classes``) or else those found in the trees;
    the words of pretrained ``vectors``, if any."""
    labels = list(classes) if classes else tree_labels(trees)
    if not labels:
        raise ValueError("the training trees carry no labels")
    if words_from is not None:
        vector_words = words_from.vector_words.strings if words_from.vector_words is not None else None
        return Vocab(words_from.words.strings, words_from.word_counts, words_from.chars.strings, labels, vector_words)
    return Vocab.build([tree_words(t) for t in trees], [labels], min_count=min_count,
                       vector_words=vectors.words if vectors else None)


def train_treenet(train: Sequence[Tree | str], dev: Sequence[Tree | str] | None = None,
                  config: TreeNetConfig | None = None, train_config: TrainConfig | None = None,
                  out: str | Path | None = None, init_embeddings_from: str | Path | None = None,
                  select_on: str = "root", min_count: int = 1, progress: bool = True,
                  meta: dict | None = None, classes: Sequence[str] | None = None,
                  word_vectors: WordVectors | None = None) -> tuple[TreeNet, History]:
    """Train on labelled trees, selecting on dev accuracy at the root (``select_on="root"``) or all nodes.

    ``init_embeddings_from`` names a saved tagger: its vocabulary and embedding-layer weights
    start the tree network (its embedding settings replace ``config.embedding``), frozen word
    vectors included. Or ``word_vectors`` give the embedding a frozen pretrained table.
    """
    if select_on not in ("root", "all"):
        raise ValueError(f"select_on must be 'root' or 'all', got {select_on!r}")
    if word_vectors is not None and init_embeddings_from is not None:
        raise ValueError("give word_vectors or init_embeddings_from, not both: a tagger brings its own vectors")
    config = config or TreeNetConfig()
    train_config = train_config or TrainConfig(optimizer="adagrad", lr=0.05, batch_size=25)
    set_seed(train_config.seed)
    source = None
    if init_embeddings_from is not None:
        from tagger.api import Tagger

        source = Tagger.load(init_embeddings_from)
        config = replace(config, embedding=source.config.embedding)
    binary = [binarize(as_tree(t)) for t in train]
    vocab = vocab_for_trees(binary, min_count, source.vocab if source else None, classes, word_vectors)
    if source is None:
        config = sized_for(config, word_vectors)
    net = TreeNet.new(vocab, config, word_vectors)
    if source is not None:
        net.model.embedding.load_state_dict(source.model.embedding.state_dict())
    net.meta = {"training": asdict(train_config), **(meta or {})}
    train_idx = net.index(binary)
    dev_idx = net.index(dev) if dev else None

    def batches(rng: random.Random):
        for idx in length_batches([len(t) for t in train_idx], train_config.batch_size, shuffle=True, rng=rng):
            yield batch_trees(vocab, [train_idx[i] for i in idx])

    def dev_score(_model) -> float:
        scores = net.score(dev_idx)
        return scores.root if select_on == "root" else scores.all_nodes

    def on_best(epoch: int, score: float) -> None:
        net.meta.update(best_epoch=epoch, dev_score=round(score, 5), select_on=select_on)
        if out is not None:
            net.save(out)

    history = fit(net.model, batches, node_loss, train_config, dev_score if dev else None, on_best, progress)
    if out is not None:
        net.save(out)
    return net, history
