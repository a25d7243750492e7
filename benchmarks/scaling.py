"""One process with 2 threads vs 2 data-parallel processes with 1 thread each, same data, same epochs.

    python benchmarks/scaling.py                 # tagger on the treebank, Tree-LSTM on SST, 3 epochs each
    python benchmarks/scaling.py --epochs 1 --quick

Each run is the real command line: ``tagger train`` / ``treernn train`` with ``OMP_NUM_THREADS=2``,
then the same under ``torchrun --standalone --nproc-per-node 2`` with ``OMP_NUM_THREADS=1``.
Throughput counts training time only (the loop over batches, from the run's history; dev
evaluation and start-up excluded); the dev score is the last epoch's. With 2 processes every step
sees 2 batches (one a rank), so an epoch takes half the steps: the same data, a larger effective
batch. No word vectors (``--word-vectors none``), so the runs measure the networks alone.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JOBS = {  # name -> (CLI module, its options, throughput unit)
    "tagger": ("tagger", ["--corpus", "treebank"], "tokens/s"),
    "treelstm": ("treernn", ["--corpus", "sst", "--cell", "treelstm"], "trees/s"),
}


def train_items(job: str, quick: bool) -> int:
    import corpora
    from corpora.trees import load_sst

    if job == "tagger":
        return sum(map(len, corpora.load("treebank", "train")[: 300 if quick else None]))
    return len(load_sst("train")[: 300 if quick else None])


def run(job: str, processes: int, epochs: int, quick: bool, out: Path) -> tuple[float, float]:
    """(training seconds summed over epochs, last dev score) of one run."""
    from deeptrees.checkpoint import load_checkpoint

    module, options, _ = JOBS[job]
    limit = (["--max-train-sentences" if module == "tagger" else "--max-train-trees", "300"] if quick else [])
    args = ["-m", module, "train", *options, *limit, "--epochs", str(epochs), "--patience", str(epochs),
            "--word-vectors", "none", "--quiet", "--out", str(out)]
    if processes > 1:
        args = ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(processes), *args]
    env = {**os.environ, "OMP_NUM_THREADS": str(2 // processes)}
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    history = load_checkpoint(out, "tagger" if module == "tagger" else "treenet").state.history
    return sum(e["train_seconds"] for e in history.epochs), history.epochs[-1]["dev"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=3, help="epochs per run (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="300 training items: checks the script works")
    p.add_argument("--jobs", nargs="*", default=list(JOBS), choices=list(JOBS))
    args = p.parse_args()
    print(f"{'job':<10}{'layout':<24}{'throughput':>14}{'':<10}{'dev after ' + str(args.epochs) + ' ep':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        for job in args.jobs:
            items = train_items(job, args.quick) * args.epochs
            rates = []
            for processes in (1, 2):
                seconds, dev = run(job, processes, args.epochs, args.quick, Path(tmp) / f"{job}-{processes}")
                rates.append(items / seconds)
                layout = "1 process x 2 threads" if processes == 1 else "2 processes x 1 thread"
                print(f"{job:<10}{layout:<24}{rates[-1]:>14,.0f} {JOBS[job][2]:<9}{100 * dev:>15.2f}%")
            print(f"{job:<10}{'2 processes / 1 process':<24}{rates[1] / rates[0]:>13.2f}x")


if __name__ == "__main__":
    main()
