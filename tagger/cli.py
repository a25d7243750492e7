"""Command line: ``python -m tagger {train,distill,evaluate,tag}`` (also installed as ``tagger``).

  tagger train --corpus treebank --out runs/pos          # train, select on dev, save the best model
  tagger distill --teacher runs/pos --out runs/fast      # a 1-layer student learns runs/pos's tags: ~1.6x faster
  tagger evaluate --model runs/pos --corpus treebank --split test
  echo "The old man the boats ." | tagger tag            # default model, word/TAG output
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import asdict, fields
from functools import partial

import corpora
from corpora.charlm import MAX_MINUTES as CHAR_LM_MINUTES
from corpora.embedding import EmbeddingConfig
from deeptrees.distributed import is_main_process
from deeptrees.options import (EMB_HELP, TRAIN_HELP, add_dataclass_options, add_device_option, add_plot_option,
                               add_run_options, add_word_vector_options, cli_options, dataclass_from_args,
                               positive_int, resumed_args, run_command, run_options, write_plots)
from deeptrees.train import TrainConfig


def _data(args: argparse.Namespace, split: str, file: str | None, pos_feature: bool | None = None):
    """Tagged sentences of a file (``--file-format``, ``--columns``, ``--label``) or of a corpus split;
    CoNLL-2000 chunks come with their POS column as an input feature unless ``--no-pos-feature``,
    CoNLL-2002 entities with it only given ``--pos-feature``."""
    from corpora.readers import read_tagged

    if file:
        return read_tagged(file, args.file_format, args.columns, args.label)
    options = {}
    if args.corpus == "treebank" and args.tagset != "ptb":
        options["tagset"] = args.tagset
    if args.corpus == "conll2000":
        options["column"] = args.column
    if args.corpus == "conll2002":
        options["lang"] = _conll2002_files(args)
        if args.column == "pos":
            options["column"] = "pos"
    if args.corpus in ("conll2000", "conll2002"):
        default = args.corpus == "conll2000" and args.column == "chunk"
        options["pos_feature"] = (default if args.pos_feature is None else args.pos_feature) \
            if pos_feature is None else pos_feature
    return corpora.load(args.corpus, split, **options)


CONLL2002_FILES = {"es": "esp", "nl": "ned"}   # --lang es/nl name CoNLL-2002's esp/ned files too


def _conll2002_files(args: argparse.Namespace) -> str:
    """Which CoNLL-2002 files --lang names: esp (the default) or ned."""
    lang = args.lang or "esp"
    return CONLL2002_FILES.get(lang, lang)


def _language(args: argparse.Namespace) -> str:
    """The language code (en, es, nl) of the run's text, from --lang (CoNLL-2002's default: esp)."""
    from corpora.tagged import CONLL2002_LANGUAGES

    if args.corpus == "conll2002" and not args.train_file:
        lang = _conll2002_files(args)
        if lang not in CONLL2002_LANGUAGES:
            raise ValueError(f"--corpus conll2002 has --lang esp (Spanish) or ned (Dutch), not {lang!r}")
        return CONLL2002_LANGUAGES[lang]
    if args.lang and not args.train_file:
        raise ValueError(f"--lang is for --corpus conll2002 or a --train-file, not --corpus {args.corpus}")
    return CONLL2002_LANGUAGES.get(args.lang, args.lang or "en")


def _add_corpus_options(p: argparse.ArgumentParser, corpus_default: str | None = "treebank") -> None:
    from corpora.tagged import CORPORA

    g = p.add_argument_group("data")
    g.add_argument("--corpus", default=corpus_default, choices=list(CORPORA),
                   help="NLTK corpus, with the project's standard train/dev/test split (default: " +
                   (corpus_default or "the one the model was trained on, else treebank") + ")")
    g.add_argument("--tagset", default="ptb", choices=["ptb", "universal"],
                   help="treebank only: Penn Treebank tags or the 12 universal tags (default: ptb)")
    g.add_argument("--column", default="chunk", choices=["chunk", "pos"],
                   help="conll2000, conll2002: which column is the label: chunk (the default: chunk tags in "
                        "conll2000, entity tags in conll2002) or pos")
    g.add_argument("--lang", choices=["esp", "ned", "en", "es", "nl"],
                   help="conll2002: esp (Spanish, the default) or ned (Dutch); with --train-file the language of "
                        "the text, en, es or nl (default: en). It picks the tokenizer for raw text and the default "
                        "word-vector text")
    g.add_argument("--pos-feature", dest="pos_feature", action="store_true", default=None,
                   help="read the corpus' POS column as an input feature (default for conll2000 chunks; "
                        "optional for conll2002)")
    g.add_argument("--no-pos-feature", dest="pos_feature", action="store_false",
                   help="do not read the POS column as an input feature")
    g.add_argument("--file-format", default="auto", choices=["auto", "slash", "columns", "conllu"],
                   help="format of --train-file/--dev-file/--file: slash (word/TAG, a sentence a line), columns "
                        "(CoNLL: a token a line, see --columns), conllu; auto: conllu for *.conllu, columns when "
                        "--columns is given, else slash (default: auto)")
    g.add_argument("--columns", metavar="NAMES", help="column files: the names of the columns, e.g. word,pos,chunk "
                   "('_' skips one); the label column is predicted, the others are input features")
    g.add_argument("--label", help="column files: the column to predict (default: the last named one); "
                   "CoNLL-U: upos (default) or xpos")


def _add_train_files(p: argparse.ArgumentParser) -> None:
    p.add_argument("--train-file", help="train on this file (see --file-format) instead of --corpus")
    p.add_argument("--dev-file", help="select on this file instead of the corpus' dev split")


def _train_dev(args: argparse.Namespace) -> tuple[list, list | None]:
    """The training and dev sentences of ``--train-file`` / ``--dev-file`` or the corpus' splits
    (a train file without a dev file: no dev set)."""
    train = _data(args, "train", args.train_file)
    return train, _data(args, "dev", args.dev_file) if (args.dev_file or not args.train_file) else None


EXTRA_CORPORA = {   # --extra-train's named corpora: the loader (given the held-out sentences) and what it holds
    "conll2000-pos": (corpora.load_silver_pos, "CoNLL-2000's 11k WSJ sentences with the POS tags the Brill tagger gave "
                                               "them (silver, for PTB-tagged treebank runs)"),
    "cess-esp-entities": (corpora.load_cess_entities, "CESS-ESP's 5.9k Spanish news sentences with their typed proper "
                                                      "nouns as IOB2 entities (for Spanish NER)"),
}


def _extra_train(args: argparse.Namespace, train: list, held_out: list[list[str]]) -> list:
    """``--extra-train``'s sentences without those in ``held_out``; refused if they do not fit ``train``."""
    from corpora.readers import read_tagged

    spec = args.extra_train
    extra = EXTRA_CORPORA[spec][0](held_out) if spec in EXTRA_CORPORA else \
        corpora.drop_sentences(read_tagged(spec, args.file_format, args.columns, args.label), held_out)
    if not extra:
        raise ValueError(f"--extra-train {spec}: no sentences left once the run's dev and test sentences are dropped")
    if len(extra[0][0]) != len(train[0][0]):
        raise ValueError(f"--extra-train {spec}: {len(extra[0][0])} columns a token, the training data has "
                         f"{len(train[0][0])}")
    unknown = sorted({t[-1] for s in extra for t in s} - {t[-1] for s in train for t in s})
    if unknown:
        raise ValueError(f"--extra-train {spec} has tags the training data never uses ({', '.join(unknown[:8])}): "
                         f"another tag set?")
    return extra


