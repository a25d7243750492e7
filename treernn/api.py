"""A trained tree network: predict classes for every node of a tree, evaluate, save and load.

>>> import treernn
>>> net = treernn.load("runs/sst")                                        # doctest: +SKIP
>>> tree = net.predict("(2 (2 a) (3 (3 good) (2 film)))")                  # doctest: +SKIP
>>> tree.label(), tree.probs                                              # doctest: +SKIP
('3', {'0': 0.01, '1': 0.04, '2': 0.18, '3': 0.55, '4': 0.22})
>>> tree.pretty_print()                                                   # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
import torch
from nltk import Tree

from corpora.trees import (IGNORE, SST_CLASSES, IndexedTree, batch_trees, index_trees, is_leaf, nodes_postorder,
                           tree_batches)
from deeptrees.device import DEFAULT_DEVICE
from deeptrees.network import TrainedNetwork

from .model import RecursiveNet, TreeNetConfig


@dataclass
class TreeScores:
    """Socher et al.'s protocol: fine-grained accuracy at all nodes and at the root; binary accuracy
    at the root of non-neutral trees (0-1 vs 3-4, the model's 5-way probabilities summed)."""

    all_nodes: float
    root: float
    binary_root: float | None
    nodes: int
    trees: int
    gold: list[str] = field(default_factory=list, compare=False, repr=False)        # every labelled node
    predicted: list[str] = field(default_factory=list, compare=False, repr=False)

    def summary(self) -> str:
        binary = f", binary root {100 * self.binary_root:.2f}%" if self.binary_root is not None else ""
        return (f"all nodes {100 * self.all_nodes:.2f}% ({self.nodes} nodes), "
                f"root {100 * self.root:.2f}% ({self.trees} trees){binary}")


class TreeNet(TrainedNetwork):
    """Classifies every node of binary(ised) constituency trees with a :class:`RecursiveNet`."""

    KIND, CONFIG, MODULE = "treenet", TreeNetConfig, RecursiveNet
    BATCH_SIZE = 512      # trees per inference batch: a level's work grows with the batch, its overhead does not
                          # (1,000 SST trees, 2 threads: 5,556 / 6,225 / 6,650 / 6,445 trees/s at 128 / 256 / 512 / 1,000)

    @property
    def classes(self) -> list[str]:
        return list(self.vocab.labels.strings)

    def index(self, trees: Sequence[Tree | str], check_labels: bool = True) -> list[IndexedTree]:
        if isinstance(trees, (str, Tree)):
            raise TypeError("expected a list of trees; for one tree use predict()")
        return index_trees(trees, self.vocab, check_labels)

    def probabilities(self, indexed: Sequence[IndexedTree]) -> list[np.ndarray]:
        """Per tree, a (n_nodes, n_classes) array of class probabilities in post-order. Trees are
        batched with trees of similar height (fewer, fuller levels), results given back in order."""
        self.model.eval()
        out: list[np.ndarray] = [None] * len(indexed)     # type: ignore[list-item]
        with torch.inference_mode():
            for idx in tree_batches(indexed, self.batch_size):
                batch = batch_trees(self.vocab, [indexed[i] for i in idx])
                probs = torch.softmax(self.model(batch.to(self.device)), dim=-1).cpu().numpy()
                for i, o in zip(idx, batch.offsets):
                    out[i] = probs[o: o + len(indexed[i])]
        return out

    # -- prediction --------------------------------------------------------------------------
    def predict(self, tree: Tree | str | Sequence[str]) -> Tree:
        """A copy of the (binarised) tree whose labels are the predicted classes.

        ``tree`` is an ``nltk.Tree``, a bracketed string (it starts with ``(``), a plain sentence
        (``"This film is a delight."``, tokenized) or a token list; the last two are parsed with the
        shipped parser (:func:`treernn.parser.load_default_parser`) first. Each node of the result has
        ``.probs``: a dict class -> probability.
        """
        return self.predict_batch([tree])[0]

    def predict_batch(self, trees: Sequence[Tree | str | Sequence[str]]) -> list[Tree]:
        """:meth:`predict` of many trees or sentences; sentences are parsed together, in batches."""
        if isinstance(trees, (str, Tree)):
            raise TypeError("predict_batch() takes a list; for one tree or sentence use predict()")
        trees = list(trees)
        plain = [k for k, t in enumerate(trees) if not isinstance(t, Tree) and (isinstance(t, (list, tuple)) or
                 (isinstance(t, str) and not t.lstrip().startswith("(")))]     # (an nltk.Tree is a list too)
        if plain:
            from corpora.text import tokenize

            from .parser import load_default_parser

            parser = load_default_parser(self.device)   # on this network's device
            sentences = [parser._check(tokenize(trees[k]) if isinstance(trees[k], str) else trees[k], f"item {k}")
                         for k in plain]
            for k, parsed in zip(plain, parser.parse_sents(sentences)):
                trees[k] = parsed
        indexed = self.index(trees, check_labels=False)
        return [self._relabel(t, p) for t, p in zip(indexed, self.probabilities(indexed))]

    def _relabel(self, indexed: IndexedTree, probs: np.ndarray) -> Tree:
        built: list[Tree] = []
        for i, node in enumerate(nodes_postorder(indexed.tree)):
            if is_leaf(node):
                new = Tree(self.classes[int(probs[i].argmax())], [node[0]])
            else:
                new = Tree(self.classes[int(probs[i].argmax())],
                           [built[indexed.left[i]], built[indexed.right[i]]])
            new.probs = {c: float(p) for c, p in zip(self.classes, probs[i])}
            built.append(new)
        return built[-1]

    # -- evaluation --------------------------------------------------------------------------
    def evaluate(self, trees: Sequence[Tree | str]) -> TreeScores:
        """Accuracy over labelled nodes and roots; binary root accuracy when classes are 0-4."""
        return self.score(self.index(trees))

    def score(self, indexed: Sequence[IndexedTree]) -> TreeScores:
        """:meth:`evaluate` on trees already turned into arrays (as training does for dev, once)."""
        probs = self.probabilities(indexed)
        right = total = root_right = roots = bin_right = bin_total = 0
        sentiment = self.classes == SST_CLASSES
        gold_labels, predicted = [], []
        for t, p in zip(indexed, probs):
            gold, pred = t.labels, p.argmax(1)
            mask = gold != IGNORE
            right += int((pred[mask] == gold[mask]).sum())
            total += int(mask.sum())
            gold_labels += [self.classes[i] for i in gold[mask]]
            predicted += [self.classes[i] for i in pred[mask]]
            if gold[-1] != IGNORE:
                roots += 1
                root_right += int(pred[-1] == gold[-1])
                if sentiment and gold[-1] != 2:
                    bin_total += 1
                    bin_right += int((p[-1, 3:].sum() > p[-1, :2].sum()) == (gold[-1] > 2))
        return TreeScores(right / max(1, total), root_right / max(1, roots),
                          bin_right / bin_total if sentiment and bin_total else None, total, roots, gold_labels, predicted)

    def __repr__(self) -> str:
        return f"TreeNet({self.config.cell}, hidden {self.config.hidden_size}, {len(self.classes)} classes)"


def load(folder: str | Path, device: str = DEFAULT_DEVICE) -> TreeNet:
    """Load a tree network saved by :meth:`TreeNet.save` onto ``device``."""
    return TreeNet.load(folder, device)


DEFAULT_MODEL = files("treernn") / "default_model"


def load_default(device: str | torch.device = DEFAULT_DEVICE) -> TreeNet:
    """The sentiment model shipped with the package, on ``device``: a Tree-LSTM trained on SST (classes 0-4,
    very negative to very positive). ``load_default().predict("This film is a delight.")`` parses the
    sentence first."""
    return TreeNet.shipped(DEFAULT_MODEL, "train one with `treernn train --corpus sst --out DIR` and load it "
                                          "with treernn.load(DIR)", device)
