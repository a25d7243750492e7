"""What the POS benchmarks share: the three systems (ours, NLTK's perceptron, a CRF), each trained
and timed in a fresh child process (so its peak RSS is its own), and the result table.

OOV = word form never seen in the training split (the same set for all systems). Tagging speed is
the whole test split tagged in one call (batched where the system batches), after one warm-up
pass, best pass of at least 5 and 3 seconds. Our tagger also reads unlabelled text: word vectors learned from NLTK's raw text
with this run's dev and test sentences removed (the seconds count in its training time); the peers
see the labelled training split only.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

SYSTEMS = {"ours": "BiLSTM (ours)", "ours-crf": "BiLSTM-CRF (ours)", "shipped": "shipped default (ours)",
           "perceptron": "NLTK perceptron", "crf": "CRF (crfsuite)"}


def add_options(p: argparse.ArgumentParser) -> None:
    from corpora.charlm import MAX_MINUTES as CHAR_LM_MINUTES
    from corpora.wordvectors import DEFAULT_VECTORS
    from deeptrees.device import DEFAULT_DEVICE

    p.add_argument("--quick", action="store_true", help="300 training sentences, 2 epochs: checks the script works")
    p.add_argument("--seed", type=int, default=1, help="our tagger's random seed (default: %(default)s)")
    p.add_argument("--save", help="also save our trained tagger to this folder")
    p.add_argument("--word-vectors", default=DEFAULT_VECTORS,
                   help="our tagger's frozen word vectors: NLTK corpora to learn them from, a GloVe text file, "
                        "or none (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress output")
    p.add_argument("--only", nargs="*", choices=list(SYSTEMS), help="run only these systems")
    p.add_argument("--threads", type=int, help="torch threads for our tagger (default: torch's choice)")
    p.add_argument("--device", default=DEFAULT_DEVICE, help="our tagger's device: auto, cpu, cuda or cuda:N (default: %(default)s)")
    p.add_argument("--hidden", type=int, help="our tagger's hidden units per direction (default: the tagger's default)")
    p.add_argument("--char-lm", default="none", metavar="SPEC",
                   help="our tagger's contextual vectors: NLTK corpora to learn character language models from, "
                        "without this run's dev and test sentences (as tagger train --char-lm), or none "
                        "(default: %(default)s)")
    p.add_argument("--char-lm-minutes", type=float, default=CHAR_LM_MINUTES,
                   help="time budget for learning them (default: %(default)s)")


LIMITS = {"epochs": (int, "maximum epochs"), "patience": (int, "early-stopping patience (epochs)"),
          "max_minutes": (float, "training budget in minutes"),
          "anneal": (float, "learning-rate cut after anneal-patience epochs without a better dev score (1 = constant)"),
          "anneal_patience": (int, "epochs without a better dev score before the learning rate is cut")}


def add_limit_options(p: argparse.ArgumentParser, **defaults) -> None:
    """Our taggers' training limits (keys of LIMITS) with this benchmark's defaults; the run uses them."""
    for name, value in defaults.items():
        kind, text = LIMITS[name]
        p.add_argument("--" + name.replace("_", "-"), type=kind, default=value,
                       help=f"our taggers' {text} (default: %(default)s)")
    p.set_defaults(limits=tuple(defaults))


def _speed(tag_sents, sents, passes: int = 5, seconds: float = 3.0) -> float:
    """Tokens/s of the fastest pass, over at least ``passes`` passes and ``seconds`` (this machine's
    speed swings by a third from moment to moment; the best pass is the least disturbed)."""
    tag_sents(sents)  # warm-up: one whole pass (first calls allocate and initialise)
    times, start = [], time.perf_counter()
    while len(times) < passes or time.perf_counter() - start < seconds:
        times.append(_timed(tag_sents, sents))
    return sum(map(len, sents)) / min(times)


def _timed(fn, arg) -> float:
    t = time.perf_counter()
    fn(arg)
    return time.perf_counter() - t


def crf_features(sent: list, i: int) -> list[str]:
    """CRF-suite features of token i: word form, shape, affixes, neighbouring words, and when tokens
    are ``(word, POS)`` pairs, the POS tags around it and their bigrams (classic chunking features)."""
    words = [t[0] if isinstance(t, tuple) else t for t in sent]
    w = words[i]
    lw = w.lower()
    shape = "".join("X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c for c in w)
    f = ["b", "w=" + lw, "shape=" + shape[:6], "up=%d" % w.isupper(), "title=%d" % w.istitle(),
         "digit=%d" % any(c.isdigit() for c in w), "hyph=%d" % ("-" in w)]
    f += [f"p{k}={lw[:k]}" for k in (1, 2, 3, 4)] + [f"s{k}={lw[-k:]}" for k in (1, 2, 3, 4)]
    for d in (-2, -1, 1, 2):
        j = i + d
        f.append(f"w{d}=" + (words[j].lower() if 0 <= j < len(words) else "<s>"))
    f.append("w-1w=" + (words[i - 1].lower() if i else "<s>") + "|" + lw)
    if isinstance(sent[i], tuple):
        pos = [t[1] for t in sent]
        at = lambda j: pos[j] if 0 <= j < len(pos) else "<s>"  # noqa: E731
        f += [f"t{d}={at(i + d)}" for d in (-2, -1, 0, 1, 2)]
        f += [f"t{d}t={at(i + d)}|{at(i + d + 1)}" for d in (-2, -1, 0, 1)] + [f"t0w={at(i)}|{lw}"]
    return f


def run_system(name: str, corpus: str, args: argparse.Namespace) -> dict:
    import corpora
    from corpora.tagged import split_tagged

    options = getattr(args, "load_options", {})
    train, dev, test = (corpora.load(corpus, s, **options) for s in ("train", "dev", "test"))
    if args.quick:
        train, dev = train[:300], dev[:50]
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    known = {t[0] for s in train for t in s}
    test_tokens = [split_tagged(s)[0] for s in test]
    t0 = time.perf_counter()
    extra = {}
    if name in (SYSTEMS["ours"], SYSTEMS["ours-crf"]):
        from dataclasses import replace

        from tagger import TaggerConfig, train_tagger
        from tagger.train import TRAINING

        train_config = replace(TRAINING, seed=args.seed, **({"epochs": 2} if args.quick else {k: getattr(args, k) for k in args.limits}))
        config = TaggerConfig(output="crf" if name == SYSTEMS["ours-crf"] else "softmax",
                              **({"hidden_size": args.hidden} if args.hidden else {}))
        save = f"{args.save}-{config.output}" if args.save else None
        tagger, hist = train_tagger(train, dev, config, train_config, out=save, overwrite=True,
                                    progress=not args.no_progress, word_vectors=args.word_vectors,
                                    language=getattr(args, "language", "en"), device=args.device,
                                    char_lm=args.char_lm, char_lm_minutes=args.char_lm_minutes,
                                    held_out=[[t[0] for t in s] for s in test])
        tag_sents = tagger.tag_sents
        extra = {"epochs": len(hist.epochs), "best_epoch": hist.best_epoch, "dev": hist.best_score}
    elif name == SYSTEMS["shipped"]:   # the model `import tagger` gives: trained before, timed here
        from tagger import load_default

        tag_sents = load_default().tag_sents
    elif name == SYSTEMS["perceptron"]:
        from nltk.tag.perceptron import PerceptronTagger

        tagger = PerceptronTagger(load=False)
        tagger.train([list(s) for s in train], nr_iter=5)
        tag_sents = tagger.tag_sents
    else:
        import tempfile

        import pycrfsuite

        trainer = pycrfsuite.Trainer(verbose=False)
        for s in train:
            tokens, tags = split_tagged(s)
            trainer.append([crf_features(tokens, i) for i in range(len(tokens))], tags)
        trainer.set_params({"c1": 0.1, "c2": 0.01, "max_iterations": 20 if args.quick else 150,
                            "feature.possible_transitions": True})
        path = str(Path(tempfile.mkdtemp()) / "model.crfsuite")
        trainer.train(path)
        crf = pycrfsuite.Tagger()
        crf.open(path)

        def tag_sents(sents):
            return [list(zip(s, crf.tag([crf_features(s, i) for i in range(len(s))]))) for s in sents]
    train_s = time.perf_counter() - t0
    from tagger.evaluate import evaluate

    result = evaluate(tag_sents, test, lambda w: w in known)
    if result.chunks:
        extra["p"], extra["r"], extra["f1"] = result.spans()
        extra["types"] = result.span_types()
    return {"system": name, "acc": result.accuracy, "oov": result.oov_accuracy, "train_s": train_s,
            "tok_s": _speed(tag_sents, test_tokens), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "oov_tokens": result.oov_tokens, "tokens": result.tokens, **extra}


def run_all(corpus: str, args: argparse.Namespace, systems: tuple[str, ...] = ("ours", "perceptron", "crf")) -> list[dict]:
    """Each chosen system in its own fresh process, one after another."""
    ctx = mp.get_context("spawn")
    rows = []
    for key in args.only or systems:
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            rows.append(pool.submit(run_system, SYSTEMS[key], corpus, args).result())
    return rows


def print_type_f1(named: list[tuple[str, dict]], width: int) -> None:
    """One line per system: its span F1 for each chunk or entity type (``Evaluation.span_types()``)."""
    types = sorted(named[0][1])
    print(f"{'per type F1':<{width}}" + "".join(f"{t:>8}" for t in types))
    for name, scores in named:
        print(f"{name[-width:]:<{width}}" + "".join(f"{100 * scores[t][2]:>8.2f}" for t in types))


def print_table(rows: list[dict], title: str, minutes: bool = False) -> None:
    r0 = rows[0]
    unit = "train min" if minutes else "train s"
    spans = "f1" in r0
    print(f"\n{title}, test split: {r0['tokens']} tokens, {r0['oov_tokens']} OOV")
    head = f"{'precision':>11}{'recall':>9}{'F1':>8}" if spans else ""
    print(f"{'system':<24}{head}{'accuracy':>10}{'OOV acc':>10}{unit:>11}{'tag tok/s':>12}{'peak RSS MB':>13}")
    for r in rows:
        t = r["train_s"] / 60 if minutes else r["train_s"]
        cells = f"{100 * r['p']:>10.2f}%{100 * r['r']:>8.2f}%{100 * r['f1']:>8.2f}" if spans else ""
        print(f"{r['system']:<24}{cells}{100 * r['acc']:>9.2f}%{100 * r['oov']:>9.2f}%{t:>11.1f}"
              f"{r['tok_s']:>12,.0f}{r['rss_mb']:>13.0f}")
    for r in rows:
        if "epochs" in r:
            print(f"{r['system']}: {r['epochs']} epochs, best dev {'span F1' if 'f1' in r else 'accuracy'} {100 * r['dev']:.2f}% at epoch {r['best_epoch']}")
    ours = [r for r in rows if "(ours)" in r["system"]] or rows[:1]
    pairs = [(ours[0], r) for r in ours[1:]] + [(a, b) for a in ours for b in rows if b not in ours]
    for a, b in pairs:
        print(f"tagging speed {a['system']} / {b['system']}: {a['tok_s'] / b['tok_s']:.2f}x")