def _held_out(args: argparse.Namespace) -> list[list[str]]:
    """The test split's words (dev is held out by the trainer): kept out of the word vectors' text."""
    return [] if args.train_file else [[t[0] for t in s] for s in _data(args, "test", None)]


BLOCK = 256   # sentences read at a time by `tagger tag --nbest`


def build_parser() -> argparse.ArgumentParser:
    from .model import OUTPUTS, TaggerConfig
    from .train import TRAINING

    parser = argparse.ArgumentParser(prog="tagger", description="Deep BiLSTM part-of-speech tagger / sequence labeller.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a tagger, select on dev accuracy (span F1 for chunk/entity tags), save the best model")
    _add_corpus_options(p)
    _add_train_files(p)
    p.add_argument("--max-train-sentences", type=positive_int, metavar="N", help="use only the first N training sentences")
    p.add_argument("--extra-train", metavar="SPEC",
                   help="more training sentences, with the same tags: a file (read as --file-format, --columns say), "
                        + ", ".join(f"or {name}: {what}" for name, (_, what) in EXTRA_CORPORA.items())
                        + "; sentences that are also in the run's dev or test split are dropped. E.g. train on them, "
                          "then fine-tune on the corpus alone with --init-from")
    p.add_argument("--init-from", metavar="MODEL_DIR",
                   help="start from a saved tagger, all of it: vocabulary, weights, and its network and embedding "
                        "options, which the options below then cannot change (--word-vectors, --char-lm and "
                        "--min-count go unused); fine-tuning, e.g. after --extra-train")
    p.add_argument("--features-from", metavar="DIR",
                   help="for data with one feature column (e.g. --pos-feature): a tagger of words whose tags are that "
                        "column (e.g. trained with --column pos), saved inside the model so that it also tags plain "
                        "words and raw text; training still reads the data's own column")
    add_run_options(p)
    m = p.add_argument_group("network")
    m.add_argument("--cell", default=TaggerConfig.cell, choices=["lstm", "gru", "rnn"], help="recurrent cell (default: %(default)s)")
    m.add_argument("--layers", type=int, default=TaggerConfig.num_layers, help="stacked recurrent layers (default: %(default)s)")
    m.add_argument("--hidden", type=int, default=TaggerConfig.hidden_size, help="hidden units per direction (default: %(default)s)")
    m.add_argument("--unidirectional", action="store_true", help="left-to-right only (default: bidirectional)")
    m.add_argument("--dropout", type=float, default=TaggerConfig.dropout, help="dropout rate (default: %(default)s)")
    m.add_argument("--output", default=TaggerConfig.output, choices=list(OUTPUTS),
                   help="softmax: each token's tag on its own; crf: the best tag sequence (chunk tags never form "
                        "an invalid sequence) (default: %(default)s)")
    emb = add_dataclass_options(p, EmbeddingConfig, "embedding layer", helps=EMB_HELP)
    add_word_vector_options(emb)
    emb.add_argument("--char-lm", metavar="SPEC", default="none",
                     help="contextual word vectors from a forward and a backward character language model, "
                          "learned first from these comma-separated NLTK corpora (their raw text without the run's "
                          "dev and test sentences, plus the training text), then frozen and saved with the tagger; "
                          "tagging is several times slower (default: %(default)s)")
    emb.add_argument("--char-lm-minutes", type=float, default=CHAR_LM_MINUTES, metavar="MIN",
                     help="time budget for learning the character language models (default: %(default)s)")
    add_dataclass_options(p, TrainConfig, "training", helps=TRAIN_HELP, defaults=asdict(TRAINING))

    from deeptrees.cache import AUTO as CACHE
    from deeptrees.cache import ENV as CACHE_ENV

    from .distill import DISTILL_TRAINING, STUDENT, UNLABELLED

    p = sub.add_parser("distill", help="train a smaller, faster student on a teacher model's tags over unlabelled "
                       "text (and the gold training tags), select on dev, save the best student")
    _add_corpus_options(p)
    p.add_argument("--teacher", nargs="+", metavar="DIR",
                   help="the teacher: a model folder (default: the model shipped with the package); several "
                        "folders: an ensemble (the student learns their mean distribution and starts from the "
                        "first one's embedding); taggers of words only, with one tag set: softmax ones for a "
                        "softmax student, any for a CRF student (which learns their tag sequences)")
    p.add_argument("--unlabelled", metavar="SPEC",
                   help="the text the teacher tags: comma-separated NLTK corpora, name:prefix for some of a "
                        "corpus' files; the run's dev and test sentences are removed first (default by the "
                        "teacher's language: " + ", ".join(f"{k}: {v}" for k, v in UNLABELLED.items()) + ")")
    p.add_argument("--features-from", metavar="DIR",
                   help="for teachers that read a feature column beside each word (e.g. --pos-feature): a tagger "
                        "of words whose tags become that column of the unlabelled text, e.g. one trained on the "
                        "labelled data's POS column (CRF students only; default: the one the first teacher carries, "
                        "if any); saved inside the student, so that it tags plain words and raw text")
    p.add_argument("--cache", metavar="DIR", default=CACHE,
                   help="folder that keeps the teachers' outputs over the unlabelled text, so students of the same "
                        "teachers and text (other seeds, runs started together, resumed runs) tag it once: a folder, "
                        f"none, or {CACHE} (${CACHE_ENV}, else ~/.cache/deeptrees) (default: %(default)s)")
    _add_train_files(p)
    add_run_options(p, start=False)
    m = p.add_argument_group("student network (its embedding is the teacher's)")
    m.add_argument("--layers", type=int, default=STUDENT.num_layers, help="stacked BiLSTM layers (default: %(default)s)")
    m.add_argument("--hidden", type=int, default=STUDENT.hidden_size, help="hidden units per direction (default: %(default)s)")
    m.add_argument("--dropout", type=float, default=STUDENT.dropout, help="dropout rate (default: %(default)s)")
    m.add_argument("--output", default=STUDENT.output, choices=list(OUTPUTS),
                   help="softmax: learns the teacher's tag distribution at each token; crf: learns the teacher's "
                        "(ensemble's) likeliest tag sequence of each sentence, so CRF teachers can teach it "
                        "(default: %(default)s)")
    add_dataclass_options(p, TrainConfig, "training", helps=TRAIN_HELP, defaults=asdict(DISTILL_TRAINING))

    p = sub.add_parser("evaluate", help="accuracy, OOV accuracy and a per-tag report on a split or file")
    _add_model_option(p)
    _add_corpus_options(p, corpus_default=None)
    p.add_argument("--split", default="test", choices=["train", "dev", "test"], help="which split (default: test)")
    p.add_argument("--file", help="evaluate on this file (see --file-format) instead of --corpus")
    p.add_argument("--no-report", action="store_true",
                   help="skip the per-tag (per chunk type) table and, for chunk and entity tags, the span errors by "
                        "kind (wrong type, wrong boundary, missed, spurious)")
    p.add_argument("--words-only", action="store_true",
                   help="give the model the words alone: one that reads a feature column (e.g. --pos-feature) gets "
                        "it from the tagger it carries (--features-from), as raw text does, instead of the data's")
    _add_consistent_option(p)
    _add_inference_options(p)
    add_plot_option(p)

    p = sub.add_parser("tag", help="tag text from the arguments or standard input (read as it comes)")
    p.add_argument("text", nargs="*", help="text to tag; read from standard input when absent")
    _add_model_option(p)
    p.add_argument("--input", default="text", choices=["text", "conllu", "columns"],
                   help="text: a sentence a line (tokenized by the rules of the model's language unless --pretokenized); conllu: CoNLL-U (its forms); "
                        "columns: a token a line, the columns named by --columns, e.g. word,pos for a model that "
                        "reads POS features (default: text)")
    p.add_argument("--columns", metavar="NAMES", help="--input columns: the column names (word first or not)")
    p.add_argument("--pretokenized", action="store_true",
                   help="text input is already tokenized: split on whitespace instead of running the tokenizer")
    p.add_argument("--format", default="slash", choices=["slash", "tsv", "conllu"],
                   help="slash: word/TAG, a sentence a line; tsv: word<TAB>tag a line, a blank line between "
                        "sentences; conllu: CoNLL-U with the tag as UPOS (default: slash)")
    p.add_argument("--probs", action="store_true", help="tsv/conllu: add each tag's probability (a CRF's marginal); "
                   "--entities: each entity's probability")
    p.add_argument("--entities", action="store_true",
                   help="models of chunk or entity tags (IOB, IOB2, BIOES): print one entity a line, "
                        "sentence<TAB>start<TAB>end<TAB>type<TAB>text (tokens start..end-1, counted from 0; "
                        "sentences from 1); for CoNLL output (a token a line) use --format tsv instead")
    p.add_argument("--nbest", type=positive_int, metavar="K",
                   help="the K best tag sequences of each sentence with their log-probabilities")
    _add_consistent_option(p)
    _add_inference_options(p)
    return parser


