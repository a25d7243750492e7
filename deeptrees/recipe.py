"""The recipe both trainers follow, so a tagger and a tree network are trained, saved, checkpointed
and resumed the same way:

1. check the output folder (refuse to replace a model unless asked; resume needs a checkpoint);
2. join the ``torchrun`` process group, if any, and pick the device;
3. seed once; get word vectors and character LMs (learned with the run's held-out text removed), or another saved
   model's embedding (``init_embeddings_from``), or a saved network of the same kind, all of it (``init_from``:
   fine-tuning), or the checkpoint's vocabulary and weights;
4. build the vocabulary and network (the config sized for the vectors);
5. train with :func:`deeptrees.train.fit`: save the model on each new best, checkpoint every epoch
   (and every ``checkpoint_every`` steps); save the final model.

A trainer supplies a :class:`Task`: its data, labels, batches, loss and dev score.
"""
from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import torch
from tqdm.auto import tqdm

from corpora.charlm import MAX_MINUTES, CharLM, char_lm_from, sized_for_context
from corpora.vocab import Vocab
from corpora.wordvectors import VECTOR_DIM, WordVectors, names_nothing, sized_for, word_vectors_from

from . import distributed
from .checkpoint import checkpoint_folder, has_checkpoint, load_checkpoint, save_checkpoint
from .device import DEFAULT_DEVICE
from .modelfile import CONFIG, check_state, vocab_to_bytes
from .network import TrainedNetwork, load_embedding
from .train import RESUMABLE, History, TrainConfig, TrainState, fit, set_seed



@dataclass
class RunOptions:
    """How a run is carried out; none of these changes the trained model."""

    out: str | Path | None = None      # model folder: best model, final model, checkpoint
    overwrite: bool = False            # replace a model already in ``out``
    resume: bool = False               # continue the run checkpointed in ``out``
    checkpoint_every: int = 0          # also checkpoint every N optimizer steps (0: at epoch ends only)
    device: str = DEFAULT_DEVICE       # auto | cpu | cuda | cuda:N
    progress: bool = True
    on_step: Callable[[int, float, torch.nn.Module], None] | None = None   # after every step: (step, loss, model)

    def __post_init__(self) -> None:
        if self.overwrite and self.resume:
            raise ValueError("give overwrite (--overwrite) or resume (--resume), not both")
        if type(self.checkpoint_every) is not int or self.checkpoint_every < 0:
            raise ValueError(f"checkpoint_every must be an integer >= 0, got {self.checkpoint_every!r}")
        if self.out is None and (self.resume or self.checkpoint_every):
            raise ValueError("resume and checkpoint_every need the run's folder (out=..., --out)")


class Task:
    """A trainer's part of the recipe (see ``tagger.train`` and ``treernn.train``)."""

    network: ClassVar[type[TrainedNetwork]]
    score_name: ClassVar[str] = "dev_score"   # the metadata key of the best dev score
    words: list[list[str]]                     # training token lists (vocabulary, word-vector text)
    features: list | None = None               # per sentence, per token: extra input columns (or None)
    labels: list[str]                          # the classes the network predicts
    has_dev: bool

    def batches(self, vocab: Vocab, rng: random.Random) -> Iterable[Any]:
        raise NotImplementedError

    def loss(self, model: torch.nn.Module, batch: Any) -> torch.Tensor:
        raise NotImplementedError

    def score(self, net: TrainedNetwork) -> float:
        raise NotImplementedError

    def data(self) -> Iterable[Any]:
        """The training and dev items as JSON-able values (their hash tells a resumed run's data apart)."""
        raise NotImplementedError


