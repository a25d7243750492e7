"""Distillation: a smaller, faster student tagger learns what a trained teacher knows.

The teacher tags unlabelled text (NLTK corpora with the run's dev and test sentences removed, the rule
word vectors follow); the student starts from the teacher's vocabulary and embedding and is trained on
the teacher's tag distribution at every token of that text (soft cross-entropy) and on the gold tags of
the labelled training sentences, then selected on dev like any tagger. With one BiLSTM layer instead of
two it tags ~1.6x faster (the word-level recurrence is most of a tagger's time).

A CRF student (``output="crf"``) scores whole sequences, so it learns the teacher's *decoding* instead:
the likeliest valid tag sequence of each unlabelled sentence (several teachers: their ensemble's, see
:mod:`tagger.ensemble`), trained on as if it were gold (sequence-level distillation, Kim & Rush 2016).
Teachers may then be CRF taggers too: an ensemble of seeds becomes one model of a member's speed.

>>> from corpora import load
>>> from tagger.api import DEFAULT_MODEL
>>> student, history = distill(DEFAULT_MODEL, load("treebank", "train"), load("treebank", "dev"),
...                            out="runs/student")  # doctest: +SKIP
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from corpora.batch import encode_words, length_batches, token_batches
from corpora.tagged import Sentence
from corpora.vocab import Vocab
from corpora.wordvectors import LANGUAGE_VECTORS, corpus_names, corpus_sentences, drop_held_out
from deeptrees.cache import AUTO, Entry, cache_folder, cache_key, cached
from deeptrees.device import DEFAULT_DEVICE
from deeptrees.recipe import RunOptions, train_network
from deeptrees.train import History, TrainConfig

from .api import Tagger
from .model import SequenceTagger, TaggerConfig
from .train import TaggingTask, feature_tagger, label_tensor

# the teacher's text, by its language: the word vectors' text, but for English not sentence_polarity
# (review sentences, most of them SST's) and only CoNLL-2000's training half: 66k sentences, 1.4M tokens
UNLABELLED = {**LANGUAGE_VECTORS, "en": "brown,conll2000:train"}
STUDENT = TaggerConfig(num_layers=1)   # one BiLSTM layer of 96 per direction (the teacher's embedding)
DISTILL_TRAINING = TrainConfig(epochs=12, batch_size=64, patience=3)   # an epoch is 1.4M tokens: few are needed


def unlabelled_text(text: str | Iterable[Sequence[str]], held_out: Iterable[Sequence[str]],
                    max_tokens: int = 256) -> list[list[str]]:
    """Token lists from the NLTK corpora named in ``text`` (``"brown,conll2000:train"``) or given as
    they are, without the held-out sentences (matched as :func:`corpora.wordvectors.drop_held_out`
    matches), empty ones, and any longer than ``max_tokens`` (a teacher reads a sentence whole only up
    to its window)."""
    if isinstance(text, str):
        names = corpus_names(text)
        if not names:
            raise ValueError("the unlabelled text is empty: name NLTK corpora, e.g. brown,conll2000:train")
        text = corpus_sentences(names)
    return [list(s) for s in drop_held_out(text, held_out) if 0 < len(s) <= max_tokens]


@torch.inference_mode()
def teacher_probs(teacher: Tagger, sentences: Sequence[Sequence[str]]) -> list[torch.Tensor]:
    """The teacher's tag distribution at every token of each sentence: (length, n_tags) float16 tensors."""
    out: list[torch.Tensor] = [torch.empty(0)] * len(sentences)
    for idx in token_batches([len(s) for s in sentences], teacher.max_tokens):
        scores, mask = teacher._scores([list(sentences[i]) for i in idx])
        probs = scores.float().softmax(-1).half().cpu()
        for row, i in enumerate(idx):
            out[i] = probs[row, : len(sentences[i])].clone()
    return out