def _add_consistent_option(p: argparse.ArgumentParser) -> None:
    from .chunks import CONSISTENT

    p.add_argument("--consistent", type=int, default=0, metavar="N",
                   help="entity and chunk models: read the sentences as one text, in order, and give each name the "
                        "type its mentions in the N sentences before and after it get most often, each mention's "
                        "vote its probability (boundaries stay; 0: each sentence alone; chosen on Spanish news: "
                        f"{CONSISTENT}, +0.7 F1) (default: %(default)s)")


def _add_model_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", action="append", metavar="DIR",
                   help="model folder (default: the model shipped with the package); give it several times for an "
                        "ensemble of taggers trained on the same data (e.g. seeds of one command): the mean of their "
                        "tag distributions at every token, N times slower than one (Tagger.ensemble())")
    p.add_argument("--features-from", metavar="DIR",
                   help="for a model that reads a feature column beside each word (e.g. --pos-feature): the tagger "
                        "of that column (trained with --column pos), used in place of the one the model carries, "
                        "or for a model that carries none, to tag plain words and raw text (and --words-only)")


def _add_inference_options(p: argparse.ArgumentParser) -> None:
    add_device_option(p)
    p.add_argument("--int8", action="store_true",
                   help="int8 recurrent and linear layers on the CPU (with --device auto, the CPU even where there is a "
                        "GPU): 1.2x faster for a two-layer model, 1.04x for the shipped one-layer default; a score may "
                        "differ in the second decimal with the other sentences of its batch (Tagger.quantized())")


