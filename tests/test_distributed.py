"""Data-parallel training: two processes on 127.0.0.1 (gloo) keep equal weights and save one model."""
import json
import os
import socket
import subprocess
import sys

from tagger import Tagger
from tests.conftest import ROOT
from treernn import TreeNet

# One rank of a 2-process run: trains a tiny tagger on 50 treebank sentences and records, after every
# optimizer step, the loss and a SHA-256 of all its weights.
WORKER = """
import hashlib, json, sys
import torch
import corpora
from deeptrees import TrainConfig
from tagger import train_tagger
from tests.conftest import tiny_tagger_config

out, record = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
steps = []
def on_step(step, loss, model):
    digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()
    steps.append({"step": step, "loss": loss, "weights": digest})
train = corpora.load("treebank", "train")[:50]
train_tagger(train, corpora.load("treebank", "dev")[:20], tiny_tagger_config(),
             TrainConfig(epochs=4, batch_size=5, lr=0.02), out=out, progress=False, word_vectors=None, on_step=on_step)
json.dump(steps, open(record, "w"))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_keep_equal_weights_and_save_one_model(tmp_path):
    out = tmp_path / "model"
    records = [tmp_path / f"rank{r}.json" for r in range(2)]
    port = free_port()
    procs = []
    for rank in range(2):     # what torchrun does, by hand: the environment of each rank
        env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
               "LOCAL_RANK": str(rank), "WORLD_SIZE": "2", "OMP_NUM_THREADS": "1"}
        procs.append(subprocess.Popen([sys.executable, "-c", WORKER, str(out), str(records[rank])], cwd=ROOT,
                                      env=env, stderr=subprocess.PIPE, text=True))
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    steps = [json.loads(r.read_text()) for r in records]
    assert len(steps[0]) == len(steps[1]) == 4 * 10 // 2       # 10 batches an epoch, half on each rank
    assert [s["weights"] for s in steps[0]] == [s["weights"] for s in steps[1]]   # equal after every step
    assert [s["loss"] for s in steps[0]] != [s["loss"] for s in steps[1]]         # ... from different batches
    losses = [(a["loss"] + b["loss"]) / 2 for a, b in zip(*steps)]
    assert sum(losses[-5:]) < 0.8 * sum(losses[:5])                               # the loss falls
    tagger = Tagger.load(out)                                                      # one model, loads in one process
    assert len(tagger.tag(["The", "cat", "sat", "."])) == 4 and tagger.meta["best_epoch"] >= 1


def test_torchrun_trains_a_tree_net_and_refuses_too_many_processes(tmp_path):
    out = tmp_path / "trees"
    base = ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "treernn", "train",
            "--max-train-trees", "40", "--epochs", "2", "--hidden", "8", "--word-dim", "8", "--word-vectors", "none",
            "--batch-size", "10", "--quiet"]
    done = subprocess.run([sys.executable, *base, "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("saved TreeNet") == 1                                   # rank 0 alone reports
    assert TreeNet.load(out).predict("(2 (2 a) (3 good))").label() in [str(c) for c in range(5)]
    too_many = subprocess.run([sys.executable, *base, "--batch-size", "40", "--out", str(tmp_path / "x")], cwd=ROOT,
                              capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=300)
    assert too_many.returncode != 0
    assert "2 processes but only 1 training batch" in too_many.stderr


def test_a_single_process_is_not_distributed():
    from deeptrees import distributed

    assert distributed.current().world == 1 and not distributed.launched()
    assert distributed.shard([1, 2, 3], distributed.current()) == [1, 2, 3]
