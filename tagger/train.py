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
import torch.nn.functional as F

from corpora.batch import encode_words, length_batches
from corpora.tagged import Sentence
from corpora.vocab import Vocab
from corpora.wordvectors import DEFAULT_VECTORS, VECTOR_DIM, WordVectors
from deeptrees.recipe import RunOptions, Task, train_network
from deeptrees.train import History, TrainConfig

from .api import Tagger
from .evaluate import evaluate
from .model import SequenceTagger, TaggerConfig

IGNORE = -100
TRAINING = TrainConfig()   # the tagger's training defaults (CLI and Python alike)


def check_tagged(sentences: Sequence[Sentence], name: str) -> list[Sentence]:
    """Validate ``(word, tag)`` sentences up front, so errors name the sentence, not a tensor."""
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise TypeError(f"{name} must be a list of sentences of (word, tag) pairs")
    for i, sent in enumerate(sentences):
        for j, pair in enumerate(sent):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2
                    and isinstance(pair[0], str) and isinstance(pair[1], str)):
                raise TypeError(f"{name}: sentence {i}, token {j} is {pair!r}, not a (word, tag) pair of str")
    kept = [list(s) for s in sentences if len(s)]
    if not kept:
        raise ValueError(f"{name} holds no tagged tokens")
    return kept


def label_tensor(vocab: Vocab, sentences: Sequence[Sentence], T: int) -> torch.Tensor:
    """Tag ids padded with IGNORE; tags the model does not know are IGNOREd too."""
    y = torch.full((len(sentences), T), IGNORE, dtype=torch.long)
    for b, sent in enumerate(sentences):
        y[b, : len(sent)] = torch.tensor([vocab.labels.index(t) if t in vocab.labels else IGNORE
                                          for _, t in sent], dtype=torch.long)
    return y


def token_loss(model: SequenceTagger, batch) -> torch.Tensor:
    words, labels = batch
    logits = model(words)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels[:, : logits.shape[1]].reshape(-1),
                           ignore_index=IGNORE)


class TaggingTask(Task):
    """Tagged sentences: batches of similar length, cross-entropy at every token, dev accuracy."""

    network, score_name = Tagger, "dev_accuracy"

    def __init__(self, train: Sequence[Sentence], dev: Sequence[Sentence] | None, batch_size: int):
        self.batch_size = batch_size
        self.train = check_tagged(train, "train")
        self.dev = check_tagged(dev, "dev") if dev else None
        self.has_dev = self.dev is not None
        self.words = [[w for w, _ in s] for s in self.train]
        self.labels = sorted({t for s in self.train for _, t in s})

    def batches(self, vocab: Vocab, rng: random.Random):
        for idx in length_batches([len(s) for s in self.train], self.batch_size, shuffle=True, rng=rng):
            sents = [self.train[i] for i in idx]
            words = encode_words(vocab, [[w for w, _ in s] for s in sents])
            yield words, label_tensor(vocab, sents, words.word_ids.shape[1])

    loss = staticmethod(token_loss)

    def score(self, net: Tagger) -> float:
        return evaluate(net.tag_sents, self.dev, net.vocab.knows).accuracy

    def data(self):
        yield from self.train
        yield "dev"
        yield from self.dev or ()


def train_tagger(train: Sequence[Sentence], dev: Sequence[Sentence] | None = None,
                 config: TaggerConfig | None = None, train_config: TrainConfig | None = None,
                 out: str | Path | None = None, min_count: int = 1, progress: bool = True,
                 meta: dict | None = None, word_vectors: str | WordVectors | None = DEFAULT_VECTORS,
                 *, vector_dim: int = VECTOR_DIM, held_out: Iterable[Sequence[str]] = (),
                 init_embeddings_from: str | Path | None = None, **run) -> tuple[Tagger, History]:
    """Build a vocabulary from ``train``, train with early stopping on ``dev`` accuracy.

    ``word_vectors`` become a frozen part of the embedding (saved with the model), so words never
    seen in ``train`` have a vector too: by default they are learned from unlabelled NLTK text
    (a spec as ``--word-vectors`` takes, a :class:`WordVectors`, or None), with the ``dev``
    sentences and ``held_out`` (give your test sentences) removed from that text first.
    ``init_embeddings_from`` starts from any saved model's embedding and vocabulary instead.
    With ``out`` the best model so far is saved there after every improving epoch and a checkpoint
    after every epoch; ``run`` takes the other :class:`deeptrees.recipe.RunOptions` (``overwrite``,
    ``resume``, ``checkpoint_every``, ``device``, ``on_step``).
    """
    train_config = train_config or TRAINING
    task = TaggingTask(train, dev, train_config.batch_size)
    dev_words = [[w for w, _ in s] for s in task.dev or ()]
    return train_network(task, config or TaggerConfig(), train_config, min_count=min_count,
                         word_vectors=word_vectors, vector_dim=vector_dim, held_out=[*dev_words, *held_out],
                         init_embeddings_from=init_embeddings_from, meta=meta,
                         run=RunOptions(out=out, progress=progress, **run))
