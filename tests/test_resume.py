"""Checkpoints and resume: a run stopped anywhere continues bit for bit; bad resumes are refused."""
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from deeptrees import ModelFileError, TrainConfig
from deeptrees.checkpoint import checkpoint_folder, load_checkpoint
from tagger import Tagger, train_tagger
from tests.conftest import ROOT, tagger_cli, tiny_tagger_config
from treernn import TreeNet, TreeNetConfig, train_treenet


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)      # bit-identical results need the same reduction order
    yield
    torch.set_num_threads(threads)


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    x, y = a.state_dict(), b.state_dict()
    return x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)


def tag(train, dev, epochs, out, **run):
    return train_tagger(train, dev, tiny_tagger_config(), TrainConfig(epochs=epochs, batch_size=10, lr=0.02, seed=3),
                        out=out, progress=False, word_vectors=None, **run)


class Crash(Exception):
    pass


def crash_at(step):
    def on_step(s, loss, model):
        if s == step:
            raise Crash
    return on_step


def test_two_epochs_then_resume_to_four_equals_four_epochs(small_train, treebank_dev, tmp_path):
    dev = treebank_dev[:20]
    straight, hist = tag(small_train, dev, 4, tmp_path / "straight")
    tag(small_train, dev, 2, tmp_path / "resumed")
    resumed, rhist = tag(small_train, dev, 4, tmp_path / "resumed", resume=True)
    assert same_weights(straight.model, resumed.model)             # the best epoch's weights
    assert rhist.step_losses == hist.step_losses and rhist.best_epoch == hist.best_epoch
    assert [e["dev"] for e in rhist.epochs] == [e["dev"] for e in hist.epochs]
    last = [load_checkpoint(tmp_path / d, "tagger").model for d in ("straight", "resumed")]
    assert all(torch.equal(last[0][k], last[1][k]) for k in last[0])   # and the last epoch's
    assert same_weights(Tagger.load(tmp_path / "resumed").model, straight.model)


def test_a_crash_mid_epoch_resumes_from_the_last_step_checkpoint(small_train, tmp_path):
    straight, hist = tag(small_train, None, 2, tmp_path / "straight")
    with pytest.raises(Crash):     # 5 batches an epoch: step 8 is mid-epoch 2, checkpoint at step 6
        tag(small_train, None, 2, tmp_path / "crashed", checkpoint_every=3, on_step=crash_at(8))
    assert load_checkpoint(tmp_path / "crashed", "tagger").state.step == 6
    resumed, rhist = tag(small_train, None, 2, tmp_path / "crashed", resume=True, checkpoint_every=3)
    assert same_weights(straight.model, resumed.model) and rhist.step_losses == hist.step_losses


def test_tree_net_resumes_bit_for_bit(tmp_path):
    from corpora.trees import load_sst

    train = load_sst("train")[:40]
    cfg, tc = TreeNetConfig(hidden_size=8), TrainConfig(epochs=3, batch_size=10, optimizer="adagrad", lr=0.05)
    straight, _ = train_treenet(train, None, cfg, tc, out=tmp_path / "a", progress=False, word_vectors=None)
    with pytest.raises(Crash):
        train_treenet(train, None, cfg, tc, out=tmp_path / "b", progress=False, word_vectors=None,
                      on_step=crash_at(7))
    resumed, _ = train_treenet(train, None, cfg, tc, out=tmp_path / "b", progress=False, word_vectors=None,
                               resume=True)
    assert same_weights(straight.model, resumed.model)
    assert same_weights(TreeNet.load(tmp_path / "b").model, straight.model)


def test_bad_resumes_are_refused_with_the_reason(small_train, tmp_path):
    out = tmp_path / "run"
    tag(small_train, None, 1, out)
    with pytest.raises(FileExistsError, match="already holds a model.*overwrite"):
        tag(small_train, None, 1, out)
    with pytest.raises(ValueError, match="data differ"):
        tag(small_train[:30], None, 2, out, resume=True)
    with pytest.raises(ValueError, match="hidden_size: 16 in the checkpoint, 24 now"):
        train_tagger(small_train, None, replace(tiny_tagger_config(), hidden_size=24), TrainConfig(epochs=2, batch_size=10,
                     lr=0.02, seed=3), out=out, resume=True, progress=False, word_vectors=None)
    with pytest.raises(ValueError, match="lr: 0.02 in the checkpoint, 0.01 now"):
        train_tagger(small_train, None, tiny_tagger_config(), TrainConfig(epochs=2, batch_size=10, lr=0.01, seed=3),
                     out=out, resume=True, progress=False, word_vectors=None)
    with pytest.raises(ModelFileError, match="not a 'treenet' run"):
        train_treenet(["(1 (1 a) (2 b))"], out=out, resume=True, progress=False, word_vectors=None)
    with pytest.raises(ModelFileError, match="holds no checkpoint"):
        tag(small_train, None, 2, tmp_path / "empty", resume=True)
    pointer = checkpoint_folder(out) / "checkpoint.json"
    pointer.write_text(pointer.read_text()[:200])
    with pytest.raises(ModelFileError, match="checkpoint.json is corrupt"):
        tag(small_train, None, 2, out, resume=True)
    tag(small_train, None, 1, out, overwrite=True)    # --overwrite: a fresh run, a fresh checkpoint
    assert load_checkpoint(out, "tagger").state.epoch == 1