def fingerprint(items: Iterable[Any]) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update(json.dumps(item, ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def check_out(run: RunOptions) -> Path | None:
    """Refuse a bad output folder before any work is done; a one-line error says why."""
    if run.out is None:
        return None
    out = Path(run.out)
    if str(run.out).strip() == "":
        raise ValueError("the output folder name is empty")
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} is a file, not a folder: give a folder to save the model in")
    if not run.resume and not run.overwrite and ((out / CONFIG).exists() or has_checkpoint(out)):
        raise FileExistsError(f"{out} already holds a model: give --overwrite (overwrite=True) to replace it, "
                              f"or --resume (resume=True) to continue its run")
    return out


def _differences(saved: dict, now: dict, prefix: str = "") -> list[str]:
    out = []
    for key in sorted(saved.keys() | now.keys()):
        a, b = saved.get(key), now.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {a!r} in the checkpoint, {b!r} now")
    return out


def check_same_run(saved: dict, now: dict, out: Path) -> None:
    """Refuse to resume the run recorded as ``saved`` with other data or settings (``now``)."""
    if saved.get("data") != now["data"]:
        raise ValueError(f"the training or dev data differ from those of the run in {out}; resume with the same data")
    ignore = ("model_config", "meta")   # derived from the rest / free-form
    diffs = _differences({k: v for k, v in saved.items() if k not in ignore},
                         {k: v for k, v in now.items() if k not in ignore})
    if diffs:
        raise ValueError(f"the run in {out} was made with other settings ({'; '.join(diffs[:3])}); "
                         f"resume with the same settings (only {', '.join(RESUMABLE)} may change)")


def check_start(start: TrainedNetwork, task: Task, folder: str | Path) -> None:
    """Refuse to fine-tune ``start`` (loaded from ``folder``) on data it cannot read or label."""
    unknown = sorted(set(task.labels) - set(start.vocab.labels.strings))
    if unknown:
        raise ValueError(f"the model in {folder} does not know the label(s) {', '.join(unknown[:8])} of the "
                         f"training data: start from a model trained with the same labels")
    columns = len(task.features[0][0]) if task.features else 0
    if columns != len(start.vocab.features or ()):
        raise ValueError(f"the model in {folder} reads {len(start.vocab.features or ())} feature column(s) beside "
                         f"each word, the training data has {columns}")


def learn_from_text(what: str, spec, kind: type, learn: Callable[[str], Any], describe: Callable[[Any], str],
                    show: bool):
    """``spec`` (a spec string, a ready ``kind``, or None) made into a ``kind`` by ``learn`` (word vectors,
    character LMs), with lines of progress; ``what`` names the argument in messages."""
    if spec is None or isinstance(spec, kind):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"{what} must be a spec string, {kind.__name__} or None, got {type(spec).__name__}")
    start = time.perf_counter()
    if show and not names_nothing(spec):
        tqdm.write(f"{what} from {spec} ...")
    made = learn(spec)
    if show and made is not None:
        tqdm.write(f"{what}: {describe(made)} ({time.perf_counter() - start:.1f}s)")
    return made


