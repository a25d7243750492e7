"""Tagged-sentence loaders with the project's standard splits.

Every loader returns plain Python data, a list of sentences, each a list of ``(word, tag)``
pairs, so the result works with NLTK's own taggers and evaluation as well as with ours. Data with
extra input columns has ``(word, feature, ..., tag)`` tuples (CoNLL-2000 with ``pos_feature=True``).

>>> from corpora import load
>>> train = load("treebank", split="train")
>>> len(train), train[0][:2]
(3396, [('Pierre', 'NNP'), ('Vinken', 'NNP')])

The splits follow ``shared/README.md`` so figures from tests and benchmarks compare:

- treebank: ``sorted(fileids)``; files 0-158 train, 159-178 dev, 179-198 test; ``-NONE-`` tokens removed.
- brown (universal tags): sentence index % 10 == 9 test, == 8 dev, the rest train.
- conll2000: ``train.txt`` (its last 1,000 sentences are dev) and ``test.txt``.
- silver (:func:`load_silver_pos`): no split; CoNLL-2000's automatic POS tags, extra training data for the treebank.
- CESS-ESP entities (:func:`load_cess_entities`): no split; typed proper nouns as IOB2 tags, extra Spanish NER data.
- conll2002 (``lang="esp"`` Spanish, ``"ned"`` Dutch): ``<lang>.train``, ``.testa`` dev, ``.testb`` test;
  IOB2 entity tags (PER, ORG, LOC, MISC). ``-DOCSTART-`` lines are document breaks, not tokens.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from nltk.tag.mapping import map_tag

from .resources import require

Sentence = list[tuple[str, str]]
SPLITS = ("train", "dev", "test", "all")
CORPORA = ("treebank", "brown", "conll2000", "conll2002")
CONLL2002_LANGUAGES = {"esp": "es", "ned": "nl"}   # file prefix -> the language's code (corpora.text)
TREEBANK_FILES = {"train": slice(0, 159), "dev": slice(159, 179), "test": slice(179, 199), "all": slice(0, 199)}


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")


def treebank_fileids(split: str) -> list[str]:
    """File ids of the Penn Treebank sample that make up ``split``."""
    _check_split(split)
    require("corpora/treebank")
    from nltk.corpus import treebank

    return sorted(treebank.fileids())[TREEBANK_FILES[split]]


def load_treebank(split: str = "train", tagset: str | None = None) -> list[Sentence]:
    """Penn Treebank sample, empty elements (``-NONE-``) removed; ``tagset="universal"`` maps to 12 tags."""
    if tagset not in (None, "universal"):
        raise ValueError(f"unknown tagset {tagset!r}; expected None (PTB tags) or 'universal'")
    fileids = treebank_fileids(split)
    from nltk.corpus import treebank

    if tagset == "universal":
        require("taggers/universal_tagset")
    sentences = []
    for sent in treebank.tagged_sents(fileids):
        kept = [(w, t) for w, t in sent if t != "-NONE-"]
        if tagset == "universal":
            kept = [(w, map_tag("en-ptb", "universal", t)) for w, t in kept]
        if kept:
            sentences.append(kept)
    return sentences


def load_brown(split: str = "train") -> list[Sentence]:
    """Brown corpus with universal tags, split by sentence index (every 10th sentence is test)."""
    _check_split(split)
    require("corpora/brown")
    require("taggers/universal_tagset")
    from nltk.corpus import brown

    keep = {"train": lambda i: i % 10 < 8, "dev": lambda i: i % 10 == 8,
            "test": lambda i: i % 10 == 9, "all": lambda i: True}[split]
    return [list(s) for i, s in enumerate(brown.tagged_sents(tagset="universal")) if keep(i)]


def load_conll2000_triples(split: str = "train") -> list[list[tuple[str, str, str]]]:
    """CoNLL-2000 as ``(word, POS, IOB chunk)`` triples; the last 1,000 training sentences are dev."""
    _check_split(split)
    require("corpora/conll2000")
    from nltk.corpus import conll2000

    if split == "test":
        return [list(s) for s in conll2000.iob_sents("test.txt")]
    train = [list(s) for s in conll2000.iob_sents("train.txt")]
    if split == "all":
        return train + [list(s) for s in conll2000.iob_sents("test.txt")]
    return train[:-1000] if split == "train" else train[-1000:]


def load_conll2000(split: str = "train", column: str = "chunk", pos_feature: bool = False) -> list:
    """CoNLL-2000 as ``(word, tag)`` pairs, the tag being the IOB chunk (default) or the POS column;
    with ``pos_feature`` as ``(word, POS, chunk)`` triples, the POS tag an input feature."""
    if column not in ("chunk", "pos"):
        raise ValueError(f"unknown column {column!r}; expected 'chunk' or 'pos'")
    if pos_feature:
        if column != "chunk":
            raise ValueError("pos_feature=True labels chunks: use column='chunk'")
        return load_conll2000_triples(split)
    col = 2 if column == "chunk" else 1
    return [[(t[0], t[col]) for t in s] for s in load_conll2000_triples(split)]


TREEBANK_BRACKETS = {"(": "-LRB-", ")": "-RRB-"}   # CoNLL-2000 tags brackets with themselves, the treebank not


def load_silver_pos(held_out: Iterable[Sequence[str]] = ()) -> list[Sentence]:
    """More Penn Treebank POS data for the treebank's taggers: all of CoNLL-2000 (WSJ sections 15-18 and 20,
    259k tokens; the treebank sample is sections 00-01) with its POS column, which the Brill tagger wrote, so
    its tags are silver, not gold (a few in a hundred differ from what the treebank's annotators would write).
    Brackets are tagged ``-LRB-`` / ``-RRB-`` as in the treebank. Sentences that are also in ``held_out``
    (give the run's dev and test sentences: boilerplate such as "Terms were n't disclosed ." recurs) are
    dropped."""
    sentences = [[(w, TREEBANK_BRACKETS.get(t, t)) for w, t in s] for s in load_conll2000("all", column="pos")]
    return drop_sentences(sentences, held_out)


def drop_sentences(sentences: Sequence[Sequence[Sequence[str]]], held_out: Iterable[Sequence[str]]) -> list:
    """``sentences`` (tagged, ``(word, ..., tag)`` items) without those whose words are a ``held_out`` token list."""
    drop = {tuple(words) for words in held_out}
    return [list(s) for s in sentences if tuple(item[0] for item in s) not in drop]


CESS_ENTITY_TYPES = {"np0000p": "PER", "np0000o": "ORG", "np0000l": "LOC", "np0000a": "MISC"}   # np00000: untyped
OVERLAP = 8   # load_cess_entities drops a sentence that shares this many consecutive words with a held-out one


def load_cess_entities(held_out: Iterable[Sequence[str]] = (), overlap: int = OVERLAP) -> list[Sentence]:
    """More Spanish named entities for CoNLL-2002's Spanish taggers: CESS-ESP's 6,030 sentences of Spanish news
    (188k words), whose proper nouns carry a type in their tag, read as IOB2 entities: ``np0000p`` PER,
    ``np0000o`` ORG, ``np0000l`` LOC, ``np0000a`` MISC (events, titles, ships), every other word ``O``.
    Multi-word tokens (``Celia_Villalobos``) become a token a word (``B-PER I-PER``) and empty subjects (``*0*``)
    go. Sentences with an untyped proper noun (``np00000``: some documents were not typed) are dropped, and so is
    every sentence that is one in ``held_out`` or shares ``overlap`` consecutive words with one (give the run's dev
    and test sentences: the two corpora tokenize differently, so equal sentences need not be equal lists)."""
    if type(overlap) is not int or overlap < 1:
        raise ValueError(f"overlap must be an integer >= 1, got {overlap!r}")
    require("corpora/cess_esp")
    from nltk.corpus import cess_esp

    def ngrams(words: Sequence[str]) -> set[tuple[str, ...]]:
        return {tuple(words[i:i + overlap]) for i in range(len(words) - overlap + 1)}

    held_out = [list(words) for words in held_out]    # read twice: for the n-grams and by drop_sentences
    seen = set().union(*(ngrams(words) for words in held_out))
    sentences = []
    for tagged in cess_esp.tagged_sents():
        if any(tag == "np00000" for _, tag in tagged):
            continue
        sentence = []
        for word, tag in tagged:
            if word.startswith("*") and word.endswith("*"):      # an empty element of the treebank
                continue
            kind = CESS_ENTITY_TYPES.get(tag)
            sentence += [(piece, f"{'I' if i else 'B'}-{kind}" if kind else "O")
                         for i, piece in enumerate(p for p in word.split("_") if p)]
        if sentence and not ngrams([w for w, _ in sentence]) & seen:
            sentences.append(sentence)
    return drop_sentences(sentences, held_out)     # those shorter than ``overlap`` too ("EFE .")


def load_conll2002(split: str = "train", lang: str = "esp", pos_feature: bool = False, column: str = "entity") -> list:
    """CoNLL-2002 named entities as ``(word, IOB2 entity tag)`` pairs; with ``pos_feature`` as
    ``(word, POS, tag)`` triples, the POS column an input feature; with ``column="pos"`` as ``(word, POS)``
    pairs (the Dutch files' POS column, e.g. for a tagger that gives other Dutch text that column).
    ``lang``: ``esp`` or ``ned``."""
    _check_split(split)
    if lang not in CONLL2002_LANGUAGES:
        raise ValueError(f"unknown CoNLL-2002 language {lang!r}; expected esp (Spanish) or ned (Dutch)")
    if column not in ("entity", "pos"):
        raise ValueError(f"unknown column {column!r}; expected 'entity' or 'pos'")
    if pos_feature and column == "pos":
        raise ValueError("pos_feature=True labels entities: use column='entity'")
    require("corpora/conll2002")
    from nltk.corpus import conll2002

    parts = {"train": ("train",), "dev": ("testa",), "test": ("testb",), "all": ("train", "testa", "testb")}[split]
    sentences = [[t for t in s if t[0] != "-DOCSTART-"] for part in parts
                 for s in conll2002.iob_sents(f"{lang}.{part}")]
    if column == "pos":
        return [[(w, pos) for w, pos, _ in s] for s in sentences if s]
    return [list(s) if pos_feature else [(w, tag) for w, _, tag in s] for s in sentences if s]


def split_tagged(sentence: Sequence[Sequence[str]]) -> tuple[list, list[str]]:
    """A tagged sentence -> (tokens, tags). Items are ``(word, tag)`` or ``(word, feature, ..., tag)``;
    a token is then the word alone, or the tuple ``(word, feature, ...)``."""
    tokens = [t[0] if len(t) == 2 else tuple(t[:-1]) for t in sentence]
    return tokens, [t[-1] for t in sentence]


def words_and_tags(sentences: Sequence[Sequence[Sequence[str]]]) -> list[Sentence]:
    """``(word, feature, ..., tag)`` sentences as ``(word, tag)`` pairs: the input columns dropped."""
    return [[(item[0], item[-1]) for item in s] for s in sentences]


def load(name: str, split: str = "train", **options) -> list[Sentence]:
    """Load a tagged corpus by name: ``treebank`` (``tagset=``), ``brown``, ``conll2000`` (``column=``,
    ``pos_feature=``), ``conll2002`` (``lang=``, ``pos_feature=``, ``column=``)."""
    loaders = {"treebank": load_treebank, "brown": load_brown, "conll2000": load_conll2000,
               "conll2002": load_conll2002}
    if name not in loaders:
        raise ValueError(f"unknown corpus {name!r}; expected one of {', '.join(CORPORA)}")
    return loaders[name](split, **options)
