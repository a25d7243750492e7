"""Command line: ``python -m tagger {train,evaluate,tag}`` (also installed as ``tagger``).

  tagger train --corpus treebank --out runs/pos          # train, select on dev, save the best model
  tagger evaluate --model runs/pos --corpus treebank --split test
  echo "The old man the boats ." | tagger tag            # default model, word/TAG output
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from corpora.embedding import EmbeddingConfig
from deeptrees.device import DEFAULT_DEVICE
from deeptrees.distributed import is_main_process
from deeptrees.options import (EMB_HELP, TRAIN_HELP, add_dataclass_options, add_run_options, add_word_vector_options,
                               cli_options, dataclass_from_args, positive_int, resumed_args, run_command, run_options)
from deeptrees.train import TrainConfig


def read_text_file(path: str) -> str:
    """A UTF-8 text file's contents (a byte-order mark dropped); a file that is not UTF-8 is a
    ``ValueError`` naming the file, the byte offset and the line."""
    data = open(path, "rb").read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ValueError(f"{path}: not UTF-8 text: byte {data[e.start]:#04x} at offset {e.start} (line {line}); "
                         f"convert the file to UTF-8") from None


def read_tagged_file(path: str) -> list[list[tuple[str, str]]]:
    """One sentence a line, tokens written ``word/TAG`` (the last ``/`` splits), as NLTK's ``str2tuple``."""
    sentences = []
    for lineno, line in enumerate(read_text_file(path).splitlines(), 1):
        sent = []
        for tok in line.split():
            word, sep, tag = tok.rpartition("/")
            if not sep or not word or not tag:
                raise ValueError(f"{path}:{lineno}: token {tok!r} is not of the form word/TAG")
            sent.append((word, tag))
        if sent:
            sentences.append(sent)
    if not sentences:
        raise ValueError(f"{path} holds no tagged sentences")
    return sentences


def _data(args: argparse.Namespace, split: str, file: str | None):
    import corpora

    if file:
        return read_tagged_file(file)
    options = {}
    if args.corpus == "treebank" and args.tagset != "ptb":
        options["tagset"] = args.tagset
    if args.corpus == "conll2000":
        options["column"] = args.column
    return corpora.load(args.corpus, split, **options)


def _add_corpus_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data")
    g.add_argument("--corpus", default="treebank", choices=["treebank", "brown", "conll2000"],
                   help="NLTK corpus, with the project's standard train/dev/test split (default: treebank)")
    g.add_argument("--tagset", default="ptb", choices=["ptb", "universal"],
                   help="treebank only: Penn Treebank tags or the 12 universal tags (default: ptb)")
    g.add_argument("--column", default="chunk", choices=["chunk", "pos"],
                   help="conll2000 only: which column is the label (default: chunk)")


def _held_out(args: argparse.Namespace) -> list[list[str]]:
    """The test split's token lists (dev is held out by the trainer): kept out of the word vectors' text."""
    return [] if args.train_file else [[w for w, _ in s] for s in _data(args, "test", None)]


def build_parser() -> argparse.ArgumentParser:
    from .model import TaggerConfig
    from .train import TRAINING

    parser = argparse.ArgumentParser(prog="tagger", description="Deep BiLSTM part-of-speech tagger / sequence labeller.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a tagger, select on dev accuracy, save the best model")
    _add_corpus_options(p)
    p.add_argument("--train-file", help="train on this word/TAG file (one sentence a line) instead of --corpus")
    p.add_argument("--dev-file", help="select on this word/TAG file instead of the corpus' dev split")
    p.add_argument("--max-train-sentences", type=positive_int, metavar="N", help="use only the first N training sentences")
    add_run_options(p)
    m = p.add_argument_group("network")
    m.add_argument("--cell", default=TaggerConfig.cell, choices=["lstm", "gru", "rnn"], help="recurrent cell (default: %(default)s)")
    m.add_argument("--layers", type=int, default=TaggerConfig.num_layers, help="stacked recurrent layers (default: %(default)s)")
    m.add_argument("--hidden", type=int, default=TaggerConfig.hidden_size, help="hidden units per direction (default: %(default)s)")
    m.add_argument("--unidirectional", action="store_true", help="left-to-right only (default: bidirectional)")
    m.add_argument("--dropout", type=float, default=TaggerConfig.dropout, help="dropout rate (default: %(default)s)")
    emb = add_dataclass_options(p, EmbeddingConfig, "embedding layer", helps=EMB_HELP)
    add_word_vector_options(emb)
    add_dataclass_options(p, TrainConfig, "training", helps=TRAIN_HELP, defaults=asdict(TRAINING))

    p = sub.add_parser("evaluate", help="accuracy, OOV accuracy and a per-tag report on a split or file")
    p.add_argument("--model", help="model folder (default: the model shipped with the package)")
    _add_corpus_options(p)
    p.add_argument("--split", default="test", choices=["train", "dev", "test"], help="which split (default: test)")
    p.add_argument("--file", help="evaluate on this word/TAG file instead of --corpus")
    p.add_argument("--no-report", action="store_true", help="skip the per-tag table")
    p.add_argument("--device", default=DEFAULT_DEVICE, help="auto, cpu, cuda or cuda:N (default: %(default)s)")

    p = sub.add_parser("tag", help="tag text from the arguments or standard input, one sentence a line")
    p.add_argument("text", nargs="*", help="text to tag; read from standard input when absent")
    p.add_argument("--model", help="model folder (default: the model shipped with the package)")
    p.add_argument("--format", default="slash", choices=["slash", "tsv"],
                   help="slash: word/TAG on one line per sentence; tsv: word<TAB>tag per line, blank line between")
    p.add_argument("--pretokenized", action="store_true",
                   help="input is already tokenized: split on whitespace instead of running the tokenizer")
    p.add_argument("--device", default=DEFAULT_DEVICE, help="auto, cpu, cuda or cuda:N (default: %(default)s)")
    return parser