def train_network(task: Task, config, train_config: TrainConfig, *, min_count: int = 1,
                  word_vectors: str | WordVectors | None = None, vector_dim: int = VECTOR_DIM,
                  char_lm: str | CharLM | None = None, char_lm_minutes: float = MAX_MINUTES,
                  held_out: Iterable[Sequence[str]] = (), init_embeddings_from: str | Path | None = None,
                  init_from: str | Path | None = None, meta: dict | None = None, run: RunOptions | None = None,
                  parts: dict[str, TrainedNetwork] | None = None) -> tuple[TrainedNetwork, History]:
    """Train ``task.network`` on ``task`` following the recipe above; returns the best network and history.
    ``init_from`` (a saved network of the same kind) starts it from that network's vocabulary, architecture and
    weights, and its parts unless ``parts`` are given: ``config`` and ``min_count`` then go unused.
    ``parts`` are attached to it (:meth:`TrainedNetwork.attach`) before training, so every save carries them."""
    run = run or RunOptions()
    kind = task.network.KIND
    if init_from is not None and init_embeddings_from is not None:
        raise ValueError("give init_from or init_embeddings_from, not both: init_from brings the embedding too")
    saved = init_from if init_from is not None else init_embeddings_from
    what = "init_from" if init_from is not None else "init_embeddings_from"
    if isinstance(word_vectors, WordVectors) and saved is not None:
        raise ValueError(f"give word_vectors or {what}, not both: a saved model brings its own vectors")
    if isinstance(char_lm, str) and names_nothing(char_lm):
        char_lm = None
    if char_lm is not None and saved is not None:
        raise ValueError(f"give char_lm or {what}, not both: a saved model brings its own embedding")
    if saved is not None:
        word_vectors = None   # the saved model's vectors come with its embedding
    if type(min_count) is not int or min_count < 1:
        raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
    held_out = list(held_out)      # read twice: by the word vectors and the character LMs
    out = check_out(run)
    start = None
    if init_from is not None:
        start = task.network.load(init_from, "cpu")
        check_start(start, task, init_from)
        parts = parts if parts is not None else dict(start.parts)
    device = distributed.training_device(run.device)
    owned = distributed.setup(device)
    try:
        group = distributed.current()
        show = run.progress and group.main
        recipe = {"config": config.to_dict(), "min_count": min_count,
                  "training": {k: v for k, v in asdict(train_config).items() if k not in RESUMABLE},
                  "word_vectors": word_vectors if not isinstance(word_vectors, WordVectors) else
                  f"WordVectors({len(word_vectors)} words x {word_vectors.dim})",
                  "char_lm": char_lm if not isinstance(char_lm, CharLM) else
                  f"CharLM({len(char_lm.chars)} characters x {char_lm.hidden})",
                  "init_embeddings_from": str(init_embeddings_from) if init_embeddings_from else None,
                  "data": fingerprint(task.data()), "meta": meta or {}}
        if start is not None:   # a resumed run must start from the same weights, wherever they are now
            recipe["init_from"] = start.digest()
        if parts:   # a resumed run carries the same networks (their weights, wherever they were loaded from)
            recipe["parts"] = {name: part.digest() for name, part in parts.items()}
        ckpt = load_checkpoint(out, kind) if run.resume else None
        if ckpt is not None:
            check_same_run(ckpt.recipe, recipe, out)
        if out is not None and group.main:
            out.mkdir(parents=True, exist_ok=True)
            if run.overwrite:   # the old run's checkpoint must not be resumed into the new run
                shutil.rmtree(checkpoint_folder(out), ignore_errors=True)
        set_seed(train_config.seed)   # model initialisation is part of what the seed reproduces
        vectors, embedding, lm = None, None, None
        if ckpt is not None:
            vocab, config = ckpt.vocab, type(config).from_dict(ckpt.recipe["model_config"])
        elif start is not None:
            vocab, config = start.vocab, start.config
        elif init_embeddings_from is not None:
            source_vocab, emb_config, embedding = load_embedding(init_embeddings_from)
            vocab, config = source_vocab.with_labels(task.labels), replace(config, embedding=emb_config)
        else:
            vectors = learn_from_text("word_vectors", word_vectors, WordVectors,
                                      lambda spec: word_vectors_from(spec, task.words, vector_dim, held_out=held_out),
                                      lambda v: f"{len(v):,} words x {v.dim}", show)
            vocab = Vocab.build(task.words, [task.labels], min_count=min_count,
                                vector_words=vectors.words if vectors else None, feature_seqs=task.features)
            lm = learn_from_text("char_lm", char_lm, CharLM, lambda spec: char_lm_from(
                spec, task.words, held_out, max_minutes=char_lm_minutes, progress=show),
                lambda m: f"{len(m.chars)} characters, {m.hidden} units a direction", show)
            config = sized_for_context(sized_for(config, vectors), lm)
        distributed.check_same(vocab_to_bytes(vocab), "vocabulary", group)
        net = task.network.new(vocab, config, vectors)
        if embedding is not None:
            net.model.embedding.load_state_dict(embedding)
        if start is not None and ckpt is None:
            net.model.load_state_dict(start.model.state_dict())
        if lm is not None:
            net.model.embedding.context.load_state_dict(lm.state_dict())
        if ckpt is not None:
            check_state(net.model.state_dict(), ckpt.model, checkpoint_folder(out))
            net.model.load_state_dict(ckpt.model)
        net.to(device)
        recipe["model_config"] = net.config.to_dict()
        net.meta = {"training": asdict(train_config), **(meta or {})}
        if start is not None:
            net.meta["init_from"] = str(init_from)
        for name, part in (parts or {}).items():
            net.attach(name, part)
        if ckpt is not None and ckpt.state.history.best_epoch:
            net.meta.update(best_epoch=ckpt.state.history.best_epoch,
                            **{task.score_name: round(ckpt.state.history.best_score, 5)})

        state = ckpt.state if ckpt is not None else TrainState()

        def on_best(epoch: int, score: float) -> None:
            net.meta.update(best_epoch=epoch, history=state.history.epochs, **{task.score_name: round(score, 5)})
            if out is not None:
                net.save(out)

        def checkpoint(state) -> None:
            save_checkpoint(out, kind, recipe, vocab, net.model.state_dict(), state)

        history = fit(net.model, lambda rng: task.batches(vocab, rng), task.loss, train_config,
                      (lambda _model: task.score(net)) if task.has_dev else None, on_best, run.progress,
                      state=state,
                      checkpoint=checkpoint if out is not None else None, checkpoint_every=run.checkpoint_every,
                      on_step=run.on_step, device=device)
        net.meta.update(stopped=history.stopped, history=history.epochs)
        if out is not None and group.main:
            net.save(out)   # the best weights (fit restored them) with the final metadata
        return net, history
    finally:
        if owned:
            distributed.teardown()