def _load_tagger(args: argparse.Namespace):
    from .api import Tagger, load_default

    models = args.model or []
    if any(not m.strip() for m in models):
        raise ValueError("--model is empty; leave it out to use the default model")
    device = "cpu" if args.int8 and args.device.strip().lower() == "auto" else args.device   # int8: CPU alone
    features = Tagger.load(args.features_from, device) if args.features_from else None
    if len(models) > 1:
        tagger = Tagger.ensemble(models, device, feature_tagger=features)
    else:
        tagger = Tagger.load(models[0], device) if models else load_default(device)
        if features is not None:
            tagger.feature_tagger = features   # checked against its column
    return tagger.quantized() if args.int8 else tagger


def configs_from_args(args: argparse.Namespace):
    """The architecture and training configs a ``tagger train`` command line asks for."""
    from .model import TaggerConfig

    config = TaggerConfig(embedding=dataclass_from_args(EmbeddingConfig, args), cell=args.cell,
                          hidden_size=args.hidden, num_layers=args.layers, bidirectional=not args.unidirectional,
                          dropout=args.dropout, output=args.output)
    return config, dataclass_from_args(TrainConfig, args)


FROM_MODEL = ("cell", "layers", "hidden", "unidirectional", "dropout", "output", "min_count", "word_vectors",
              "learned_vector_dim", "char_lm", "char_lm_minutes", "init_embeddings_from",
              *(f.name for f in fields(EmbeddingConfig)))   # what --init-from's model decides


