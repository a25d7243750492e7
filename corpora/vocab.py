"""Vocabularies: words, characters and labels, each a two-way string <-> index map.

Words are looked up in a normalised form (lower case, digits as ``0``) so "The"/"the" and
"1987"/"1988" share a vector; the character encoder still sees the word as written, case
and digits included.

>>> v = Vocab.build([["The", "cat"], ["the", "dog"]], [["DT", "NN"], ["DT", "NN"]])
>>> v.words.index("THE") == v.words.index("the"), v.labels.strings
(True, ['DT', 'NN'])
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

PAD, UNK, BOW, EOW = "<pad>", "<unk>", "<w>", "</w>"
VOCAB_FORMAT = 3      # 2: optional "vector_words" (words that have a pretrained vector); 3: optional "features"
MAX_WORD_CHARS = 24   # longer words keep their first and last 12 characters: prefix and suffix matter
CACHE_SIZE = 200_000
_DIGIT = re.compile(r"\d")


def normalize(word: str) -> str:
    """The key under which a word is looked up in the word vocabulary."""
    return _DIGIT.sub("0", word.lower())


class Index:
    """An ordered set of strings; ``specials`` come first, unknown strings map to ``unk`` (if any)."""

    def __init__(self, strings: Iterable[str], unk: str | None = None):
        self.strings: list[str] = list(strings)
        self._ids = {s: i for i, s in enumerate(self.strings)}
        if len(self._ids) != len(self.strings):
            raise ValueError("an Index may not hold the same string twice")
        self.unk_id = self._ids[unk] if unk is not None else None

    def __len__(self) -> int:
        return len(self.strings)

    def __contains__(self, s: str) -> bool:
        return s in self._ids

    def index(self, s: str) -> int:
        i = self._ids.get(s, self.unk_id)
        if i is None:
            raise KeyError(f"{s!r} is not in this index of {len(self)} entries")
        return i

    def __getitem__(self, i: int) -> str:
        return self.strings[i]


class Vocab:
    """Words (with their training counts, for word dropout), characters and labels of one corpus.

    ``vector_words``, when given, lists the words of a pretrained vector table
    (:class:`corpora.wordvectors.WordVectors`) in table order after ``<pad>`` and ``<unk>``; it is
    a separate index because it reaches far beyond the training words. ``features``, when given,
    holds one index per extra input column (a CoNLL-2000 POS tag beside each word, say).
    """

    def __init__(self, words: list[str], word_counts: list[int], chars: list[str], labels: list[str],
                 vector_words: list[str] | None = None, features: list[list[str]] | None = None):
        if len(words) != len(word_counts):
            raise ValueError("words and word_counts differ in length")
        self.words = Index(words, unk=UNK)
        self.word_counts = word_counts
        self.chars = Index(chars, unk=UNK)
        self.labels = Index(labels)
        self.vector_words = Index(vector_words, unk=UNK) if vector_words is not None else None
        self.features = [Index(f, unk=UNK) for f in features] if features else None
        # lookups repeat for the same word forms: cache them (bounded, plain dicts)
        self._word_ids: dict[str, tuple[int, int]] = {}
        self._char_rows: dict[str, list[int]] = {}

    @classmethod
    def build(cls, sentences: Iterable[list[str]], label_seqs: Iterable[Iterable[str]] = (),
              min_count: int = 1, extra_labels: Iterable[str] = (),
              vector_words: Iterable[str] | None = None,
              feature_seqs: Iterable[Sequence[Sequence[str]]] | None = None) -> "Vocab":
        """Count training tokens; words seen fewer than ``min_count`` times become ``<unk>``.

        ``vector_words``: the (normalised) words of a pretrained vector table, in its row order.
        ``feature_seqs``: per sentence, per token, the values of the extra input columns.
        """
        features = None
        if feature_seqs is not None:
            columns: list[set[str]] = []
            for sent in feature_seqs:
                for values in sent:
                    columns += [set() for _ in range(len(values) - len(columns))]
                    for column, value in zip(columns, values):
                        column.add(value)
            features = [[PAD, UNK, *sorted(c)] for c in columns] or None
        words, chars = Counter(), Counter()
        for sent in sentences:
            for w in sent:
                words[normalize(w)] += 1
                chars.update(w)
        labels = set(extra_labels)
        for seq in label_seqs:
            labels.update(seq)
        kept = sorted((w for w, c in words.items() if c >= min_count), key=lambda w: (-words[w], w))
        return cls(
            words=[PAD, UNK] + kept,
            word_counts=[0, 0] + [words[w] for w in kept],
            chars=[PAD, UNK, BOW, EOW] + sorted(chars),
            labels=sorted(labels),
            vector_words=[PAD, UNK, *vector_words] if vector_words is not None else None,
            features=features,
        )

    def word_ids(self, word: str) -> tuple[int, int]:
        """``(row in the word embedding, row in the pretrained vector table)``; the second is 0 without one."""
        ids = self._word_ids.get(word)
        if ids is None:
            key = normalize(word)
            if key == PAD:   # text spelling the padding symbol is an unknown word, not padding
                key = UNK
            ids = self.words.index(key), self.vector_words.index(key) if self.vector_words is not None else 0
            if len(self._word_ids) < CACHE_SIZE:
                self._word_ids[word] = ids
        return ids

    def word_id(self, word: str) -> int:
        return self.word_ids(word)[0]

    def char_row(self, word: str) -> list[int]:
        """``<w>``, the word's character ids, ``</w>``; words over MAX_WORD_CHARS keep both ends."""
        row = self._char_rows.get(word)
        if row is None:
            half = MAX_WORD_CHARS // 2
            chars = word if len(word) <= MAX_WORD_CHARS else word[:half] + word[-half:]
            index = self.chars.index
            row = [index(BOW)] + [index(c) for c in chars] + [index(EOW)]
            if len(self._char_rows) < CACHE_SIZE:
                self._char_rows[word] = row
        return row

    def feature_ids(self, values: Sequence[str]) -> list[int]:
        """Ids of one token's extra-column values (unknown values: ``<unk>``)."""
        return [index.index(v) for index, v in zip(self.features or (), values)]

    def knows(self, word: str) -> bool:
        """True when ``word`` has its own vector (it was seen in training often enough)."""
        return normalize(word) in self.words

    # -- persistence ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = {"format_version": VOCAB_FORMAT, "words": self.words.strings, "word_counts": self.word_counts,
             "chars": self.chars.strings, "labels": self.labels.strings}
        if self.vector_words is not None:
            d["vector_words"] = self.vector_words.strings
        if self.features is not None:
            d["features"] = [f.strings for f in self.features]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Vocab":
        """Inverse of :meth:`to_dict` (saved models hold it as JSON, see ``deeptrees.modelfile``)."""
        version = d.get("format_version", 0)
        if type(version) is not int or version > VOCAB_FORMAT:
            raise ValueError(f"vocabulary format {version!r} is not one this package reads (up to {VOCAB_FORMAT})")
        return cls(d["words"], d["word_counts"], d["chars"], d["labels"], d.get("vector_words"), d.get("features"))

    def with_labels(self, labels: Iterable[str]) -> "Vocab":
        """The same words, characters, vector words and feature columns with another label set (a new
        task on a trained embedding)."""
        vector_words = self.vector_words.strings if self.vector_words is not None else None
        features = [f.strings for f in self.features] if self.features is not None else None
        return Vocab(self.words.strings, self.word_counts, self.chars.strings, list(labels), vector_words, features)

    def __repr__(self) -> str:
        vectors = f", {len(self.vector_words) - 2} with vectors" if self.vector_words is not None else ""
        vectors += f", {len(self.features)} feature columns" if self.features else ""
        return f"Vocab({len(self.words)} words{vectors}, {len(self.chars)} chars, {len(self.labels)} labels)"
