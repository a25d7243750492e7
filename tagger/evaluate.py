"""Scoring a tagger: accuracy, accuracy on out-of-vocabulary words, and a per-tag report."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from corpora.tagged import Sentence


@dataclass
class Evaluation:
    accuracy: float
    oov_accuracy: float
    tokens: int
    oov_tokens: int
    gold: list[str]
    predicted: list[str]

    def report(self) -> str:
        """scikit-learn's per-tag precision / recall / F1 table."""
        from sklearn.metrics import classification_report

        return classification_report(self.gold, self.predicted, zero_division=0)

    def summary(self) -> str:
        return (f"accuracy {100 * self.accuracy:.2f}% on {self.tokens} tokens; "
                f"OOV accuracy {100 * self.oov_accuracy:.2f}% on {self.oov_tokens} unseen tokens")


def check_tagset(gold: Sequence[Sentence], tagset: Sequence[str]) -> None:
    """Refuse to score a model on gold data whose tags are mostly not the model's (another tag set):
    the accuracy would be meaningless."""
    known = set(tagset)
    tags = [t for s in gold for _, t in s]
    if not tags:
        raise ValueError("the gold data hold no tagged tokens")
    foreign = sum(t not in known for t in tags)
    if foreign > len(tags) / 2:
        gold_set = sorted(set(tags))

        def few(names: list[str]) -> str:
            return " ".join(names[:12]) + (f" ... ({len(names)} tags)" if len(names) > 12 else "")
        raise ValueError(f"{foreign:,} of {len(tags):,} gold tags are not in the model's tag set: the data use "
                         f"{few(gold_set)}; the model knows {few(list(tagset))}. Evaluate on data tagged with the "
                         f"model's tag set (e.g. --tagset, --column)")


def evaluate(tag_sents: Callable[[list[list[str]]], list[list[tuple[str, str]]]], gold: Sequence[Sentence],
             known: Callable[[str], bool]) -> Evaluation:
    """Score any ``tag_sents`` function (ours, NLTK's, a CRF's) on gold sentences.

    ``known(word)`` says whether a word was seen in training; the others count as OOV.
    """
    predicted = tag_sents([[w for w, _ in s] for s in gold])
    g, p, oov_right, oov = [], [], 0, 0
    for ps, gs in zip(predicted, gold):
        for (_, pt), (w, gt) in zip(ps, gs):
            g.append(gt)
            p.append(pt)
            if not known(w):
                oov += 1
                oov_right += pt == gt
    right = sum(a == b for a, b in zip(g, p))
    return Evaluation(right / max(1, len(g)), oov_right / max(1, oov), len(g), oov, g, p)
