"""Training a tagger on tagged sentences with the package's shared recipe (:mod:`deeptrees.recipe`).

>>> from corpora import load
>>> from tagger.train import train_tagger
>>> tagger, history = train_tagger(load("treebank", "train"), load("treebank", "dev"), out="runs/pos")  # doctest: +SKIP
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

from corpora.batch import encode_words, length_batches, split_tokens
from corpora.charlm import MAX_MINUTES, CharLM
from corpora.tagged import Sentence, split_tagged
from corpora.vocab import Vocab
from corpora.text import check_language
from corpora.wordvectors import DEFAULT_VECTORS, VECTOR_DIM, WordVectors, default_vectors
from deeptrees.device import DEFAULT_DEVICE
from deeptrees.recipe import RunOptions, Task, train_network
from deeptrees.train import History, TrainConfig

from .api import Tagger, check_feature_tagger
from .evaluate import evaluate
from .chunks import chunk_scheme, to_iob2
from .model import IGNORE, SequenceTagger, TaggerConfig

TRAINING = TrainConfig()   # the tagger's training defaults (CLI and Python alike)


def check_tagged(sentences: Sequence[Sentence], name: str) -> list[Sentence]:
    """Validate tagged sentences up front, so errors name the sentence, not a tensor: items are
    ``(word, tag)`` pairs, or ``(word, feature, ..., tag)`` tuples of one length throughout."""
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise TypeError(f"{name} must be a list of sentences of (word, tag) pairs")
    width = None
    for i, sent in enumerate(sentences):
        if isinstance(sent, str) or not isinstance(sent, Sequence):
            raise TypeError(f"{name}: sentence {i} is a {type(sent).__name__}, not a list of (word, tag) pairs")
        for j, item in enumerate(sent):
            if not (isinstance(item, (tuple, list)) and len(item) >= 2 and all(isinstance(x, str) for x in item)):
                raise TypeError(f"{name}: sentence {i}, token {j} is {item!r}, not a (word, tag) pair of str")
            if width is not None and len(item) != width:
                raise ValueError(f"{name}: sentence {i}, token {j} has {len(item)} columns, earlier tokens {width}")
            width = len(item)
    kept = [list(s) for s in sentences if len(s)]
    if not kept:
        raise ValueError(f"{name} holds no tagged tokens")
    return kept


def label_tensor(vocab: Vocab, tag_seqs: Sequence[Sequence[str]], T: int) -> torch.Tensor:
    """Tag ids padded with IGNORE; tags the model does not know are IGNOREd too."""
    y = torch.full((len(tag_seqs), T), IGNORE, dtype=torch.long)
    for b, tags in enumerate(tag_seqs):
        y[b, : len(tags)] = torch.tensor([vocab.labels.index(t) if t in vocab.labels else IGNORE for t in tags],
                                         dtype=torch.long)
    return y


def token_loss(model: SequenceTagger, batch) -> torch.Tensor:
    """The model's own loss: cross-entropy at each token, or the CRF's sequence likelihood."""
    words, labels = batch
    return model(words, labels)


def repair_chunks(sentences: list[Sentence]) -> list[Sentence]:
    """IOB1 chunk tags (a chunk may start with I-) become IOB2, the scheme the CRF's constraints
    expect; the chunks stay the same. Other tag sets are returned as they are."""
    if chunk_scheme(sorted({t[-1] for s in sentences for t in s})) != "bio":
        return sentences
    return [[(*t[:-1], tag) for t, tag in zip(s, to_iob2([t[-1] for t in s]))] for s in sentences]


class TaggingTask(Task):
    """Tagged sentences: batches of similar length, the model's loss, and the dev score: accuracy, or
    for chunk and entity tags (IOB, IOB2, BIOES) span F1, what such models are judged by."""

    network = Tagger

    def __init__(self, train: Sequence[Sentence], dev: Sequence[Sentence] | None, batch_size: int):
        self.batch_size = batch_size
        self.train = repair_chunks(check_tagged(train, "train"))
        self.dev = check_tagged(dev, "dev") if dev else None
        self.has_dev = self.dev is not None
        split = [split_tagged(s) for s in self.train]
        self.tags = [tags for _, tags in split]
        self.labels = sorted({t for tags in self.tags for t in tags})
        self.spans = chunk_scheme(self.labels) is not None
        self.score_name = "dev_f1" if self.spans else "dev_accuracy"   # the metadata key of the best score
        self.words, features = zip(*(split_tokens(tokens) for tokens, _ in split))
        self.words = list(self.words)
        self.features = list(features) if features[0] is not None else None

    def batches(self, vocab: Vocab, rng: random.Random):
        for idx in length_batches([len(s) for s in self.train], self.batch_size, shuffle=True, rng=rng):
            words = encode_words(vocab, [self.words[i] for i in idx],
                                 [self.features[i] for i in idx] if self.features else None)
            yield words, label_tensor(vocab, [self.tags[i] for i in idx], words.word_ids.shape[1])

    loss = staticmethod(token_loss)

    def score(self, net: Tagger) -> float:
        result = evaluate(net.tag_sents, self.dev, net.vocab.knows)
        return result.spans()[2] if self.spans and result.chunks else result.accuracy

    def data(self):
        yield from self.train
        yield "dev"
        yield from self.dev or ()


def train_tagger(train: Sequence[Sentence], dev: Sequence[Sentence] | None = None,
                 config: TaggerConfig | None = None, train_config: TrainConfig | None = None,
                 out: str | Path | None = None, min_count: int = 1, progress: bool = True,
                 meta: dict | None = None, word_vectors: str | WordVectors | None = DEFAULT_VECTORS,
                 *, language: str = "en", vector_dim: int = VECTOR_DIM, held_out: Iterable[Sequence[str]] = (),
                 init_embeddings_from: str | Path | None = None, init_from: str | Path | None = None,
                 char_lm: str | CharLM | None = None, char_lm_minutes: float = MAX_MINUTES,
                 features_from: str | Path | Tagger | None = None, **run) -> tuple[Tagger, History]:
    """Build a vocabulary from ``train``, train with early stopping on ``dev`` accuracy (span F1 for chunk
    and entity tags).

    ``word_vectors`` become a frozen part of the embedding (saved with the model), so words never
    seen in ``train`` have a vector too: by default they are learned from unlabelled NLTK text
    (a spec as ``--word-vectors`` takes, a :class:`WordVectors`, or None), with the ``dev``
    sentences and ``held_out`` (give your test sentences) removed from that text first.
    ``char_lm`` (comma-separated NLTK corpora, or a :class:`corpora.charlm.CharLM`) adds contextual vectors
    from character language models learned from that text (held-out sentences removed the same way) in
    at most ``char_lm_minutes``, frozen and saved with the model. ``language``
    ("en", "es", "nl") is saved with the model: ``tag_text`` tokenizes by its rules, and the default
    vectors are learned from text in it (:func:`corpora.wordvectors.default_vectors`).
    ``init_embeddings_from`` starts from any saved model's embedding and vocabulary instead; ``init_from``
    from a saved tagger, all of it (vocabulary, architecture, weights; ``config``, ``min_count`` and the
    vectors go unused): fine-tuning, e.g. on gold data after training on more, silver, data
    (:func:`corpora.load_silver_pos`). Its labels must include those of ``train``.
    ``features_from`` (a tagger of words, or its folder), for sentences with one feature column, is saved
    inside the model as its :attr:`Tagger.feature_tagger`, so it can tag plain words and raw text too.
    With ``out`` the best model so far is saved there after every improving epoch and a checkpoint
    after every epoch; ``run`` takes the other :class:`deeptrees.recipe.RunOptions` (``overwrite``,
    ``resume``, ``checkpoint_every``, ``device``, ``on_step``).
    """
    check_language(language)
    train_config = train_config or TRAINING
    word_vectors = default_vectors(word_vectors, language)
    meta = {**(meta or {}), "language": language}
    task = TaggingTask(train, dev, train_config.batch_size)
    dev_words = [[t[0] for t in s] for s in task.dev or ()]
    parts = None
    if features_from is not None:   # checked before anything is learned or a run overwritten
        carried = feature_tagger(features_from, run.get("device", DEFAULT_DEVICE))
        check_feature_tagger(carried, len(task.features[0][0]) if task.features else 0,
                             {f[0] for s in task.features or () for f in s})
        parts = {"features": carried}
    return train_network(task, config or TaggerConfig(), train_config, min_count=min_count,
                         word_vectors=word_vectors, vector_dim=vector_dim, held_out=[*dev_words, *held_out],
                         init_embeddings_from=init_embeddings_from, init_from=init_from, char_lm=char_lm,
                         char_lm_minutes=char_lm_minutes, meta=meta, parts=parts,
                         run=RunOptions(out=out, progress=progress, **run))


def feature_tagger(source: str | Path | Tagger, device: str | torch.device = DEFAULT_DEVICE) -> Tagger:
    """The tagger of words (a folder, or loaded) that writes a model's feature column, e.g. POS tags."""
    tagger = source if isinstance(source, Tagger) else Tagger.load(source, device)
    if tagger.n_features or tagger.members > 1:
        raise ValueError(f"the feature tagger {source} must be one tagger of words only (it reads "
                         f"{tagger.n_features} feature column(s){', and is an ensemble' if tagger.members > 1 else ''})")
    return tagger
