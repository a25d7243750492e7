"""Turning token lists into tensors: padded word ids plus one character row per distinct word.

A batch of sentences holds many repeats ("the", ",", "."), so characters are encoded once
per distinct word *type* in the batch; every token then points at its type's row through
``type_index``. Row 0 is a padding type that padded positions point at.
"""
from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from .vocab import Vocab

# word shapes, a cheap orthographic feature the character encoder need not rediscover
SHAPES = ("<pad>", "lower", "Title", "UPPER", "mIxed", "digits", "has-digit", "punct", "other")


@lru_cache(maxsize=200_000)  # the same word forms recur in every batch
def word_shape(word: str) -> int:
    if word.isdigit():
        return 5
    if any(c.isdigit() for c in word):
        return 6
    if not any(c.isalnum() for c in word):
        return 7
    if word.islower():
        return 1
    if word.isupper():
        return 3
    if word[:1].isupper() and (len(word) == 1 or word[1:].islower()):
        return 2
    if any(c.isalpha() for c in word):
        return 4
    return 8


@dataclass
class WordBatch:
    """Everything the shared embedding layer needs for a batch of token sequences."""

    word_ids: torch.Tensor     # (B, T) normalised-word ids, 0 = padding
    type_index: torch.Tensor   # (B, T) row of each token in char_ids, 0 = padding
    char_ids: torch.Tensor     # (U, L) characters of each distinct word, <w> ... </w>
    shapes: torch.Tensor       # (U,) word-shape id of each distinct word
    lengths: torch.Tensor      # (B,) true sequence lengths
    vector_ids: torch.Tensor | None = None  # (B, T) rows in the pretrained vector table, when the vocab has one
    features: torch.Tensor | None = None    # (B, T, F) ids of the extra input columns, when the vocab has them
    types: tuple[str, ...] | None = None    # the distinct word forms, rows 1.. of char_ids (a cache key)

    @property
    def mask(self) -> torch.Tensor:
        return self.type_index != 0     # by position: a word spelled like the padding symbol is still a word

    def by_type(self) -> "WordBatch":
        """The batch's distinct word forms as one sequence, each once, in ``char_ids`` row order: what
        a network needs when a token's vector depends on its form alone (no extra input columns), so work
        per token can be done per type (in training, word dropout then drops a type, not a token). Token
        ``(b, t)`` is type ``type_index[b, t] - 1`` of it."""
        if self.features is not None:
            raise ValueError("tokens with extra input columns are not a function of their word form")
        n, index = len(self.char_ids) - 1, self.type_index.flatten()
        per_type = lambda ids: ids.new_zeros(n + 1).scatter_(0, index, ids.flatten())[1:].unsqueeze(0)  # noqa: E731
        # (every token of a type has the same ids, so the scatter's order does not matter)
        return WordBatch(per_type(self.word_ids), torch.arange(1, n + 1, device=index.device).unsqueeze(0),
                         self.char_ids, self.shapes, torch.tensor([n]),
                         per_type(self.vector_ids) if self.vector_ids is not None else None, None, self.types)

    def to(self, device: torch.device | str) -> "WordBatch":
        """The batch on ``device`` (``lengths`` stay on the CPU, where packing wants them)."""
        move = lambda t: t.to(device, non_blocking=True) if t is not None else None  # noqa: E731
        return WordBatch(move(self.word_ids), move(self.type_index), move(self.char_ids), move(self.shapes),
                         self.lengths, move(self.vector_ids), move(self.features), self.types)


def check_tokens(tokens: object, where: str = "sentence", n_features: int = 0) -> list:
    """Validate one token list: non-empty strings without whitespace inside; with ``n_features``
    extra input columns, each token is a tuple ``(word, feature, ...)`` of 1 + n_features strings."""
    if isinstance(tokens, str):
        raise TypeError(f"{where} is a str, not a list of tokens; split it first "
                        f"(or use tag_text() for raw text)")
    if not isinstance(tokens, Sequence):
        raise TypeError(f"{where} must be a list of str tokens, got {type(tokens).__name__}")
    if not n_features:      # the common case in one pass at C speed; the loop below names what is wrong
        try:
            if " ".join(tokens).split() == list(tokens):
                return list(tokens)
        except TypeError:
            pass
    for i, tok in enumerate(tokens):
        if n_features:
            if not (isinstance(tok, (tuple, list)) and len(tok) == 1 + n_features):
                raise TypeError(f"token {i} of {where} is {tok!r}: this model reads {n_features} feature column(s) "
                                f"beside each word, so a token is a tuple (word, {', '.join(['feature'] * n_features)})")
            values = tok
        else:
            if isinstance(tok, (tuple, list)):
                raise TypeError(f"token {i} of {where} is a {type(tok).__name__} ({tok!r}): this model reads words "
                                f"only (no feature columns), give str tokens")
            values = (tok,)
        for value in values:
            if not isinstance(value, str):
                raise TypeError(f"token {i} of {where} is a {type(value).__name__} ({value!r}), not a str")
            if not value or value.split() != [value]:
                raise ValueError(f"token {i} of {where} ({value!r}) is empty or contains whitespace; "
                                 f"tokens must be single words")
    return [tuple(t) for t in tokens] if n_features else list(tokens)


