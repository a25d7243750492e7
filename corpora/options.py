"""Command-line flags generated from the config dataclasses, shared by the tagger and treernn CLIs,
so every option has one name, one help text and one default across the package."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import fields


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
    "optimizer": "adam, adagrad or sgd",
    "lr": "learning rate",
    "weight_decay": "L2 penalty on all weights",
    "clip_norm": "clip the global gradient norm to this; 0 disables clipping",
    "patience": "stop after this many epochs without a better dev accuracy",
    "seed": "random seed (initialisation, batch order, dropout)",
    "max_minutes": "stop after the epoch that crosses this wall-clock budget",
    "on_nonfinite": "when the loss becomes inf/NaN: raise an error or stop and keep the best model",
}
EMB_HELP = {
    "word_dim": "word embedding size",
    "char_dim": "character embedding size",
    "char_encoder": "character-level word encoder: cnn, lstm or none",
    "char_out": "size of a word's character encoding",
    "char_kernel": "character CNN window",
    "shape_dim": "word-shape (capitalisation, digits, punctuation) embedding size",
    "word_dropout": "alpha: a training word seen c times is replaced by <unk> with probability alpha/(alpha+c)",
}


def add_word_vector_options(group: argparse._ArgumentGroup) -> None:
    """``--word-vectors`` / ``--vector-dim``, read by :func:`corpora.wordvectors.word_vectors_from`."""
    from .wordvectors import DEFAULT_CORPORA, MAX_FILE_WORDS, VECTOR_DIM

    group.add_argument("--word-vectors", default=",".join(DEFAULT_CORPORA), metavar="SPEC",
                       help="frozen pretrained word vectors: comma-separated NLTK corpora to learn them from "
                            "(their raw text plus the training text), a GloVe/word2vec text file (its first "
                            f"{MAX_FILE_WORDS:,} words), or none (default: %(default)s)")
    group.add_argument("--vector-dim", dest="learned_vector_dim", type=int, default=VECTOR_DIM, metavar="N",
                       help="size of word vectors learned from corpora (default: %(default)s)")


def run_command(prog: str, args: argparse.Namespace, commands: dict[str, Callable[[argparse.Namespace], int]]) -> int:
    """Run the chosen sub-command; a user error prints one line (no traceback) and exits 2."""
    try:
        return commands[args.command](args)
    except (ValueError, TypeError, LookupError, OSError) as e:
        print(f"{prog} {args.command}: error: {e}", file=sys.stderr)
        return 2
