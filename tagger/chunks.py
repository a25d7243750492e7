"""Chunk and entity tag sets (IOB1, IOB2, BIOES): which scheme a tag set uses, IOB1 -> IOB2 repair,
and the spans a tag sequence marks.

Spans are read as conlleval reads them (and ``seqeval``'s default mode, which scores them): a chunk
starts at ``B-X`` or ``S-X``, and also at an ``I-X``/``E-X`` that does not continue a chunk of type X
(after ``O``, another type, or a closed ``E-``/``S-``); it ends before the next tag that does not
continue it, or at its ``E-X``/``S-X``.

>>> spans(["B-PER", "I-PER", "O", "I-LOC", "B-LOC"])
[(0, 2, 'PER'), (3, 4, 'LOC'), (4, 5, 'LOC')]
"""
from __future__ import annotations

from collections.abc import Sequence


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
