"""Scoring a tagger: accuracy, accuracy on out-of-vocabulary words, a per-tag report, and for chunk
tag sets (IOB / IOB2 / BIOES) precision, recall and F1 of exact spans, conlleval's convention
(``seqeval``, its default mode: an ``I-X`` after ``O`` starts a chunk, as conlleval reads it)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from corpora.tagged import Sentence, split_tagged

from .chunks import chunk_scheme, spans


def _overlaps(start: int, end: int, others: Sequence[tuple[int, int, str]]) -> bool:
    """Whether tokens start..end-1 share a token with any of the ``(start, end, type)`` spans ``others``."""
    return any(s < end and start < e for s, e, _ in others)


@dataclass
class SpanErrors:
    """Where the spans of a prediction go wrong. Each gold span is counted once: ``correct`` (same
    start, end and type), ``wrong_type`` (same start and end), ``wrong_boundary`` (overlaps a
    predicted span, none with its start and end) or ``missed`` (overlaps none); ``spurious`` counts
    the predicted spans that overlap no gold span. So recall is ``correct / gold`` and precision
    ``correct / predicted``. ``confusions[(gold type, predicted type)]`` counts the wrong types."""

    gold: int = 0
    predicted: int = 0
    correct: int = 0
    wrong_type: int = 0
    wrong_boundary: int = 0
    missed: int = 0
    spurious: int = 0
    confusions: Counter = field(default_factory=Counter)

    def add(self, gold_tags: Sequence[str], predicted_tags: Sequence[str]) -> None:
        """Count one sentence's spans."""
        gold, pred = spans(gold_tags), spans(predicted_tags)
        kind_at = {(a, b): kind for a, b, kind in pred}
        self.gold, self.predicted = self.gold + len(gold), self.predicted + len(pred)
        for a, b, kind in gold:
            if (a, b) in kind_at:
                if kind_at[(a, b)] == kind:
                    self.correct += 1
                else:
                    self.wrong_type += 1
                    self.confusions[(kind, kind_at[(a, b)])] += 1
            elif _overlaps(a, b, pred):
                self.wrong_boundary += 1
            else:
                self.missed += 1
        self.spurious += sum(not _overlaps(a, b, gold) for a, b, _ in pred)

    def summary(self) -> str:
        wrong = self.gold - self.correct

        def share(n: int) -> str:
            return f"{n:,} ({100 * n / max(1, wrong):.0f}%)"
        top = ", ".join(f"{g}->{p} {n}" for (g, p), n in self.confusions.most_common(3))
        return (f"span errors: of {self.gold:,} gold spans {wrong:,} not found: wrong type {share(self.wrong_type)}"
                + (f" [{top}]" if top else "") + f", wrong boundary {share(self.wrong_boundary)}, missed "
                f"{share(self.missed)}; {self.spurious:,} of {self.predicted:,} predicted spans overlap no gold span")


