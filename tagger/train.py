"""Training a tagger on tagged sentences with the package's shared training loop.

>>> from corpora import load
>>> from tagger.train import train_tagger
>>> tagger, history = train_tagger(load("treebank", "train"), load("treebank", "dev"), out="runs/pos")  # doctest: +SKIP
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F

from corpora.batch import encode_words, length_batches
from corpora.tagged import Sentence
from corpora.train import History, TrainConfig, fit, set_seed
from corpora.vocab import Vocab
from corpora.wordvectors import WordVectors, sized_for

from .api import Tagger
from .evaluate import evaluate
from .model import SequenceTagger, TaggerConfig

IGNORE = -100


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


def train_tagger(train: Sequence[Sentence], dev: Sequence[Sentence] | None = None,
                 config: TaggerConfig | None = None, train_config: TrainConfig | None = None,
                 out: str | Path | None = None, min_count: int = 1, progress: bool = True,
                 meta: dict | None = None, word_vectors: WordVectors | None = None) -> tuple[Tagger, History]:
    """Build a vocabulary from ``train``, train with early stopping on ``dev`` accuracy.

    With ``out`` the best model so far is saved there after every improving epoch, so an
    interrupted run still leaves a usable tagger. ``word_vectors`` become a frozen part of the
    embedding (and are saved with the model), so words never seen in ``train`` have a vector too.
    """
    train = check_tagged(train, "train")
    dev = check_tagged(dev, "dev") if dev else None
    config = config or TaggerConfig()
    train_config = train_config or TrainConfig()
    set_seed(train_config.seed)  # model initialisation is part of what the seed reproduces
    vocab = Vocab.build([[w for w, _ in s] for s in train], [[t for _, t in s] for s in train],
                        min_count=min_count, vector_words=word_vectors.words if word_vectors else None)
    tagger = Tagger.new(vocab, sized_for(config, word_vectors), word_vectors)
    tagger.meta = {"training": asdict(train_config), **(meta or {})}

    def batches(rng: random.Random):
        for idx in length_batches([len(s) for s in train], train_config.batch_size, shuffle=True, rng=rng):
            sents = [train[i] for i in idx]
            words = encode_words(vocab, [[w for w, _ in s] for s in sents])
            yield words, label_tensor(vocab, sents, words.word_ids.shape[1])

    def dev_accuracy(_model) -> float:
        return evaluate(tagger.tag_sents, dev, tagger.vocab.knows).accuracy

    def on_best(epoch: int, score: float) -> None:
        tagger.meta.update(best_epoch=epoch, dev_accuracy=round(score, 5))
        if out is not None:
            tagger.save(out)

    history = fit(tagger.model, batches, token_loss, train_config, dev_accuracy if dev else None, on_best, progress)
    tagger.model.eval()
    if out is not None:
        tagger.save(out)  # the best weights (fit restored them) with the final metadata
    return tagger, history