def _text_key(kind: str, teachers: Sequence[Tagger], text: Sequence[Sequence]) -> str:
    """What the teachers' outputs over ``text`` depend on: each teacher's weights, vocabulary, architecture
    and window, and every token (with its feature columns)."""
    return cache_key(kind, [f"{t.digest()} {json.dumps(asdict(t.config), sort_keys=True)} {t.window}" for t in teachers],
                     ("\x1d".join(i if isinstance(i, str) else "\x1c".join(i) for i in s) for s in text))


def _cached_targets(kind: str, teachers: Sequence[Tagger], text: Sequence[Sequence], cache: Path | None,
                    progress: bool, compute: Callable[[], Entry]) -> Entry:
    """:func:`deeptrees.cache.cached` for the teachers' outputs over ``text``, saying what it does."""
    entry, source = cached(cache, kind, _text_key(kind, teachers, text), compute)
    if progress and cache is not None:
        tqdm.write(f"the teachers' outputs were read from the cache in {cache}" if source == "cache" else
                   f"the teachers' outputs are kept in {cache} for students of the same teachers and text"
                   if source == "computed" else f"the teachers' outputs: {source}")
    return entry


def _by_sentence(flat: torch.Tensor, text: Sequence[Sequence]) -> list[torch.Tensor]:
    """A cache entry's tensor of every token, one row a token, split into the sentences of ``text``."""
    return list(torch.split(flat, [len(s) for s in text])) if len(text) else []


def soft_targets(teachers: Sequence[Tagger], text: Sequence[Sequence[str]], cache: Path | None = None,
                 progress: bool = False) -> list[torch.Tensor]:
    """The teachers' mean tag distribution at every token of each sentence ((length, n_tags) float16),
    kept in and read from the ``cache`` folder (:mod:`deeptrees.cache`) when one is given."""
    def compute() -> Entry:
        per_teacher = [teacher_probs(teacher, text) for teacher in teachers]
        mean = [(sum(p.float() for p in ps) / len(ps)).half() for ps in zip(*per_teacher)]
        return {"probs": torch.cat(mean) if mean else torch.empty(0, len(teachers[0].vocab.labels)).half()}, {}

    tensors, _ = _cached_targets("soft", teachers, text, cache, progress, compute)
    return _by_sentence(tensors["probs"], text)


def teacher_tags(teachers: Sequence[Tagger], text: Sequence[Sequence], cache: Path | None = None,
                 progress: bool = False) -> list[list[str]]:
    """The likeliest valid tag sequence of each sentence (several teachers: their ensemble's), kept in and
    read from the ``cache`` folder when one is given."""
    labels = list(teachers[0].vocab.labels.strings)

    def compute() -> Entry:
        teacher = teachers[0] if len(teachers) == 1 else Tagger.ensemble(teachers)
        index = {tag: i for i, tag in enumerate(labels)}
        ids = [index[t[-1]] for s in teacher.tag_sents(text) for t in s]
        return {"tags": torch.tensor(ids, dtype=torch.int32)}, {"labels": json.dumps(labels)}

    tensors, meta = _cached_targets("tags", teachers, text, cache, progress, compute)
    names = json.loads(meta["labels"])
    return [[names[i] for i in ids.tolist()] for ids in _by_sentence(tensors["tags"], text)]


def check_teachers(teachers: Sequence[Tagger], task: TaggingTask, soft: bool) -> list[str]:
    """Refuse teachers the student cannot learn from; returns their tag set (the student's, in their order).
    ``soft``: the student learns per-token distributions, which a CRF teacher does not give."""
    labels = teachers[0].vocab.labels.strings
    columns = len(task.features[0][0]) if task.features is not None else 0
    if soft and (columns or any(t.n_features for t in teachers)):
        raise ValueError("distillation into a softmax student reads words only: a teacher or the training data has "
                         "extra input columns")
    for i, teacher in enumerate(teachers):
        if teacher.n_features != columns:
            raise ValueError(f"teacher {i + 1} reads {teacher.n_features} feature column(s) beside each word, the "
                             f"training data has {columns}")
        if soft and teacher.config.output != "softmax":
            raise ValueError(f"distillation into a softmax student needs softmax teachers (a per-token distribution); "
                             f"teacher {i + 1} has a CRF: train a CRF student (output='crf', --output crf) instead")
        if teacher.vocab.labels.strings != labels:
            raise ValueError(f"teacher {i + 1} predicts other tags than teacher 1: teachers must share a tag set")
    unknown = sorted(set(task.labels) - set(labels))
    if unknown:
        raise ValueError(f"the training data has tags the teacher does not know: {', '.join(unknown[:5])}")
    return list(labels)


