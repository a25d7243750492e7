"""Command-line flags shared by the tagger and treernn CLIs: generated from the config dataclasses,
plus the options of a training run (output folder, resume, checkpoints, device), so every option
has one name, one help text and one default across the package."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import fields

from .device import DEFAULT_DEVICE
from .train import OPTIMIZERS, RESUMABLE


def add_dataclass_options(p: argparse.ArgumentParser, cls, title: str, helps: dict[str, str] | None = None,
                          defaults: dict | None = None) -> argparse._ArgumentGroup:
    """One ``--flag`` per dataclass field, its help text and default shown (shared with treernn's CLI).

    Fields named in ``helps`` get flags (a field left out there is set by the program, not the user)."""
    g = p.add_argument_group(title)
    for f in fields(cls):
        if helps is not None and f.name not in helps:
            continue
        default = (defaults or {}).get(f.name, f.default)
        flag = "--" + f.name.replace("_", "-")
        helptext = (helps or {}).get(f.name, "") + f" (default: {default})"
        if isinstance(default, bool):
            g.add_argument(flag, type=lambda s: s.lower() in ("1", "true", "yes", "on"), default=default,
                           metavar="BOOL", help=helptext)
        elif default is None or isinstance(default, float):
            g.add_argument(flag, type=float, default=default, help=helptext)
        else:
            g.add_argument(flag, type=type(default), default=default, help=helptext)
    return g


def dataclass_from_args(cls, args: argparse.Namespace):
    """Build ``cls`` from the flags :func:`add_dataclass_options` added; a clip norm of 0 means off."""
    values = {f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)}
    if "clip_norm" in values:
        values["clip_norm"] = values["clip_norm"] or None
    return cls(**values)


TRAIN_HELP = {
    "epochs": "maximum number of passes over the training data",
    "batch_size": "sentences (or trees) per training batch",
    "optimizer": "one of " + ", ".join(OPTIMIZERS),
    "lr": "learning rate",
    "weight_decay": "L2 penalty on all weights",
    "clip_norm": "clip the global gradient norm to this; 0 disables clipping",
    "patience": "stop after this many epochs without a better dev score (accuracy; span F1 for chunk/entity tags)",
    "anneal": "multiply the learning rate by this when the dev score has not improved for --anneal-patience "
              "epochs (e.g. 0.5; 1 keeps it constant)",
    "anneal_patience": "epochs without a better dev score (and since the last cut) before the learning rate is cut",
    "seed": "random seed (initialisation, batch order, dropout)",
    "max_minutes": "stop after the epoch that crosses this wall-clock budget, counted over the whole run: "
                   "a resumed run's earlier minutes count, so raise it with --resume to train on",
    "on_nonfinite": "when the loss becomes inf/NaN: raise an error or stop and keep the best model",
}
EMB_HELP = {
    "word_dim": "word embedding size",
    "char_dim": "character embedding size",
    "char_encoder": "character-level word encoder: cnn, lstm or none",
    "char_out": "size of a word's character encoding",
    "char_kernel": "character CNN window, in characters (odd)",
    "shape_dim": "word-shape (capitalisation, digits, punctuation) embedding size",
    "word_dropout": "alpha: a training word seen c times is replaced by <unk> with probability alpha/(alpha+c)",
    "feature_dim": "embedding size of each extra input column (e.g. CoNLL-2000's POS tags), when the data has any",
}


def add_word_vector_options(group: argparse._ArgumentGroup) -> None:
    """``--word-vectors`` / ``--vector-dim``, read by :func:`corpora.wordvectors.word_vectors_from`."""
    from corpora.wordvectors import DEFAULT_VECTORS, MAX_FILE_WORDS, VECTOR_DIM

    group.add_argument("--word-vectors", default=DEFAULT_VECTORS, metavar="SPEC",
                       help="frozen pretrained word vectors: comma-separated NLTK corpora to learn them from "
                            "(their raw text without the run's dev and test sentences, plus the training text), "
                            f"a GloVe/word2vec text file (its first {MAX_FILE_WORDS:,} words), or none "
                            "(default: %(default)s)")
    group.add_argument("--vector-dim", dest="learned_vector_dim", type=int, default=VECTOR_DIM, metavar="N",
                       help="size of word vectors learned from corpora (default: %(default)s)")


def positive_int(text: str) -> int:
    """argparse type for counts and limits: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


# options of how a run is carried out, not of what it trains: taken from the command line on --resume too
RUN_OPTIONS = ("out", "overwrite", "resume", "checkpoint_every", "device", "quiet")


def add_device_option(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    p.add_argument("--device", default=DEFAULT_DEVICE, metavar="DEVICE",
                   help="auto (a CUDA GPU when there is one), cpu, cuda or cuda:N (default: %(default)s)")


def add_run_options(p: argparse.ArgumentParser, start: bool = True) -> None:
    """Output folder, overwrite/resume, checkpoints, device, progress; with ``start``, a start from a
    saved model's embedding and the vocabulary's minimum count."""
    g = p.add_argument_group("run")
    g.add_argument("--out", metavar="DIR", help="folder to write the model to: the best model is saved after every "
                   "improving epoch, a checkpoint of the run (OUT/checkpoint) after every epoch. Refused if it "
                   "already holds a model, unless --overwrite")
    g.add_argument("--overwrite", action="store_true", help="replace the model already in --out (the old one "
                   "stays until the new run saves its first model)")
    g.add_argument("--resume", metavar="DIR", help="continue the run checkpointed in DIR with the options it was "
                   "started with; only " + ", ".join("--" + o.replace("_", "-") for o in RUN_OPTIONS[3:] + RESUMABLE)
                   + " may be given anew (e.g. raise --epochs)")
    g.add_argument("--checkpoint-every", type=int, default=0, metavar="N",
                   help="also checkpoint every N optimizer steps, not only at the end of each epoch (default: 0)")
    add_device_option(g)
    g.add_argument("--quiet", action="store_true", help="no progress output")
    if not start:
        return
    g.add_argument("--init-embeddings-from", metavar="MODEL_DIR",
                   help="start from the embedding layer and vocabulary of any saved model, a tagger or a tree "
                        "network (its word vectors included; --word-vectors is then not used)")
    g.add_argument("--min-count", type=positive_int, default=1,
                   help="words seen fewer times in training become <unk> (default: %(default)s)")


def resumed_args(args: argparse.Namespace, defaults: dict, kind: str) -> argparse.Namespace:
    """With ``--resume DIR``: the options DIR's run was started with, plus the run options given now.
    An option given now that differs from the saved run is an error (it would train another model)."""
    if not args.resume:
        if not args.out:
            raise ValueError("give --out DIR (the folder to save the model in), or --resume DIR")
        return args
    from .checkpoint import saved_options

    if args.out and args.out != args.resume:
        raise ValueError(f"--out {args.out} and --resume {args.resume} differ: a resumed run stays in its folder")
    saved = saved_options(args.resume, kind)
    given = {k: v for k, v in vars(args).items() if k not in RUN_OPTIONS and v != defaults.get(k)}
    for key, value in given.items():
        if key not in RESUMABLE and key in saved and value != saved[key]:
            flag = "--" + key.replace("_", "-")
            raise ValueError(f"{flag} {value} differs from the run in {args.resume} ({saved[key]}); --resume "
                             f"continues that run with its own options")
    now = {k: getattr(args, k) for k in RUN_OPTIONS}
    return argparse.Namespace(**{**vars(args), **saved, **given, **now, "out": args.resume})


def cli_options(args: argparse.Namespace) -> dict:
    """The options of a training command, saved with its checkpoint for ``--resume``."""
    return {k: v for k, v in vars(args).items() if k not in RUN_OPTIONS and k != "command"}


def run_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of :class:`deeptrees.recipe.RunOptions` (but ``progress``) from the flags."""
    return {"out": args.out, "overwrite": args.overwrite, "resume": bool(args.resume),
            "checkpoint_every": args.checkpoint_every, "device": args.device}


def add_plot_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plot", metavar="DIR", help="also write DIR/learning_curve.png (from the model's training "
                   "history) and DIR/confusion.png (needs matplotlib: pip install 'nltk-deeptrees[plots]')")


def write_plots(folder: str, history: list[dict] | None, gold: list[str], predicted: list[str], title: str) -> list:
    """What ``--plot DIR`` writes: the learning curve (when the model has a history) and the confusion matrix."""
    from pathlib import Path

    from .plots import confusion_matrix, learning_curve

    paths = [confusion_matrix(gold, predicted, Path(folder) / "confusion.png", title)]
    if history:
        paths.insert(0, learning_curve(history, Path(folder) / "learning_curve.png", title))
    return paths


def run_command(prog: str, args: argparse.Namespace, commands: dict[str, Callable[[argparse.Namespace], int]]) -> int:
    """Run the chosen sub-command; a user error prints one line (no traceback) and exits 2."""
    try:
        return commands[args.command](args)
    except (ValueError, TypeError, LookupError, OSError) as e:
        print(f"{prog} {args.command}: error: {e}", file=sys.stderr)
        return 2
