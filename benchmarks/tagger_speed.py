"""How fast the shipped tagger tags, and how much memory a long document takes: one run, peers beside.

    python benchmarks/tagger_speed.py            # ~4 minutes on 2 cores (CRF-suite training included)
    python benchmarks/tagger_speed.py --quick    # a smaller CRF and 100,000-token documents: checks the script

1. Tokens/s on the treebank test split (shared/README.md split), each system tagging the whole split in one
   call, all systems taking turns round after round (the machine's speed drifts), best round of each:
   the default model step by step (embedding cache off / cold / warm, int8 copy, 1 thread), any ``--models``
   (e.g. the teacher the default was distilled from), and a CRF-suite
   tagger on the features of ``benchmarks/_tagging.py`` trained on the same training split.
2. Peak RSS of a fresh process that tags a 1,000,000-token document: text with sentence breaks
   (``tag_text``), one sentence with no break at all (``tag_sents``), and the CLI reading that text on
   standard input (one line per sentence, and one single line).
3. ``load_default()`` + the first ``tag`` in a fresh process, after ``import tagger``.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import corpora
import tagger
from corpora.tagged import split_tagged
from tagger.evaluate import evaluate

sys.path.insert(0, str(Path(__file__).parent))
from _tagging import crf_features  # noqa: E402

# a fresh process that builds a document from the treebank's training text, tags it, prints its peak RSS
MEMORY_CHILD = """
import resource, sys, corpora, tagger
from corpora.tagged import split_tagged
mode, n = sys.argv[1], int(sys.argv[2])
words = []
while len(words) < n:
    words += [w for s in corpora.load("treebank", "train") for w in split_tagged(s)[0]]
t = tagger.load_default()
if mode == "text":
    out = t.tag_text(" ".join(words[:n]))
else:
    out = t.tag_sents([words[:n]])
