"""Word vectors: learned here from unlabelled NLTK text, or read from a GloVe / word2vec text file.

A tagger trained on 80k tokens meets words it never saw; the character encoder guesses their
tag from spelling, but spelling does not tell "consumer" (NN) from "consumerist" (JJ). The
*contexts* a word occurs in do, and plenty of untagged text is on the machine already (Brown,
CoNLL-2000, movie-review sentences). :meth:`WordVectors.learn` turns that text into vectors the
classic count-based way (Levy, Goldberg & Dagan 2015): count each word with the words one and
two positions to its left and right (separately, so order is kept, which is what syntax needs),
weight the counts by positive pointwise mutual information, and keep the top singular vectors.
It takes seconds, needs no GPU, and is deterministic.

>>> vectors = WordVectors.from_corpora(["brown", "conll2000"])        # doctest: +SKIP
>>> vectors.nearest("tuesday", 3)                                     # doctest: +SKIP
['monday', 'friday', 'wednesday']

The networks read these vectors frozen (see :class:`corpora.embedding.TokenEmbedding`), so a
word that never occurs in the labelled data still gets a meaningful vector at test time.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path

import numpy as np

from .resources import require
from .vocab import normalize

DEFAULT_CORPORA = ("brown", "conll2000", "sentence_polarity")
DEFAULT_VECTORS = ",".join(DEFAULT_CORPORA)   # the --word-vectors spec that training uses by default
LANGUAGE_VECTORS = {"en": DEFAULT_VECTORS, "es": "cess_esp", "nl": "alpino"}   # ... for a model of each language
NO_VECTORS = ("", "none", "no", "off")          # --word-vectors specs that mean: no word vectors
VECTOR_DIM = 64            # size of learned vectors: 35k words x 64 x float16 = 4.5 MB in a saved model
MAX_FILE_WORDS = 100_000   # the table is saved in every model: GloVe's 400k words would add 80 MB


@dataclass
class WordVectors:
    """Row ``i`` of ``vectors`` belongs to ``words[i]``; words are kept normalised (see
    :func:`corpora.vocab.normalize`), so lookups ignore case and digits as the vocabulary does."""

    words: list[str]
    vectors: np.ndarray   # (len(words), dim) float32

    def __post_init__(self) -> None:
        if any(not isinstance(w, str) for w in self.words):
            raise TypeError("WordVectors.words must all be str")
        self.words = [normalize(w) for w in self.words]
        self.vectors = np.asarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            raise ValueError(f"vectors must be a (len(words), dim) matrix; got shape {self.vectors.shape} "
                             f"for {len(self.words)} words")
        if len(set(self.words)) != len(self.words):
            raise ValueError("WordVectors.words holds the same (normalised) word twice")
        if not np.isfinite(self.vectors).all():
            raise ValueError("word vectors contain NaN or inf")
        self._rows = {w: i for i, w in enumerate(self.words)}

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return normalize(word) in self._rows

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self._rows[normalize(word)]]

    def nearest(self, word: str, k: int = 10) -> list[str]:
        """The ``k`` words whose vectors have the highest cosine with ``word``'s (a sanity check)."""
        row = self._rows.get(normalize(word))
        if row is None:
            raise KeyError(f"{word!r} has no vector")
        unit = self.vectors / np.maximum(np.linalg.norm(self.vectors, axis=1, keepdims=True), 1e-8)
        sims = unit @ unit[row]
        order = [i for i in np.argsort(-sims)[: k + 1] if i != row]
        return [self.words[i] for i in order[:k]]

    # -- learning from text --------------------------------------------------------------------
    @classmethod
    def learn(cls, sentences: Iterable[Sequence[str]], dim: int = VECTOR_DIM, window: int = 2, min_count: int = 2,
              contexts: int = 10_000, smoothing: float = 0.75, seed: int = 0) -> "WordVectors":
        """PPMI-SVD vectors for every word seen at least ``min_count`` times in ``sentences``.

        Context features are (offset, word) pairs for offsets ``-window..-1, 1..window``; the
        ``contexts`` most frequent words are context words, the rest share one ``<rare>`` context,
        and sentence edges are a ``<s>`` context. ``smoothing`` raises context counts to that power
        before they normalise PMI, which keeps rare contexts from dominating.
        """
        from scipy import sparse
        from sklearn.utils.extmath import randomized_svd

        if dim < 1 or window < 1 or min_count < 1 or contexts < 1:
            raise ValueError("dim, window, min_count and contexts must all be >= 1")
        tokens, names = _token_stream(sentences, window)
        counts = np.bincount(tokens[tokens >= 0], minlength=len(names))
        kept = sorted((i for i in range(len(names)) if counts[i] >= min_count), key=lambda i: (-counts[i], names[i]))
        if len(kept) <= dim:
            raise ValueError(f"only {len(kept)} words occur {min_count}+ times: too little text for "
                             f"{dim}-dimensional vectors")
        words = [names[i] for i in kept]
        n_ctx = min(contexts, len(kept)) + 2
        rare, edge = n_ctx - 2, n_ctx - 1
        # id -> row (-1: too rare for a vector) and id -> context; the extra last slot is what the
        # boundary id -1 indexes
        row_of = np.full(len(names) + 1, -1, dtype=np.int32)
        row_of[kept] = np.arange(len(kept), dtype=np.int32)
        ctx_of = np.full(len(names) + 1, rare, dtype=np.int32)
        ctx_of[kept[:contexts]] = np.arange(n_ctx - 2, dtype=np.int32)
        ctx_of[-1] = edge
        rows, ctxs = row_of[tokens], ctx_of[tokens]

        offsets = [o for o in range(-window, window + 1) if o]
        at = np.flatnonzero(rows >= 0)           # never within `window` of the stream's ends
        r = np.tile(rows[at], len(offsets))
        c = np.concatenate([k * n_ctx + ctxs[at + off] for k, off in enumerate(offsets)])
        counts_m = sparse.coo_matrix((np.ones(len(r), dtype=np.float32), (r, c)),
                                     shape=(len(words), len(offsets) * n_ctx)).tocsr()   # sums repeats
        del r, c

        # positive PMI on the non-zero cells only
        total = counts_m.sum()
        p_word = np.asarray(counts_m.sum(axis=1)).ravel() / total
        ctx_mass = np.asarray(counts_m.sum(axis=0)).ravel() ** smoothing
        p_ctx = ctx_mass / ctx_mass.sum()
        coo = counts_m.tocoo()
        pmi = np.log(coo.data / total) - np.log(p_word[coo.row]) - np.log(p_ctx[coo.col])
        keep = pmi > 0
        ppmi = sparse.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=counts_m.shape)

        u, s, _ = randomized_svd(ppmi, n_components=dim, n_iter=5, random_state=seed)
        vectors = u * np.sqrt(s)                                   # symmetric weighting of the singular values
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-8)
        return cls(words, vectors * np.sqrt(dim))                 # unit rows scaled: about unit variance per dim

    @classmethod
    def from_corpora(cls, names: Sequence[str], extra: Iterable[Sequence[str]] = (),
                     held_out: Iterable[Sequence[str]] = (), **options) -> "WordVectors":
        """Learn vectors from the sentences of NLTK corpora (``"brown"``, ``"conll2000"``, ...) plus ``extra``.

        Corpus sentences that match a ``held_out`` sentence (a run's dev and test text) are left out,
        matched by :func:`sentence_key` since corpora tokenize the same text differently."""
        return cls.learn(chain(drop_held_out(corpus_sentences(names), held_out), extra), **options)

    # -- files ---------------------------------------------------------------------------------
    @classmethod
    def load_text(cls, path: str | Path, max_words: int | None = None) -> "WordVectors":
        """Read a GloVe or word2vec *text* file: ``word v1 v2 ...`` per line (a ``count dim`` header is skipped).

        Words are normalised like the vocabulary ("The" -> "the"); when two lines normalise to the
        same word the first wins (files list frequent words first). ``max_words`` keeps the first rows only:
        the vectors are saved inside every model trained with them.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"word-vector file {path} does not exist")
        words, rows, dim = [], [], None
        seen: set[str] = set()
        with path.open(encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                parts = line.rstrip().split(" ")
                if n == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                    continue                                          # word2vec header
                if len(parts) < 2:
                    continue
                if dim is None:
                    dim = len(parts) - 1
                if len(parts) - 1 != dim:
                    raise ValueError(f"{path}, line {n}: {len(parts) - 1} numbers after the word, expected {dim}")
                word = normalize(parts[0])
                if word in seen:
                    continue
                try:
                    rows.append([float(x) for x in parts[1:]])
                except ValueError:
                    raise ValueError(f"{path}, line {n}: not a word followed by numbers") from None
                seen.add(word)
                words.append(word)
                if max_words is not None and len(words) >= max_words:
                    break
        if not words:
            raise ValueError(f"{path} holds no word vectors")
        return cls(words, np.array(rows, dtype=np.float32))


def _words(reader, fileids: list[str] | None = None) -> Iterator[list[str]]:
    """A corpus' sentences as words. In treebanks, empty elements (``*T*-1`` tagged ``-NONE-``, CESS-ESP's
    ``*0*``) are not words (and would keep sentences from matching held-out text), and multi-word
    tokens joined by ``_`` (CESS-ESP's ``51_por_ciento``) are split as other corpora write them."""
    from nltk.corpus.reader import BracketParseCorpusReader

    reader.fileids()   # an NLTK LazyCorpusLoader becomes its reader class on first use
    if isinstance(reader, BracketParseCorpusReader):
        return ([part for w, t in s if t != "-NONE-" and not (w.startswith("*") and w.endswith("*"))
                 for part in w.split("_") if part] for s in reader.tagged_sents(fileids))
    return iter(reader.sents(fileids))


def corpus_sentences(names: Sequence[str]) -> Iterator[list[str]]:
    """Token lists of whole NLTK corpora (their ``sents()``), e.g. ``["brown", "conll2000"]``, read lazily;
    ``name:prefix`` reads only the corpus files whose names start with ``prefix`` (``conll2002:esp.train``).

    All names are checked before the first sentence is read, so a missing corpus fails at once."""
    import nltk.corpus

    readers = []
    for spec in names:
        name, _, prefix = spec.partition(":")
        if not name.isidentifier():
            raise ValueError(f"{name!r} is not an NLTK corpus name")
        require(f"corpora/{name}")
        reader = getattr(nltk.corpus, name, None)
        if reader is None or not hasattr(reader, "sents"):
            raise ValueError(f"NLTK corpus {name!r} has no sentences to learn word vectors from")
        fileids = None
        if prefix:
            fileids = [f for f in reader.fileids() if f.startswith(prefix)]
            if not fileids:
                raise ValueError(f"NLTK corpus {name!r} has no file whose name starts with {prefix!r}")
        readers.append((reader, fileids))
    return (s for reader, fileids in readers for s in _words(reader, fileids))


def sentence_key(tokens: Sequence[str]) -> str:
    """A sentence reduced to its lower-cased letters and digits: the same text tokenized, spaced or
    punctuated differently gets the same key."""
    return "".join(c for c in "".join(tokens).lower() if c.isalnum())


def drop_held_out(sentences: Iterable[Sequence[str]], held_out: Iterable[Sequence[str]]) -> Iterator[Sequence[str]]:
    """``sentences`` without those whose :func:`sentence_key` is a held-out sentence's."""
    keys = {sentence_key(s) for s in held_out} - {""}
    return (s for s in sentences if not keys or sentence_key(s) not in keys)


def _token_stream(sentences: Iterable[Sequence[str]], window: int) -> tuple[np.ndarray, list[str]]:
    """All tokens as ids of their normalised forms (``names``), one flat int32 array in which
    sentences are separated by ``window`` ids of -1, so no window reaches across a sentence edge.
    One pass and a few bytes a token: Brown alone is 1.2 M tokens."""
    names: list[str] = []
    id_of: dict[str, int] = {}       # normalised form -> id
    raw: dict[str, int] = {}         # form as written -> id (saves normalising repeats)

    def ids():
        yield from (-1,) * window
        for n, sent in enumerate(sentences):
            if isinstance(sent, str):
                raise TypeError(f"sentence {n} is a str; word vectors learn from lists of tokens")
            for w in sent:
                i = raw.get(w) if isinstance(w, str) else None
                if i is None:
                    if not isinstance(w, str):
                        raise TypeError(f"sentence {n} holds a {type(w).__name__} ({w!r}), not a str token")
                    key = normalize(w)
                    i = id_of.get(key)
                    if i is None:
                        i = id_of[key] = len(names)
                        names.append(key)
                    raw[w] = i
                yield i
            yield from (-1,) * window

    return np.fromiter(ids(), dtype=np.int32), names


def corpus_names(spec: str) -> list[str]:
    """The NLTK corpus names of a comma-separated spec (``"brown, conll2000:train"``), blanks dropped."""
    return [n.strip() for n in spec.split(",") if n.strip()]


def names_nothing(spec: str | None) -> bool:
    """Whether a ``--word-vectors`` / ``--char-lm`` spec means none (None, "", "none", "no", "off")."""
    return spec is None or spec.strip().lower() in NO_VECTORS


def word_vectors_from(spec: str, extra: Iterable[Sequence[str]] = (), dim: int = VECTOR_DIM,
                      held_out: Iterable[Sequence[str]] = ()) -> WordVectors | None:
    """What a ``--word-vectors`` option names: ``"none"``; a GloVe/word2vec text file (its first
    MAX_FILE_WORDS words, which such files list most frequent first); or
    comma-separated NLTK corpus names whose text (plus ``extra``, e.g. the training sentences)
    :meth:`WordVectors.learn` turns into ``dim``-dimensional vectors, the ``held_out`` sentences
    (the run's dev and test text) removed from the corpora first."""
    if names_nothing(spec):
        return None
    if Path(spec).is_file():
        return WordVectors.load_text(spec, max_words=MAX_FILE_WORDS)
    names = corpus_names(spec)
    if any("/" in n or "." in n.partition(":")[0] for n in names):
        raise FileNotFoundError(f"word-vector file {spec} does not exist")
    return WordVectors.from_corpora(names, extra=extra, held_out=held_out, dim=dim)


def default_vectors(spec, language: str = "en"):
    """``spec``, unless it is the default (:data:`DEFAULT_VECTORS`): then the unlabelled text of
    ``language`` (Spanish: CESS-ESP, Dutch: Alpino; the training text is always added)."""
    if spec != DEFAULT_VECTORS:
        return spec
    if language not in LANGUAGE_VECTORS:
        raise ValueError(f"no default word-vector text for language {language!r}; known: {', '.join(LANGUAGE_VECTORS)}")
    return LANGUAGE_VECTORS[language]


def sized_for(config, vectors: WordVectors | None):
    """``config`` (a tagger's or tree net's) with its embedding's ``vector_dim`` set for ``vectors`` (0: none)."""
    return replace(config, embedding=replace(config.embedding, vector_dim=vectors.dim if vectors is not None else 0))