def _check_init_from(args: argparse.Namespace, defaults: dict) -> None:
    """Refuse network options beside ``--init-from``, whose model decides them (they would go unused)."""
    given = [k for k in FROM_MODEL if args.init_from and k in defaults and getattr(args, k) != defaults[k]]
    if given:
        raise ValueError(f"--init-from {args.init_from} brings its own network and embedding: drop "
                         + ", ".join("--" + k.replace("_", "-").replace("learned-", "") for k in given))


def cmd_train(args: argparse.Namespace) -> int:
    from corpora.wordvectors import default_vectors
    from deeptrees.recipe import RunOptions, check_out

    from .train import train_tagger

    defaults = vars(build_parser().parse_args(["train", "--out", "-"]))
    args = resumed_args(args, defaults, "tagger")
    check_out(RunOptions(**run_options(args)))      # before any data is read
    _check_init_from(args, defaults)
    train, dev = _train_dev(args)
    if args.max_train_sentences:
        train = train[: args.max_train_sentences]
    held_out = _held_out(args)
    if args.extra_train:
        train = train + _extra_train(args, train, [[t[0] for t in s] for s in dev or ()] + held_out)
    config, train_config = configs_from_args(args)
    language = _language(args)
    vectors = default_vectors(args.word_vectors, language)
    meta = {"corpus": _corpus_name(args), "word_vectors": vectors, "cli": cli_options(args)}
    tagger, history = train_tagger(train, dev, config, train_config, min_count=args.min_count, progress=not args.quiet,
                                   meta=meta, word_vectors=vectors, language=language, vector_dim=args.learned_vector_dim,
                                   held_out=held_out, init_embeddings_from=args.init_embeddings_from,
                                   init_from=args.init_from,
                                   char_lm=args.char_lm, char_lm_minutes=args.char_lm_minutes,
                                   features_from=args.features_from, **run_options(args))
    report_saved(tagger, history, args.out, dev)
    return 0