def feature_columns(text: list[list[str]], n_features: int, tagger: Tagger | None) -> list[list[tuple[str, str]]]:
    """``text`` with the column teachers read beside each word, tagged by ``tagger`` (a tagger of words)."""
    if tagger is None:
        raise ValueError(f"the teacher reads {n_features} feature column(s) beside each word (e.g. POS tags), "
                         f"which unlabelled text lacks and it carries no tagger of: give features_from "
                         f"(--features-from), a tagger that tags them")
    if n_features != 1:
        raise ValueError(f"the teacher reads {n_features} feature columns; features_from gives one")
    return tagger.tag_sents(text)   # (word, tag) tuples: the tag is the teachers' feature column


class DistillTask(TaggingTask):
    """The labelled training sentences (their gold tags as one-hot targets) and the unlabelled ones
    (the teacher's probabilities as targets; several teachers: their mean), shuffled together in batches
    of similar length."""

    def __init__(self, teachers: Tagger | Sequence[Tagger], train: Sequence[Sentence],
                 dev: Sequence[Sentence] | None, unlabelled: Sequence[Sequence[str]], batch_size: int,
                 cache: Path | None = None, progress: bool = False):
        super().__init__(train, dev, batch_size)
        teachers = [teachers] if isinstance(teachers, Tagger) else list(teachers)
        self.labels = check_teachers(teachers, self, soft=True)   # the student predicts the teachers' tags
        self.unlabelled = [list(s) for s in unlabelled]
        self.soft = soft_targets(teachers, self.unlabelled, cache, progress)

    def batches(self, vocab: Vocab, rng: random.Random):
        n_gold, n = len(self.words), len(vocab.labels)
        sentences = self.words + self.unlabelled
        for idx in length_batches([len(s) for s in sentences], self.batch_size, shuffle=True, rng=rng):
            words = encode_words(vocab, [sentences[i] for i in idx])
            T = words.word_ids.shape[1]
            gold = label_tensor(vocab, [self.tags[i] if i < n_gold else [] for i in idx], T)
            targets = F.one_hot(gold.clamp(min=0), n).float() * (gold >= 0).unsqueeze(2)
            for row, i in enumerate(idx):
                if i >= n_gold:
                    p = self.soft[i - n_gold]
                    targets[row, : len(p)] = p.float()
            yield words, targets

    @staticmethod
    def loss(model: SequenceTagger, batch) -> torch.Tensor:
        """Soft cross-entropy, per token: -sum_tag target * log p_student (one-hot targets: the usual loss)."""
        words, targets = batch
        log_p = model(words).log_softmax(-1)
        return -(targets * log_p).sum() / words.mask.sum().clamp(min=1)

    def data(self):
        yield from super().data()
        yield "unlabelled"
        yield from self.unlabelled


class TeacherTagTask(TaggingTask):
    """For a CRF student: the labelled training sentences and the unlabelled ones with the teacher's tags
    (its likeliest valid sequence; several teachers: their ensemble's), all trained on as gold; selected
    on dev by the gold tags alone."""

    def __init__(self, teachers: Tagger | Sequence[Tagger], train: Sequence[Sentence],
                 dev: Sequence[Sentence] | None, unlabelled: Sequence[Sequence[str]], batch_size: int,
                 cache: Path | None = None, progress: bool = False):
        teachers = [teachers] if isinstance(teachers, Tagger) else list(teachers)
        labels = check_teachers(teachers, TaggingTask(train, None, batch_size), soft=False)
        tags = teacher_tags(teachers, unlabelled, cache, progress)
        # (word, [feature, ...,] tag) tuples, like train's items
        self.tagged = [[(*((item,) if isinstance(item, str) else item), tag) for item, tag in zip(s, ts)]
                       for s, ts in zip(unlabelled, tags)]
        super().__init__([*train, *self.tagged], dev, batch_size)
        self.labels = labels