@dataclass
class Evaluation:
    accuracy: float
    oov_accuracy: float
    tokens: int
    oov_tokens: int
    gold: list[list[str]] = field(repr=False)        # per sentence
    predicted: list[list[str]] = field(repr=False)

    @property
    def chunks(self) -> bool:
        """True when the tags are chunk tags, so span scores mean something."""
        return chunk_scheme(sorted({t for s in self.gold for t in s} | {t for s in self.predicted for t in s})) \
            is not None

    def spans(self) -> tuple[float, float, float]:
        """Precision, recall and F1 of exact chunk spans (chunk tag sets only)."""
        from seqeval.metrics import f1_score, precision_score, recall_score

        if not self.chunks:
            raise ValueError("span scores need a chunk tag set (IOB, IOB2 or BIOES tags)")
        return (precision_score(self.gold, self.predicted), recall_score(self.gold, self.predicted),
                f1_score(self.gold, self.predicted))

    def span_types(self) -> dict[str, tuple[float, float, float, int]]:
        """Per chunk type: precision, recall, F1 and the number of gold spans (chunk tag sets only)."""
        from seqeval.metrics import classification_report as span_report

        if not self.chunks:
            raise ValueError("span scores need a chunk tag set (IOB, IOB2 or BIOES tags)")
        table = span_report(self.gold, self.predicted, output_dict=True, zero_division=0)
        return {kind: (float(row["precision"]), float(row["recall"]), float(row["f1-score"]), int(row["support"]))
                for kind, row in table.items() if " avg" not in kind}

    def span_errors(self) -> SpanErrors:
        """Gold spans not found, by why: wrong type, wrong boundary, missed (chunk tag sets only)."""
        if not self.chunks:
            raise ValueError("span errors need a chunk tag set (IOB, IOB2 or BIOES tags)")
        errors = SpanErrors()
        for gold, predicted in zip(self.gold, self.predicted):
            errors.add(gold, predicted)
        return errors

    def report(self) -> str:
        """Per chunk type precision / recall / F1 (seqeval) for chunk tags; per tag (scikit-learn) otherwise."""
        if self.chunks:
            from seqeval.metrics import classification_report as span_report

            return span_report(self.gold, self.predicted, digits=4, zero_division=0)
        from sklearn.metrics import classification_report

        return classification_report(sum(self.gold, []), sum(self.predicted, []), zero_division=0)

    def summary(self) -> str:
        line = (f"accuracy {100 * self.accuracy:.2f}% on {self.tokens} tokens; "
                f"OOV accuracy {100 * self.oov_accuracy:.2f}% on {self.oov_tokens} unseen tokens")
        if self.chunks:
            p, r, f = self.spans()
            line += f"; chunks: precision {100 * p:.2f}%, recall {100 * r:.2f}%, F1 {100 * f:.2f}"
        return line


def check_tagset(gold: Sequence[Sentence], tagset: Sequence[str]) -> None:
    """Refuse to score a model on gold data whose tags are mostly not the model's (another tag set):
    the accuracy would be meaningless. Chunk and entity data are judged by their tags other than
    ``O``, so a file of ``B-PERSON`` entities is refused by a model of ``B-PER`` ones."""
    known = set(tagset)
    tags = [t[-1] for s in gold for t in s]
    if not tags:
        raise ValueError("the gold data hold no tagged tokens")
    tags = [t for t in tags if t != "O"] or tags
    foreign = sum(t not in known for t in tags)
    if foreign > len(tags) / 2:
        gold_set = sorted(set(tags))

        def few(names: list[str]) -> str:
            return " ".join(names[:12]) + (f" ... ({len(names)} tags)" if len(names) > 12 else "")
        raise ValueError(f"{foreign:,} of {len(tags):,} gold tags are not in the model's tag set: the data use "
                         f"{few(gold_set)}; the model knows {few(list(tagset))}. Evaluate on data tagged with the "
                         f"model's tag set (e.g. --tagset, --column)")


def evaluate(tag_sents: Callable[[list[list]], list[list[tuple]]], gold: Sequence[Sentence],
             known: Callable[[str], bool]) -> Evaluation:
    """Score any ``tag_sents`` function (ours, NLTK's, a CRF's) on gold sentences.

    Gold items are ``(word, tag)`` or ``(word, feature, ..., tag)``; ``tag_sents`` gets the tokens
    (words, or ``(word, feature, ...)`` tuples) and returns items whose last element is the tag.
    ``known(word)`` says whether a word was seen in training; the others count as OOV.
    """
    split = [split_tagged(s) for s in gold]
    predicted = tag_sents([tokens for tokens, _ in split])
    g, p, right, oov_right, oov = [], [], 0, 0, 0
    for out, (tokens, tags) in zip(predicted, split):
        pred = [item[-1] for item in out]
        g.append(list(tags))
        p.append(pred)
        for token, pt, gt in zip(tokens, pred, tags):
            right += pt == gt
            if not known(token[0] if isinstance(token, tuple) else token):
                oov += 1
                oov_right += pt == gt
    tokens = sum(map(len, g))
    return Evaluation(right / max(1, tokens), oov_right / max(1, oov), tokens, oov, g, p)