def _corpus_name(args: argparse.Namespace) -> str:
    """What a model was trained on, as its metadata records it: a file, or a corpus and its part."""
    return args.train_file or f"{args.corpus}" + (f"/{args.tagset}" if args.corpus == "treebank" else "") + \
        (f"/{args.column}" if args.corpus == "conll2000" else "") + \
        (f"/{_conll2002_files(args)}" + ("/pos" if args.column == "pos" else "") if args.corpus == "conll2002" else "")


def report_saved(tagger, history, out: str, dev) -> None:
    """The line a finished training prints: where the model went, its best dev score, why it stopped."""
    score = "span F1" if "dev_f1" in tagger.meta else "accuracy"
    best = f", best dev {score} {100 * history.best_score:.2f}% at epoch {history.best_epoch}" if dev else ""
    if is_main_process():
        print(f"saved {tagger!r} to {out}{best} (stopped: {history.stopped})")


def cmd_distill(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from deeptrees.recipe import RunOptions, check_out

    from .api import DEFAULT_MODEL
    from .distill import STUDENT, distill

    args = resumed_args(args, vars(build_parser().parse_args(["distill", "--out", "-"])), "tagger")
    check_out(RunOptions(**run_options(args)))      # before any data is read
    train, dev = _train_dev(args)
    config = replace(STUDENT, hidden_size=args.hidden, num_layers=args.layers, dropout=args.dropout,
                     output=args.output)
    teacher = args.teacher or [str(DEFAULT_MODEL)]
    student, history = distill(teacher, train, dev, config, dataclass_from_args(TrainConfig, args),
                               unlabelled=args.unlabelled, progress=not args.quiet, held_out=_held_out(args),
                               features_from=args.features_from, cache=args.cache,
                               meta={"corpus": _corpus_name(args), "cli": cli_options(args)},
                               **run_options(args))
    report_saved(student, history, args.out, dev)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from corpora.tagged import words_and_tags

    from .evaluate import check_tagset, evaluate

    tagger = _load_tagger(args)
    if args.corpus is None:   # the corpus the model was trained on, else the treebank
        saved = tagger.meta.get("cli", {})
        for key in ("corpus", "tagset", "column", "lang"):
            setattr(args, key, saved.get(key, getattr(args, key)) if key != "corpus" else saved.get(key, "treebank"))
    gold = _data(args, args.split, args.file, pos_feature=tagger.n_features > 0)
    if args.words_only:
        gold = words_and_tags(gold)
    _check_columns(tagger, next((len(tok) - 2 for s in gold for tok in s), tagger.n_features))
    check_tagset(gold, tagger.tagset)
    result = evaluate(partial(tagger.tag_sents, consistent=args.consistent), gold, tagger.vocab.knows)
    print(result.summary())
    if not args.no_report:
        print(result.report())
        if result.chunks:
            print(result.span_errors().summary())
    if args.plot:
        for path in write_plots(args.plot, tagger.meta.get("history"), sum(result.gold, []),
                                sum(result.predicted, []), repr(tagger)):
            print(f"wrote {path}")
    return 0


def _check_columns(tagger, columns: int) -> None:
    """A one-line error that says what to do when data bring ``columns`` input columns beside each word and
    ``tagger`` reads another number (plain words are fine for a model that carries the tagger of its column)."""
    if columns != tagger.n_features and not (columns == 0 and tagger.feature_tagger is not None):
        raise ValueError(f"the data have {columns} input column(s) beside each word, the model reads "
                         f"{tagger.n_features}: " + ("skip the columns it does not read with '_' in --columns "
                                                     "(e.g. word,_,label)" if columns > tagger.n_features else
                                                     "give the data with that column (--columns, --pos-feature)"))


def _input_sentences(args: argparse.Namespace, language: str) -> Iterator[list]:
    """Token lists from the arguments or standard input, read as they come (memory does not grow with
    the input's length); text lines are tokenized by the rules of ``language``."""
    from corpora.readers import column_sentences, conllu_sentences
    from corpora.text import tokenize

    lines = [" ".join(args.text)] if args.text else sys.stdin
    if args.input == "conllu":
        yield from conllu_sentences(lines, "<stdin>", label=None)
    elif args.input == "columns":
        if not args.columns:
            raise ValueError("--input columns needs --columns, e.g. word,pos")
        yield from column_sentences(lines, "<stdin>", args.columns, labelled=False)
    else:
        for line in lines:
            yield line.split() if args.pretokenized else tokenize(line, language)


def _format(tagged: list[tuple], number: int, fmt: str, comment: str = "") -> str:
    """One tagged sentence (items ``(word, ..., tag[, probability])``) in an output format."""
    def prob(item) -> float | None:
        return item[-1] if isinstance(item[-1], float) else None
    rows = [(item[0], *(x for x in item[1:] if not isinstance(x, float))) for item in tagged]
    if fmt == "slash":
        return " ".join("/".join(r) for r in rows) + (f"\t{comment}" if comment else "")
    if fmt == "tsv":
        lines = [f"# {comment}"] if comment else []
        lines += ["\t".join(r) + (f"\t{prob(item):.4f}" if prob(item) is not None else "")
                  for r, item in zip(rows, tagged)]
        return "\n".join(lines) + "\n"
    lines = [f"# sent_id = {number}", f"# text = {' '.join(r[0] for r in rows)}"] + ([f"# {comment}"] if comment else [])
    for i, (r, item) in enumerate(zip(rows, tagged), 1):
        misc = f"Prob={prob(item):.4f}" if prob(item) is not None else "_"
        lines.append(f"{i}\t{r[0]}\t_\t{r[-1]}\t_\t_\t_\t_\t_\t{misc}")
    return "\n".join(lines) + "\n"


def cmd_tag(args: argparse.Namespace) -> int:
    from itertools import islice

    from corpora.readers import parse_columns

    if args.probs and args.format == "slash" and not args.entities:
        raise ValueError("--probs needs --format tsv or conllu (or --entities)")
    if args.entities and args.nbest:
        raise ValueError("--entities and --nbest do not go together: choose one")
    if args.consistent and args.nbest:
        raise ValueError("--consistent and --nbest do not go together: the n best read each sentence alone")
    tagger = _load_tagger(args)
    if args.input == "columns" and args.columns:
        _check_columns(tagger, sum(c not in ("word", "_") for c in parse_columns(args.columns, labelled=False)[0]))
    sentences, number = _input_sentences(args, tagger.language), 0
    if args.entities:                         # tagged as read: memory does not grow with the input
        for number, entities in enumerate(tagger.entities_stream(sentences, args.probs, args.consistent), 1):
            for start, end, kind, text, *prob in entities:
                print(f"{number}\t{start}\t{end}\t{kind}\t{text}" + (f"\t{prob[0]:.4f}" if prob else ""))
        return 0
    if not args.nbest:
        for number, tagged in enumerate(tagger.tag_stream(sentences, args.probs, args.consistent), 1):
            print(_format(tagged, number, args.format))
        return 0
    while block := list(islice(sentences, BLOCK)):
        for tokens in block:            # --nbest
            number += 1
            for rank, (tags, logp) in enumerate(tagger.nbest(tokens, args.nbest), 1):
                items = [(*(t if isinstance(t, tuple) else (t,)), tag) for t, tag in zip(tokens, tags)]
                print(_format(items, number, args.format, f"nbest {rank} logprob {logp:.4f}"))
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_command("tagger", build_parser().parse_args(argv), {"train": cmd_train, "distill": cmd_distill,
                                                              "evaluate": cmd_evaluate, "tag": cmd_tag})


if __name__ == "__main__":
    sys.exit(main())
