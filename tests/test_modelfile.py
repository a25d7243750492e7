"""Model folders survive a crash at any moment of a save, and refuse files that are not their own."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from deeptrees import ModelFileError
from tagger import Tagger
from tests.conftest import ROOT

# Saves the tagger in folder SRC into folder DST, but kills itself (SIGKILL: no clean-up runs) at the
# moment named by KILL: "write N" (before the N-th file write), "replace" (a temporary file written,
# not yet renamed into place) or "sweep" (the new pointer written, old files not yet deleted).
KILLER = """
import os, signal, sys
import deeptrees.files as files
src, dst, kill = sys.argv[1], sys.argv[2], sys.argv[3]
die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
if kill.startswith("write"):
    n, real, calls = int(kill.split()[1]), files.write_atomic, [0]
    def write(path, data):
        calls[0] += 1
        if calls[0] == n:
            die()
        real(path, data)
    files.write_atomic = write
elif kill == "replace":
    files.os.replace = die
elif kill == "sweep":
    import pathlib
    pathlib.Path.unlink = die
from tagger import Tagger
Tagger.load(src).save(dst)
"""


def weights(folder: Path) -> dict:
    return Tagger.load(folder).model.state_dict()


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture
def two_models(tiny_tagger, tmp_path):
    """Folder ``old`` (the tiny tagger) and folder ``new`` (the same with other weights)."""
    old = tiny_tagger.save(tmp_path / "old")
    other = Tagger.load(old)
    with torch.no_grad():
        for p in other.model.parameters():
            p.add_(0.5)
    other.meta["note"] = "new"
    return old, other.save(tmp_path / "new")


@pytest.mark.parametrize("kill,expect", [("write 1", "old"), ("write 2", "old"), ("write 3", "old"),
                                         ("replace", "old"), ("sweep", "new")])
def test_a_save_killed_at_any_moment_leaves_a_whole_model(two_models, tmp_path, kill, expect):
    old, new = two_models
    target = tmp_path / "target"
    shutil.copytree(old, target)
    proc = subprocess.run([sys.executable, "-c", KILLER, str(new), str(target), kill], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr          # it really died mid-save
    loaded = weights(target)                           # loads: whole old model or whole new one
    assert same(loaded, weights({"old": old, "new": new}[expect]))
    assert not same(loaded, weights({"old": new, "new": old}[expect]))
    Tagger.load(new).save(target)                      # the next save removes what the killed one left
    names = sorted(p.name for p in target.iterdir())
    assert len(names) == 4 and same(weights(target), weights(new)), names    # config, weights, vocab, history


def test_weights_from_another_save_are_refused_by_name(two_models, tmp_path):
    old, new = two_models
    mixed = tmp_path / "mixed"
    shutil.copytree(old, mixed)
    ours = next(mixed.glob("model-*.safetensors"))
    ours.write_bytes(next(new.glob("model-*.safetensors")).read_bytes())   # same architecture, other run
    with pytest.raises(ModelFileError, match=f"{ours.name} does not match the SHA-256"):
        Tagger.load(mixed)


def test_legacy_format_1_folders_still_load(two_models, tmp_path):
    old, _ = two_models
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    meta = json.loads((old / "config.json").read_text())
    (legacy / "model.safetensors").write_bytes(next(old.glob("model-*")).read_bytes())
    (legacy / "vocab.json").write_bytes(next(old.glob("vocab-*")).read_bytes())
    (legacy / "config.json").write_text(json.dumps({"format_version": 1, "kind": "tagger", "config": meta["config"]}))
    assert same(weights(legacy), weights(old))
    Tagger.load(legacy).save(legacy)                   # re-saved in format 2, the fixed names gone
    assert not (legacy / "model.safetensors").exists() and same(weights(legacy), weights(old))


def edit_config(folder: Path, change) -> None:
    meta = json.loads((folder / "config.json").read_text())
    change(meta["config"]["model"])
    (folder / "config.json").write_text(json.dumps(meta))


def test_sizes_that_do_not_match_the_weights_are_refused_before_allocating(two_models, tmp_path):
    old, _ = two_models
    huge = tmp_path / "huge"
    shutil.copytree(old, huge)
    edit_config(huge, lambda m: m.update(hidden_size=1_000_000_000))   # 3.7 TB if it were allocated
    with pytest.raises(ModelFileError, match=r"huge/config.json: hidden_size is 1000000000, but rnn.weight_hh_l0"):
        Tagger.load(huge)
    edit_config(huge, lambda m: m.update(hidden_size=16, embedding={**m["embedding"], "word_dim": 10 ** 9}))
    with pytest.raises(ModelFileError, match=r"embedding.word_dim is 1000000000, but embedding.words.weight in "
                                             r"model-[0-9a-f]+\.safetensors has 16"):
        Tagger.load(huge)
    edit_config(huge, lambda m: m.update(embedding={**m["embedding"], "word_dim": 16, "char_out": 10 ** 6}))
    with pytest.raises(ModelFileError, match=r"config.json: shape of embedding.char_encoder.lstm"):
        Tagger.load(huge)
    deeper = tmp_path / "deeper"
    shutil.copytree(old, deeper)
    edit_config(deeper, lambda m: m.update(num_layers=3))
    with pytest.raises(ModelFileError, match=r"does not match config.json: missing tensors rnn\.bias_hh_l2, .* \(\+4 more\)"):
        Tagger.load(deeper)
    wrong = tmp_path / "wrong"
    shutil.copytree(old, wrong)
    edit_config(wrong, lambda m: m.update(cell="transformer"))
    with pytest.raises(ModelFileError, match="does not describe a tagger.*cell"):
        Tagger.load(wrong)


def test_devices(tiny_tagger, tmp_path):
    folder = tiny_tagger.save(tmp_path / "m")
    assert Tagger.load(folder, device="cpu").device == torch.device("cpu")
    with pytest.raises(ValueError, match="device must be auto, cpu, cuda"):
        Tagger.load(folder, device="tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            Tagger.load(folder, device="cuda")


def test_torchrun_processes_get_a_gpu_each_or_a_clear_error(fake_gpus, monkeypatch):
    """Under torchrun every process takes the GPU of its LOCAL_RANK. nccl needs a GPU for each ("Duplicate GPU
    detected" deep inside otherwise), so training refuses more processes than GPUs, or all naming one GPU,
    unless CUDA_VISIBLE_DEVICES gives each process its own; loading a model keeps the plain rule."""
    from deeptrees import resolve_device
    from deeptrees.distributed import training_device

    fake_gpus(2)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert training_device("cuda") == training_device("auto") == resolve_device("auto") == torch.device("cuda", 1)
    with pytest.raises(ValueError, match="--device cuda:0: torchrun started 2 processes.*use --device cuda"):
        training_device("cuda:0")
    monkeypatch.setenv("LOCAL_RANK", "2")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "3")
    for name in ("auto", "cuda"):
        with pytest.raises(ValueError, match="3 processes on this machine, which has 2 CUDA GPU.*--nproc-per-node 2"):
            training_device(name)
    assert resolve_device("auto") == torch.device("cuda", 0)          # loading a model: no nccl involved
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2")                     # each process is given its own GPU
    assert training_device("cuda:0") == torch.device("cuda", 0) and training_device("cpu") == torch.device("cpu")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")                         # one process a machine chooses its GPU
    assert training_device("cuda:1") == torch.device("cuda", 1)
