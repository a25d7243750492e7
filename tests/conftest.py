"""Shared fixtures: small real data from the treebank sample and a tiny trained tagger; a runner for the tagger CLI."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
os.environ.setdefault("NLTK_DATA", str(SHARED / "nltk_data"))
# The suite checks what holds on a CPU, bit for bit (resume, data-parallel equality, int8), on any machine: it
# hides GPUs from itself and its subprocesses. `DEEPTREES_TEST_GPU=1 pytest -m gpu tests` runs the GPU tests.
GPU = os.environ.get("DEEPTREES_TEST_GPU") == "1"
if not GPU:
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
# distillation caches teacher outputs (deeptrees/cache.py): the suite and its subprocesses keep theirs in a
# folder of their own, removed at exit, not in the user's ~/.cache
_CACHE = tempfile.TemporaryDirectory(prefix="deeptrees-test-cache-")
os.environ["DEEPTREES_CACHE"] = _CACHE.name

import torch  # noqa: E402
import corpora  # noqa: E402  (after NLTK_DATA is set)
from corpora import EmbeddingConfig  # noqa: E402
from deeptrees import TrainConfig  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """With DEEPTREES_TEST_GPU=1 only the tests marked gpu run: the others check what holds on a CPU."""
    if GPU:
        skip = pytest.mark.skip(reason="DEEPTREES_TEST_GPU=1 runs only the tests marked gpu")
        for item in items:
            if "gpu" not in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def fake_gpus(monkeypatch):
    """``fake_gpus(n)``: torch claims n CUDA GPUs (device choice without one; moving a tensor there fails)."""
    def fake(n: int) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)
    return fake


@pytest.fixture(scope="session")
def treebank_train():
    return corpora.load("treebank", "train")


@pytest.fixture(scope="session")
def treebank_dev():
    return corpora.load("treebank", "dev")


@pytest.fixture(scope="session")
def small_train(treebank_train):
    return treebank_train[:50]


def tiny_tagger_config(**overrides):
    from tagger import TaggerConfig

    emb = EmbeddingConfig(word_dim=16, char_dim=8, char_out=16, shape_dim=4, word_dropout=0.25)
    return TaggerConfig(embedding=emb, hidden_size=16, num_layers=2, dropout=0.2, **overrides)


@pytest.fixture(scope="session")
def tiny_tagger(small_train, treebank_dev):
    from tagger import train_tagger

    tagger, _ = train_tagger(small_train, treebank_dev[:20], tiny_tagger_config(),
                             TrainConfig(epochs=8, batch_size=10, lr=0.02), progress=False, word_vectors=None)
    return tagger


def cli(package: str, *args: str, stdin: str = "", timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m PACKAGE ARGS`` run from the repository root, ``stdin`` as its input, output captured as text;
    a run past ``timeout`` seconds fails the test (``subprocess.TimeoutExpired``) instead of hanging it."""
    return subprocess.run([sys.executable, "-m", package, *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def tagger_cli(*args: str, stdin: str = "", timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m tagger ARGS`` (:func:`cli`)."""
    return cli("tagger", *args, stdin=stdin, timeout=timeout)
