"""Training and tagging on a CUDA GPU, run there with ``DEEPTREES_TEST_GPU=1 pytest -m gpu tests`` (skipped
elsewhere; the rest of the suite hides GPUs, see conftest). Failures first seen on an H200 or found by reading
the code after it: fused Adagrad, which torch has no CUDA kernel for (also when a CPU run resumes on a GPU),
tag probabilities gathered with an index on the CPU, gradient_flow's cell made on the CPU."""
import copy

import pytest
import torch
from torch import nn

from corpora import EmbeddingConfig, load_sst
from deeptrees import TrainConfig
from deeptrees.train import make_optimizer
import tagger
import treernn
from tagger import Tagger, train_tagger
from tagger.diagnostics import gradient_flow
from tests.conftest import GPU, tiny_tagger_config
from treernn import TreeNetConfig, load, train_treenet

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not (GPU and torch.cuda.is_available()),
                                                  reason="needs a CUDA GPU and DEEPTREES_TEST_GPU=1")]


def agree(a: list, b: list) -> float:
    return sum(x == y for x, y in zip(a, b)) / max(len(a), 1)


@pytest.mark.parametrize("name, lr", [("adam", 2e-3), ("adagrad", 0.05), ("sgd", 0.1)])
def test_every_optimizer_steps_on_the_gpu_as_on_the_cpu(name, lr):
    torch.manual_seed(0)
    cpu = nn.Sequential(nn.Embedding(50, 8), nn.Linear(8, 3))
    gpu = copy.deepcopy(cpu).cuda()
    opts = [make_optimizer(m, TrainConfig(optimizer=name, lr=lr, weight_decay=1e-4)) for m in (cpu, gpu)]
    x, y = torch.randint(0, 50, (20,)), torch.randint(0, 3, (20,))
    for _ in range(10):
        for model, opt in zip((cpu, gpu), opts):
            device = next(model.parameters()).device
            opt.zero_grad()
            nn.functional.cross_entropy(model(x.to(device)), y.to(device)).backward()
            opt.step()
    for a, b in zip(cpu.parameters(), gpu.parameters()):
        assert torch.allclose(a, b.cpu(), atol=1e-5)


@pytest.mark.parametrize("output", ["softmax", "crf"])
def test_a_tagger_trained_on_the_gpu_tags_with_probabilities_and_loads_on_the_cpu(output, small_train, treebank_dev,
                                                                                  tmp_path):
    tagger, hist = train_tagger(small_train[:60], treebank_dev[:20], tiny_tagger_config(output=output),
                                TrainConfig(epochs=3, batch_size=10, lr=0.02), out=tmp_path / "m", progress=False,
                                word_vectors=None, device="cuda")
    assert tagger.device.type == "cuda" and hist.epochs[-1]["loss"] < hist.epochs[0]["loss"]
    sents = [[w for w, _ in s] for s in treebank_dev[:20]]
    on_gpu = [t for s in tagger.tag_sents(sents, probs=True) for t in s]
    on_cpu = [t for s in Tagger.load(tmp_path / "m", device="cpu").tag_sents(sents, probs=True) for t in s]
    assert agree([t[:2] for t in on_gpu], [t[:2] for t in on_cpu]) > 0.98
    assert all(abs(a[2] - b[2]) < 1e-3 for a, b in zip(on_gpu, on_cpu) if a[:2] == b[:2])
    assert tagger.nbest(sents[0], 2)[0][0] == [t for _, t in tagger.tag(sents[0])]


def test_a_tree_net_trains_on_the_gpu_with_adagrad_and_loads_on_the_cpu(tmp_path):
    train, dev = load_sst("train")[:60], load_sst("dev")[:30]
    emb = EmbeddingConfig(word_dim=12, char_dim=6, char_out=8, shape_dim=3)
    net, hist = train_treenet(train, dev, TreeNetConfig(hidden_size=8, embedding=emb),
                              TrainConfig(epochs=3, batch_size=10, optimizer="adagrad", lr=0.05), out=tmp_path / "t",
                              progress=False, word_vectors=None, device="cuda")
    assert hist.epochs[-1]["loss"] < hist.epochs[0]["loss"]
    on_cpu = load(tmp_path / "t", device="cpu").predict_batch(dev)
    assert agree([str(t) for t in net.predict_batch(dev)], [str(t) for t in on_cpu]) > 0.9


def test_a_cpu_run_resumes_on_the_gpu(small_train, treebank_dev, tmp_path):
    config, dev = tiny_tagger_config(), treebank_dev[:20]
    train_tagger(small_train[:60], dev, config, TrainConfig(epochs=2, batch_size=10, lr=0.02), out=tmp_path / "m",
                 progress=False, word_vectors=None, device="cpu")
    resumed, hist = train_tagger(small_train[:60], dev, config, TrainConfig(epochs=4, batch_size=10, lr=0.02),
                                 out=tmp_path / "m", resume=True, progress=False, word_vectors=None, device="cuda")
    assert resumed.device.type == "cuda" and len(hist.epochs) == 4


def test_shipped_models_on_the_gpu_answer_as_on_the_cpu():
    sents = [["The", "old", "man", "the", "boats", "."], ["Prices", "rose", "5", "%", "."]]
    gpu, cpu = tagger.load_default("cuda"), tagger.load_default("cpu")
    assert gpu.device.type == "cuda" and cpu.device.type == "cpu"
    assert [[t[:2] for t in s] for s in gpu.tag_sents(sents, probs=True)] == cpu.tag_sents(sents)
    text = "A gorgeous , witty film ."     # parsed first, by the shipped parser on the network's device
    assert treernn.load_default("cuda").predict(text).label() == treernn.load_default("cpu").predict(text).label()


def test_gradient_flow_on_the_gpu_equals_the_cpu():
    torch.manual_seed(0)
    rnn, x = nn.LSTM(4, 6, batch_first=True), torch.randn(3, 12, 4)
    on_cpu = gradient_flow(rnn, x)
    assert torch.allclose(gradient_flow(rnn.cuda(), x.cuda()).cpu(), on_cpu, rtol=1e-4, atol=1e-6)