def _load_tagger(model: str | None, device: str):
    from .api import Tagger, load_default

    if model is not None and not model.strip():
        raise ValueError("--model is empty; leave it out to use the default model")
    return Tagger.load(model, device) if model else load_default().to(device)


def configs_from_args(args: argparse.Namespace):
    """The architecture and training configs a ``tagger train`` command line asks for."""
    from .model import TaggerConfig

    config = TaggerConfig(embedding=dataclass_from_args(EmbeddingConfig, args), cell=args.cell,
                          hidden_size=args.hidden, num_layers=args.layers, bidirectional=not args.unidirectional,
                          dropout=args.dropout)
    return config, dataclass_from_args(TrainConfig, args)


def cmd_train(args: argparse.Namespace) -> int:
    from deeptrees.recipe import RunOptions, check_out

    from .train import train_tagger

    args = resumed_args(args, vars(build_parser().parse_args(["train", "--out", "-"])), "tagger")
    check_out(RunOptions(**run_options(args)))      # before any data is read
    train = _data(args, "train", args.train_file)
    if args.max_train_sentences:
        train = train[: args.max_train_sentences]
    dev = _data(args, "dev", args.dev_file) if (args.dev_file or not args.train_file) else None
    config, train_config = configs_from_args(args)
    corpus = args.train_file or f"{args.corpus}" + (f"/{args.tagset}" if args.corpus == "treebank" else "")
    meta = {"corpus": corpus, "word_vectors": args.word_vectors, "cli": cli_options(args)}
    tagger, history = train_tagger(train, dev, config, train_config, min_count=args.min_count, progress=not args.quiet,
                                   meta=meta, word_vectors=args.word_vectors, vector_dim=args.learned_vector_dim,
                                   held_out=_held_out(args), init_embeddings_from=args.init_embeddings_from,
                                   **run_options(args))
    best = f", best dev accuracy {100 * history.best_score:.2f}% at epoch {history.best_epoch}" if dev else ""
    if is_main_process():
        print(f"saved {tagger!r} to {args.out}{best} (stopped: {history.stopped})")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate

    from .evaluate import check_tagset

    tagger = _load_tagger(args.model, args.device)
    gold = _data(args, args.split, args.file)
    check_tagset(gold, tagger.tagset)
    result = evaluate(tagger.tag_sents, gold, tagger.vocab.knows)
    print(result.summary())
    if not args.no_report:
        print(result.report())
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    from corpora.text import tokenize

    tagger = _load_tagger(args.model, args.device)
    lines = [" ".join(args.text)] if args.text else sys.stdin.read().splitlines()
    sents = [line.split() if args.pretokenized else tokenize(line) for line in lines]
    for tagged in tagger.tag_sents(sents):
        if args.format == "tsv":
            print("".join(f"{w}\t{t}\n" for w, t in tagged))
        else:
            print(" ".join(f"{w}/{t}" for w, t in tagged))
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_command("tagger", build_parser().parse_args(argv), {"train": cmd_train, "evaluate": cmd_evaluate, "tag": cmd_tag})


if __name__ == "__main__":
    sys.exit(main())
