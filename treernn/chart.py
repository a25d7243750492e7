"""Chart decoding for the span parser: the best binary bracketing under span label scores (CKY), and
the tree it stands for.

A sentence of ``n`` words has spans ``(i, j)``, ``0 <= i < j <= n``. A binary bracketing holds ``2n - 1`` of
them; each takes a label, or the empty label (index 0: not a constituent, e.g. a span made by binarising).
Its score is the sum of its spans' label scores, so the best one is found exactly by dynamic programming
over span lengths, in O(n^3) additions (vectorised over start positions and split points).
"""
from __future__ import annotations

import numpy as np
from nltk import Tree

from corpora.trees import CHAIN

Span = tuple[int, int, int]      # (start, end, label id); end exclusive


def cky(scores: np.ndarray) -> tuple[float, list[Span]]:
    """The best bracketing under ``scores`` (n + 1, n + 1, L), read at ``[i, j]`` for ``i < j``.

    Each span takes its best label; the whole sentence takes its best non-empty label (a parse has a
    root). Returns ``(score, spans)``: all ``2n - 1`` spans of the bracketing, parents before children."""
    n = scores.shape[0] - 1
    if n < 1 or scores.shape[:2] != (n + 1, n + 1) or scores.shape[2] < 2:
        raise ValueError(f"scores must be (n + 1, n + 1, labels >= 2) with n >= 1, got {scores.shape}")
    label = scores.argmax(-1)
    best = scores.max(-1).astype(np.float64)
    label[0, n] = 1 + scores[0, n, 1:].argmax()
    best[0, n] = scores[0, n, label[0, n]]
    chart = np.zeros((n + 1, n + 1))
    split = np.zeros((n + 1, n + 1), dtype=np.int64)
    starts = np.arange(n)
    chart[starts, starts + 1] = best[starts, starts + 1]
    for length in range(2, n + 1):
        i = np.arange(n - length + 1)[:, None]                 # (m, 1) starts
        k = i + np.arange(1, length)[None, :]                  # (m, length - 1) split points
        totals = chart[i, k] + chart[k, i + length]
        pick = totals.argmax(1)
        rows = np.arange(len(i))
        split[i[:, 0], i[:, 0] + length] = k[rows, pick]
        chart[i[:, 0], i[:, 0] + length] = totals[rows, pick] + best[i[:, 0], i[:, 0] + length]
    spans, stack = [], [(0, n)]
    while stack:
        a, b = stack.pop()
        spans.append((a, b, int(label[a, b])))
        if b - a > 1:
            stack += [(split[a, b], b), (a, split[a, b])]
    return float(chart[0, n]), spans


def build_tree(words: list[str], tags: list[str], spans: list[Span], names: list[str]) -> Tree:
    """The ``nltk.Tree`` of a bracketing from :func:`cky`: ``(TAG word)`` preterminals, each labelled span a
    phrase (a chain ``S+VP`` a unary chain), empty spans dissolved into their parent."""
    built: dict[tuple[int, int], list] = {}
    children = {}
    for a, b, _ in spans:
        children.setdefault(a, []).append(b)
    for a, b, lab in reversed(spans):                          # children before parents
        if b - a == 1:
            kids = [Tree(tags[a], [words[a]])]
        else:
            k = next(e for e in children[a] if a < e < b and (e, b) in built)
            kids = built.pop((a, k)) + built.pop((k, b))
        if names[lab]:
            chain = names[lab].split(CHAIN)
            node = Tree(chain[-1], kids)
            for outer in reversed(chain[:-1]):
                node = Tree(outer, [node])
            kids = [node]
        built[(a, b)] = kids
    (root,) = built.pop((0, len(words)))
    return root