def distill(teacher: str | Path | Sequence[str | Path], train: Sequence[Sentence], dev: Sequence[Sentence] | None = None,
            config: TaggerConfig | None = None, train_config: TrainConfig | None = None,
            out: str | Path | None = None, unlabelled: str | Sequence[Sequence[str]] | None = None,
            progress: bool = True, meta: dict | None = None, *, held_out: Iterable[Sequence[str]] = (),
            features_from: str | Path | None = None, cache: str | Path | None = AUTO, **run) -> tuple[Tagger, History]:
    """Train a student tagger (``config``, default :data:`STUDENT`; with ``output="crf"`` on the teacher's
    tag sequences, see above) on the outputs of the ``teacher``
    model (a folder; :data:`tagger.api.DEFAULT_MODEL` is the shipped one; several folders: an ensemble,
    whose mean distribution the student learns, and whose first member gives it its embedding) over
    ``unlabelled`` text (NLTK corpus names, or token lists; default: :data:`UNLABELLED` of the teacher's
    language) and on the gold ``train`` sentences; select on ``dev``. The ``dev`` sentences and
    ``held_out`` (give your test sentences) are removed from the unlabelled text first. The student starts
    from the teacher's vocabulary and embedding. Teachers that read a feature column beside each word (a CRF
    student's only) need ``features_from``: a tagger folder whose tags become that column of the unlabelled
    text (e.g. a POS tagger trained on the labelled data's POS column; default: the first teacher's
    :attr:`Tagger.feature_tagger`), saved inside the student. The teachers' outputs over the text are kept
    in the ``cache`` folder (:mod:`deeptrees.cache`; None: not kept), so that other students of the same
    teachers and text (other seeds, runs at once, resumed runs) read them instead of tagging it again.
    ``run`` takes :class:`deeptrees.recipe.RunOptions` fields as :func:`tagger.train.train_tagger` does."""
    folders = [teacher] if isinstance(teacher, (str, Path)) else list(teacher)
    if not folders:
        raise ValueError("give at least one teacher model folder")
    teachers = [Tagger.load(folder, run.get("device", DEFAULT_DEVICE)) for folder in folders]
    model = teachers[0]
    train_config = train_config or DISTILL_TRAINING
    held_out = [*([t[0] for t in s] for s in dev or ()), *held_out]
    unlabelled = UNLABELLED.get(model.language, UNLABELLED["en"]) if unlabelled is None else unlabelled
    source = unlabelled if isinstance(unlabelled, str) else "token lists"
    text = unlabelled_text(unlabelled, held_out, model.window)
    config = config or STUDENT
    features = None
    if model.n_features and config.output == "crf":
        features = feature_tagger(features_from, run.get("device", DEFAULT_DEVICE)) if features_from else \
            model.feature_tagger
        if features is not None:   # before the text is tagged, not when the student is built
            model.check_part("features", features)   # the check attach() makes, with the teacher's column
        text = feature_columns(text, model.n_features, features)
    folder = cache_folder(cache)
    if progress:
        tqdm.write(f"{len(teachers)} teacher(s) tag {len(text):,} sentences ({sum(map(len, text)):,} tokens) of {source}"
                   + (", unless the cache holds their outputs ..." if folder else " ..."))
    task = (TeacherTagTask if config.output == "crf" else DistillTask)(teachers, train, dev, text, train_config.batch_size,
                                                                       folder, progress)
    meta = {**(meta or {}), "language": model.language,
            "distilled": {"teacher": ", ".join(map(str, folders)), "unlabelled": source, "sentences": len(text),
                          "tokens": sum(map(len, text)),
                          "features_from": str(features_from or "the teacher's feature tagger") if features else None,
                          "targets": "tag sequences" if config.output == "crf" else "tag distributions"}}
    return train_network(task, config, train_config, init_embeddings_from=folders[0], meta=meta,
                         parts={"features": features} if features else None,
                         run=RunOptions(out=out, progress=progress, **run))