assert sum(map(len, out)) >= n, "tokens lost"
print(len(out))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)
"""
CLI_CHILD = """
import resource, sys
from tagger.cli import main
main(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)
"""
LOAD_CHILD = """
import resource, sys, time, tagger
t0 = time.perf_counter()
tagger.load_default().tag(["A", "first", "sentence", "."])
print(time.perf_counter() - t0)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)
"""


def crf_tagger(train: list, iterations: int):
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for s in train:
        tokens, tags = split_tagged(s)
        trainer.append([crf_features(tokens, i) for i in range(len(tokens))], tags)
    trainer.set_params({"c1": 0.1, "c2": 0.01, "max_iterations": iterations, "feature.possible_transitions": True})
    path = str(Path(tempfile.mkdtemp()) / "model.crfsuite")
    trainer.train(path)
    crf = pycrfsuite.Tagger()
    crf.open(path)
    return lambda sents: [list(zip(s, crf.tag([crf_features(s, i) for i in range(len(s))]))) for s in sents]


def speed_table(rounds: int, iterations: int, others: list[str]) -> None:
    train, test = corpora.load("treebank", "train"), corpora.load("treebank", "test")
    words = [split_tagged(s)[0] for s in test]
    n = sum(map(len, words))
    t0 = time.perf_counter()
    crf = crf_tagger(train, iterations)
    print(f"CRF-suite trained in {time.perf_counter() - t0:.0f} s ({iterations} iterations)")
    default = tagger.load_default()
    no_cache = tagger.Tagger(default.model, default.vocab, default.config, default.meta)
    int8 = default.quantized()
    threads = torch.get_num_threads()

    def cold(sents):
        default.model.embedding.type_cache.key = None     # empty the cache first
        return default.tag_sents(sents)

    def uncached(sents):
        size, no_cache.model.embedding.type_cache.size = no_cache.model.embedding.type_cache.size, 0
        try:
            return no_cache.tag_sents(sents)
        finally:
            no_cache.model.embedding.type_cache.size = size

    def one_thread(sents):
        torch.set_num_threads(1)
        try:
            return default.tag_sents(sents)
        finally:
            torch.set_num_threads(threads)

    systems = {"default model, no embedding cache": uncached,
               "+ embedding cache, cold (emptied first)": cold,
               "+ embedding cache, warm (the default)": default.tag_sents,
               "int8 copy (quantized(), --int8), warm": int8.tag_sents,
               "default, torch on 1 thread, warm": one_thread,
               **{f"{folder}, warm": tagger.Tagger.load(folder).tag_sents for folder in others},
               "CRF-suite": crf}
    best = {name: float("inf") for name in systems}
    for name, fn in systems.items():
        fn(words)                                   # warm-up: first calls allocate
    for _ in range(rounds):
        for name, fn in systems.items():
            t = time.perf_counter()
            fn(words)
            best[name] = min(best[name], time.perf_counter() - t)
    crf_speed = n / best["CRF-suite"]
    print(f"\nTagging the treebank test split ({n:,} tokens), torch on {threads} threads, best of {rounds} rounds")
    print(f"{'system':<44}{'tok/s':>10}{'/ CRF-suite':>13}{'accuracy':>10}")
    for name, fn in systems.items():
        acc = evaluate(fn, test, default.vocab.knows).accuracy
        print(f"{name:<44}{n / best[name]:>10,.0f}{n / best[name] / crf_speed:>12.2f}x{100 * acc:>9.2f}%")


def child(code: str, *args: str, stdin: str | None = None) -> tuple[str, float]:
    """Run ``code`` in a fresh Python process; (its stdout, the peak RSS in MB it reports on stderr)."""
    done = subprocess.run([sys.executable, "-c", code, *args], input=stdin, text=True, capture_output=True,
                          check=True, env=os.environ)
    return done.stdout, float(done.stderr.split()[-1])


def memory_table(n: int) -> None:
    print(f"\nPeak RSS of a fresh process tagging a {n:,}-token document (treebank training text, repeated)")
    print(f"{'how':<58}{'sentences':>10}{'peak MB':>9}{'s':>7}")
    words = []
    while len(words) < n:
        words += [w for s in corpora.load("treebank", "train") for w in split_tagged(s)[0]]
    sents = [[]]
    for w in words[:n]:
        sents[-1].append(w)
        if w in (".", "?", "!"):
            sents.append([])
    lines = "\n".join(" ".join(s) for s in sents if s) + "\n"
    single = " ".join(w for w in words[:n] if w not in (".", "?", "!")) + "\n"
    cli = ["tag", "--pretokenized"]
    runs = [("Python tag_text(text), sentence breaks", lambda: child(MEMORY_CHILD, "text", str(n))),
            ("Python tag_sents([one sentence of every token])", lambda: child(MEMORY_CHILD, "one", str(n))),
            ("CLI tagger tag < text, one sentence a line", lambda: child(CLI_CHILD, *cli, stdin=lines)),
            ("CLI tagger tag < text, one line, no sentence break", lambda: child(CLI_CHILD, *cli, stdin=single))]
    for how, run in runs:
        t = time.perf_counter()
        out, peak = run()
        count = out.split()[0] if "Python" in how else str(out.count("\n"))     # CLI: a line per sentence
        print(f"{how:<58}{count:>10}{peak:>9.0f}{time.perf_counter() - t:>7.1f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="CRF-suite 10 iterations, 100,000-token documents, 2 rounds")
    p.add_argument("--models", nargs="*", default=[], metavar="DIR",
                   help="also time these saved taggers in the same rounds (e.g. a teacher and its distilled student)")
    p.add_argument("--rounds", type=int, default=7, help="timing rounds (default: %(default)s)")
    p.add_argument("--tokens", type=int, default=1_000_000, help="document length for the memory runs (default: %(default)s)")
    args = p.parse_args()
    if args.quick:
        args.rounds, args.tokens = 2, 100_000
    speed_table(args.rounds, 10 if args.quick else 150, args.models)
    memory_table(args.tokens)
    out, _ = child(LOAD_CHILD)
    print(f"\nload_default() + first tag in a fresh process: {float(out):.2f} s after import")


if __name__ == "__main__":
    main()
