"""Chunk and entity tag sets (IOB1, IOB2, BIOES): which scheme a tag set uses, IOB1 -> IOB2 repair,
the spans a tag sequence marks, and entity types made consistent across neighbouring sentences.

Spans are read as conlleval reads them (and ``seqeval``'s default mode, which scores them): a chunk
starts at ``B-X`` or ``S-X``, and also at an ``I-X``/``E-X`` that does not continue a chunk of type X
(after ``O``, another type, or a closed ``E-``/``S-``); it ends before the next tag that does not
continue it, or at its ``E-X``/``S-X``.

>>> spans(["B-PER", "I-PER", "O", "I-LOC", "B-LOC"])
[(0, 2, 'PER'), (3, 4, 'LOC'), (4, 5, 'LOC')]
"""
from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

CONSISTENT = 10   # sentences on each side that vote on a name's type: chosen on CoNLL-2002 Spanish dev (README)


def chunk_scheme(labels: Sequence[str]) -> str | None:
    """"bioes", "bio" or None (not a chunk tag set), from the label names."""
    prefixes = {lab[:2] for lab in labels if lab != "O"}
    if not labels or any(len(lab) < 3 or lab[1] != "-" for lab in labels if lab != "O"):
        return None
    if prefixes <= {"B-", "I-"}:
        return "bio"
    if prefixes <= {"B-", "I-", "E-", "S-"}:
        return "bioes"
    return None


def to_iob2(tags: Sequence[str]) -> list[str]:
    """IOB1 (a chunk may start with I-) to IOB2 (every chunk starts with B-); the same chunks."""
    out, prev = [], "O"
    for tag in tags:
        if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
            tag = "B-" + tag[2:]
        out.append(tag)
        prev = tag
    return out


def continues(prev: str, tag: str) -> bool:
    """Whether ``tag`` continues the chunk that ``prev`` is part of (conlleval's convention)."""
    return tag[:2] in ("I-", "E-") and prev[:2] in ("B-", "I-") and prev[2:] == tag[2:]


def spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """The chunks of a tag sequence as ``(start, end, type)``, ``end`` exclusive, in order."""
    out: list[tuple[int, int, str]] = []
    start = None
    for i, tag in enumerate(tags):
        if start is not None and not continues(tags[i - 1], tag):
            out.append((start, i, tags[start][2:]))
            start = None
        if start is None and tag != "O" and len(tag) > 2 and tag[1] == "-":
            start = i
    if start is not None:
        out.append((start, len(tags), tags[start][2:]))
    return out


def consistent_types(sentences: Iterable[tuple], window: int) -> Iterator[list[str]]:
    """The tags of ``(words, tags)`` or ``(words, tags, weights)`` sentences, read in order as one text,
    with each span's type made consistent with its neighbours': the spans of the same words in the
    ``window`` sentences before and after it (itself included) vote, and it takes the type with the
    most votes (its own on a tie). A span's vote counts 1, or its weight: ``weights`` are one number per
    span of ``tags`` (:func:`spans`), e.g. the model's probability of it. Spans keep their boundaries.
    Newswire repeats a name within an article, and a model that types one mention from a clear context
    ("el alcalde de Toledo") can type the others.

    Sentences are read as they come and yielded in order; at most ``2 * window + 1`` are held.

    >>> text = [("Visitó Toledo".split(), ["O", "B-ORG"]), ("El alcalde de Toledo".split(), ["O", "O", "O", "B-LOC"]),
    ...         ("Toledo crece".split(), ["B-LOC", "O"])]
    >>> list(consistent_types(text, 2))
    [['O', 'B-LOC'], ['O', 'O', 'O', 'B-LOC'], ['B-LOC', 'O']]
    """
    if type(window) is not int or window < 0:
        raise ValueError(f"window must be an integer >= 0 (sentences on each side), got {window!r}")
    held: deque = deque()    # (words, tags, spans, weights) of sentences base, base + 1, ...
    base = done = 0
    for words, tags, *weights in sentences:
        found, n = spans(tags), base + len(held)
        weights = list(weights[0]) if weights else [1.0] * len(found)
        if len(words) != len(tags):
            raise ValueError(f"sentence {n}: {len(words)} words but {len(tags)} tags")
        if len(weights) != len(found):
            raise ValueError(f"sentence {n}: {len(found)} spans but {len(weights)} weights")
        held.append((list(words), list(tags), found, weights))
        while done < base + len(held) - window:          # sentence `done` has its right neighbours
            yield _voted(held, done - base, window)
            done += 1
            if done - base > window:
                held.popleft()
                base += 1
    while done < base + len(held):
        yield _voted(held, done - base, window)
        done += 1


def _voted(held: deque, i: int, window: int) -> list[str]:
    """Sentence ``i`` of ``held``, each span retyped by the vote of the same words' spans in reach."""
    words, tags, found, _ = held[i]
    near = [(tuple(w[s:e]), kind, weight) for w, _, sp, weights in islice(held, max(0, i - window), i + window + 1)
            for (s, e, kind), weight in zip(sp, weights)]
    tags = list(tags)
    for start, end, kind in found:
        name = tuple(words[start:end])
        votes: Counter = Counter()
        for other, k, weight in near:
            if other == name:
                votes[k] += weight
        best = max(votes, key=lambda k: (votes[k], k == kind))
        if best == kind:
            continue
        tags[start:end] = [tag[:2] + best for tag in tags[start:end]]
        for at in (start, end):   # a retyped span must not run into its neighbour, nor its neighbour into it
            if 0 < at < len(tags) and continues(tags[at - 1], tags[at]):
                tags[at] = ("B-" if tags[at][:2] == "I-" else "S-") + tags[at][2:]
    return tags