def split_tokens(tokens: Sequence) -> tuple[list[str], list[tuple[str, ...]] | None]:
    """Tokens as given (str, or tuples ``(word, feature, ...)``) -> (words, features or None)."""
    if tokens and isinstance(tokens[0], (tuple, list)):
        return [t[0] for t in tokens], [tuple(t[1:]) for t in tokens]
    return list(tokens), None


def encode_words(vocab: Vocab, sentences: Sequence[Sequence[str]],
                 features: Sequence[Sequence[Sequence[str]]] | None = None) -> WordBatch:
    """Encode token lists (not validated here; see :func:`check_tokens`) as a :class:`WordBatch`;
    ``features`` gives per sentence, per token, the extra input columns the vocabulary knows."""
    if (vocab.features is None) != (features is None):
        raise ValueError("this vocabulary reads " + (f"{len(vocab.features)} feature column(s) beside each word; "
                         "give them" if vocab.features else "words only; give no feature columns"))
    B = len(sentences)
    lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=B)
    T = int(lengths.max(initial=0))
    types: dict[str, int] = {}
    flat = [types.setdefault(w, len(types) + 1) for sent in sentences for w in sent]   # type of each token
    type_index = _padded(flat, lengths, T)
    # everything else is looked up once per type, then spread to tokens by type_index
    ids = torch.tensor([(0, 0)] + [vocab.word_ids(w) for w in types], dtype=torch.long)   # row 0: padding
    rows = [vocab.char_row(w) for w in types]
    char_ids = _padded([c for r in rows for c in r], np.array([0] + [len(r) for r in rows]),
                       max((len(r) for r in rows), default=1))
    shapes = torch.tensor([0] + [word_shape(w) for w in types], dtype=torch.long)
    feature_ids = None
    if features is not None:
        F = len(vocab.features)
        feature_ids = torch.zeros(B, T, F, dtype=torch.long)
        for b, sent in enumerate(features):
            if sent:
                feature_ids[b, : len(sent)] = torch.tensor([vocab.feature_ids(v) for v in sent], dtype=torch.long)
    return WordBatch(ids[:, 0][type_index], type_index, char_ids, shapes,
                     torch.tensor([len(s) for s in sentences], dtype=torch.long),
                     ids[:, 1][type_index] if vocab.vector_words is not None else None, feature_ids, tuple(types))


def _padded(flat: list[int], lengths: np.ndarray, width: int) -> torch.Tensor:
    """(len(lengths), width) long tensor: row i holds the next ``lengths[i]`` items of ``flat``, then zeros
    (one NumPy fill: building it from nested lists cost a third of a batch's encoding time)."""
    out = np.zeros((len(lengths), width), dtype=np.int64)
    out[np.arange(width) < lengths[:, None]] = np.array(flat, dtype=np.int64)
    return torch.from_numpy(out)


def windows(length: int, size: int, context: int) -> list[tuple[int, int, int, int]]:
    """Cut a sequence of ``length`` items into overlapping windows of at most ``size`` items, for a
    network that reads each item in the light of ``context`` items on either side.

    Returns ``(start, end, keep_start, keep_end)`` per window: the network reads items
    ``[start, end)`` and its answers for ``[keep_start, keep_end)`` are kept. The kept parts tile
    ``[0, length)`` in order, and every kept item has ``context`` items of its window on each side
    (or the sequence's edge), so stitched answers rarely differ from reading the whole sequence."""
    if length <= size:
        return [(0, length, 0, length)]
    if size <= 2 * context:
        raise ValueError(f"a window of {size} items cannot keep {context} items of context on both sides")
    out, keep = [], 0
    while keep < length:
        start = max(0, keep - context)
        end = min(length, start + size)
        keep_end = end if end == length else end - context
        out.append((start, end, keep, keep_end))
        keep = keep_end
    return out


def token_batches(lengths: Sequence[int], max_tokens: int) -> Iterator[list[int]]:
    """Yield lists of indices of items of similar length, each batch at most ``max_tokens`` padded
    items (count x longest); an item longer than ``max_tokens`` is a batch of its own."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    batch: list[int] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if batch and (len(batch) + 1) * lengths[i] > max_tokens:
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


JITTER = 4   # with shuffle, lengths are compared after adding up to this much noise


def length_batches(lengths: Sequence[int], batch_size: int, shuffle: bool = False,
                   rng: random.Random | None = None) -> Iterator[list[int]]:
    """Yield lists of indices whose items have similar lengths (little padding).

    With ``shuffle`` the order inside equal-ish lengths and the order of batches are random,
    so every epoch sees different batches while padding stays small.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    rng = rng or random.Random(0)
    order = list(range(len(lengths)))
    if shuffle:
        rng.shuffle(order)
        order.sort(key=lambda i: lengths[i] + rng.random() * JITTER)  # so buckets mix
    else:
        order.sort(key=lambda i: lengths[i])
    batches = [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
    if shuffle:
        rng.shuffle(batches)
    yield from batches