def write_tagged(path: Path, sentences) -> Path:
    path.write_text("".join(" ".join(f"{w}/{t}" for w, t in s) + "\n" for s in sentences))
    return path


def test_a_killed_cli_run_resumes_to_a_loadable_model(small_train, treebank_dev, tmp_path):
    train = write_tagged(tmp_path / "train.txt", small_train * 8)
    dev = write_tagged(tmp_path / "dev.txt", treebank_dev[:10])
    out = tmp_path / "run"
    args = ["train", "--train-file", str(train), "--dev-file", str(dev), "--epochs", "3", "--hidden", "8",
            "--word-dim", "8", "--char-out", "8", "--word-vectors", "none", "--batch-size", "4", "--checkpoint-every",
            "5", "--quiet"]
    proc = subprocess.Popen([sys.executable, "-m", "tagger", *args, "--out", str(out)], cwd=ROOT,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    pointer = checkpoint_folder(out) / "checkpoint.json"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:     # wait for a checkpoint taken mid-epoch
        if pointer.exists() and json.loads(pointer.read_text())["progress"]["batch"] > 0:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    progress = json.loads(pointer.read_text())["progress"]
    assert progress["epoch"] < 3
    done = tagger_cli("train", "--resume", str(out))
    assert done.returncode == 0, done.stderr
    assert load_checkpoint(out, "tagger").state.epoch == 3
    assert len(Tagger.load(out).tag(["The", "cat", "sat", "."])) == 4
    refused = tagger_cli(*args, "--out", str(out))
    assert refused.returncode == 2 and "already holds a model" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1


def test_the_learning_rate_is_cut_after_epochs_without_a_better_dev_score_and_resumes_so():
    import copy

    from deeptrees.train import fit

    dev = [0.5, 0.6, 0.55, 0.58, 0.59, 0.57, 0.7, 0.6, 0.6]   # best at 2; cuts after 4 and 6; best at 7; cut after 9

    def run(epochs, state=None, saved=None):
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
        if saved is not None:
            model.load_state_dict(saved)
        scores = iter(dev[len(state.history.epochs) if state else 0:])
        keep = {}

        def checkpoint(s):
            keep["state"], keep["model"] = copy.deepcopy(s), copy.deepcopy(model.state_dict())

        cfg = TrainConfig(epochs=epochs, lr=0.1, anneal=0.5, anneal_patience=2, patience=20, clip_norm=None)
        hist = fit(model, lambda rng: [torch.randn(4, 3) for _ in range(2)], lambda m, x: m(x).pow(2).mean(), cfg,
                   evaluate=lambda m: next(scores), progress=False, state=state, checkpoint=checkpoint)
        return hist, keep

    straight, _ = run(9)
    assert straight.annealed == [4, 6, 9]
    assert [e["lr"] for e in straight.epochs] == [0.1] * 4 + [0.05] * 2 + [0.025] * 3
    _, keep = run(5)                                   # stopped after epoch 5, then resumed to 9
    resumed, _ = run(9, state=keep["state"], saved=keep["model"])
    assert resumed.annealed == straight.annealed and resumed.epochs == [
        {**e, "seconds": r["seconds"], "train_seconds": r["train_seconds"]} for e, r in zip(straight.epochs, resumed.epochs)]
    assert resumed.step_losses == straight.step_losses
    with pytest.raises(ValueError, match="anneal"):
        TrainConfig(anneal=1.5)


@pytest.mark.parametrize("name, lr", [("adam", 2e-3), ("adagrad", 0.05), ("sgd", 0.1)])
def test_fused_optimizer_steps_like_the_plain_one(name, lr):
    """On a CPU all three are fused, with the plain optimizer's updates (on a GPU: test_gpu.py)."""
    from torch import nn

    from deeptrees.train import make_optimizer

    torch.manual_seed(0)
    fused_model = nn.Sequential(nn.Embedding(50, 8), nn.Linear(8, 3))
    plain_model = nn.Sequential(nn.Embedding(50, 8), nn.Linear(8, 3))
    plain_model.load_state_dict(fused_model.state_dict())
    fused = make_optimizer(fused_model, TrainConfig(optimizer=name, lr=lr, weight_decay=1e-4))
    plain = type(fused)(plain_model.parameters(), lr=lr, weight_decay=1e-4)
    assert fused.defaults["fused"] and not plain.defaults.get("fused")
    x, y = torch.randint(0, 50, (20,)), torch.randint(0, 3, (20,))
    for _ in range(10):
        for model, opt in ((fused_model, fused), (plain_model, plain)):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    for a, b in zip(fused_model.parameters(), plain_model.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_a_resumed_optimizer_keeps_its_own_kernel_choice():
    """A run checkpointed on a CPU (fused Adagrad) and resumed on a GPU, where torch has no fused Adagrad
    and make_optimizer builds a plain one, must not take the saved fused flag back (torch's loading does)."""
    from torch import nn

    from deeptrees.train import load_optimizer_state, make_optimizer

    model = nn.Linear(3, 2)
    fused = make_optimizer(model, TrainConfig(optimizer="adagrad", lr=0.1))
    model(torch.ones(4, 3)).sum().backward()
    fused.step()
    saved = fused.state_dict()
    plain = torch.optim.Adagrad(model.parameters(), lr=0.1)
    load_optimizer_state(plain, saved)
    assert not plain.param_groups[0]["fused"] and plain.state[model.weight]["sum"].abs().sum() > 0
    plain.load_state_dict(saved)
    assert plain.param_groups[0]["fused"]
