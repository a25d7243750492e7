"""Labelled bracket precision, recall and F1 of parses, with evalb's conventions (COLLINS.prm):

- punctuation (words whose gold POS tag is ``'' `` . : ,``) is removed before spans are counted, and a
  bracket left with no word is dropped;
- ``ADVP`` and ``PRT`` count as the same label;
- preterminals (POS tags) are not brackets; the root is; a unary chain gives one bracket per label;
- brackets are a multiset, matched by (label, start, end); scores are summed over the whole corpus.

POS accuracy is reported beside, as evalb does.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from nltk import Tree

from corpora.trees import CHAIN, tree_spans

PUNCTUATION = {"''", "``", ".", ":", ","}
EQUIVALENT = {"PRT": "ADVP"}


def brackets(tree: Tree, gold_tags: Sequence[str] | None = None) -> Counter:
    """The labelled brackets ``(label, start, end)`` of a tree with preterminals, counted over the words
    that are not punctuation; punctuation is read from ``gold_tags`` (default: the tree's own tags)."""
    words, tags, spans = tree_spans(tree)
    keep = [t not in PUNCTUATION for t in (gold_tags if gold_tags is not None else tags)]
    before = [0]
    for k in keep:
        before.append(before[-1] + k)
    out: Counter = Counter()
    for (i, j), chain in spans.items():
        if before[j] > before[i]:
            for label in chain.split(CHAIN):
                out[(EQUIVALENT.get(label, label), before[i], before[j])] += 1
    return out


@dataclass
class ParseScores:
    matched: int
    gold: int
    predicted: int
    tags_right: int
    words: int
    sentences: int

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def tag_accuracy(self) -> float:
        return self.tags_right / self.words if self.words else 0.0

    def summary(self) -> str:
        return (f"labelled brackets P {100 * self.precision:.2f} R {100 * self.recall:.2f} "
                f"F1 {100 * self.f1:.2f}, POS {100 * self.tag_accuracy:.2f}% ({self.sentences} sentences)")


def score_parses(gold: Sequence[Tree], predicted: Sequence[Tree]) -> ParseScores:
    """evalb-style scores of ``predicted`` against ``gold`` trees, which must have the same words."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold trees but {len(predicted)} parses")
    matched = n_gold = n_pred = tags_right = n_words = 0
    for k, (g, p) in enumerate(zip(gold, predicted)):
        g_words, g_tags, _ = tree_spans(g)
        p_words, p_tags, _ = tree_spans(p)
        if g_words != p_words:
            raise ValueError(f"sentence {k}: the parse's words differ from the gold tree's")
        gb, pb = brackets(g), brackets(p, g_tags)
        matched += sum((gb & pb).values())
        n_gold += sum(gb.values())
        n_pred += sum(pb.values())
        tags_right += sum(a == b for a, b in zip(g_tags, p_tags))
        n_words += len(g_words)
    return ParseScores(matched, n_gold, n_pred, tags_right, n_words, len(gold))
