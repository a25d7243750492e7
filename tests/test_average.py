"""The moving average of the weights (TrainConfig.average): what it computes, what fit scores and keeps
with it, and that a run with it resumes bit for bit."""
import doctest

import pytest
import torch

import deeptrees.average
from deeptrees import TrainConfig
from deeptrees.average import WeightAverage
from deeptrees.checkpoint import load_checkpoint
from tagger import Tagger, train_tagger
from tagger.evaluate import evaluate
from tests.conftest import tiny_tagger_config


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)      # bit-identical results need the same reduction order
    yield
    torch.set_num_threads(threads)


def test_the_docstring_example_holds():
    assert doctest.testmod(deeptrees.average).failed == 0


def test_the_average_follows_the_formula_and_leaves_buffers_and_frozen_weights_alone():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    net[1].weight.requires_grad_(False)
    avg = WeightAverage(net, decay=0.99)
    assert set(avg.tensors) == {"0.weight", "0.bias", "1.bias"}
    expected = {k: p.detach().clone() for k, p in net.named_parameters() if p.requires_grad}
    for step in range(1, 30):
        with torch.no_grad():
            for p in net.parameters():
                p.add_(torch.randn_like(p))
        avg.update(step)
        d = min(0.99, (1 + step) / (10 + step))
        for k, p in net.named_parameters():
            if p.requires_grad:
                expected[k] = d * expected[k] + (1 - d) * p.detach()
    own = {k: p.detach().clone() for k, p in net.named_parameters()}
    with avg.applied():
        for k, p in net.named_parameters():
            assert torch.allclose(p, expected.get(k, own[k]), atol=1e-6)
    assert all(torch.equal(p, own[k]) for k, p in net.named_parameters())   # its own weights are back


def test_a_bad_decay_or_a_foreign_saved_average_is_refused():
    net = torch.nn.Linear(2, 2)
    for decay in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError, match="decay"):
            WeightAverage(net, decay)
    with pytest.raises(ValueError, match="average must be in"):
        TrainConfig(average=1.0)
    with pytest.raises(ValueError, match="trainable parameters"):
        WeightAverage(net, 0.9, {"other": torch.zeros(2)})


def tag(train, dev, epochs, out, average=0.9, **run):
    cfg = TrainConfig(epochs=epochs, batch_size=10, lr=0.02, seed=3, patience=9, average=average)
    return train_tagger(train, dev, tiny_tagger_config(), cfg, out=out, progress=False, word_vectors=None, **run)


def test_fit_scores_saves_and_keeps_the_average_and_trains_on_from_the_raw_weights(small_train, treebank_dev,
                                                                                    tmp_path):
    dev = treebank_dev[:20]
    tagger, hist = tag(small_train, dev, 3, tmp_path / "avg")
    ckpt = load_checkpoint(tmp_path / "avg", "tagger")
    raw, average = ckpt.model, ckpt.state.average
    assert not all(torch.equal(average[k], raw[k]) for k in average)   # two sets of weights
    if hist.best_epoch == 3:   # the model is the average of the last epoch, not its raw weights
        assert all(torch.equal(tagger.model.state_dict()[k], average[k]) for k in average)
    kept = Tagger.load(tmp_path / "avg")
    assert kept.tag_sents([[w for w, _ in s] for s in dev]) == tagger.tag_sents([[w for w, _ in s] for s in dev])
    # the dev score recorded for the best epoch is the kept model's
    assert evaluate(kept.tag_sents, dev, kept.vocab.knows).accuracy == pytest.approx(hist.best_score)
    # training differs from a run without the average only in what is scored and kept: same losses
    _, plain = tag(small_train, dev, 3, tmp_path / "plain", average=0.0)
    assert plain.step_losses == hist.step_losses


def test_a_run_with_the_average_resumes_bit_for_bit(small_train, treebank_dev, tmp_path):
    dev = treebank_dev[:20]
    straight, hist = tag(small_train, dev, 4, tmp_path / "straight")
    tag(small_train, dev, 2, tmp_path / "resumed")
    resumed, rhist = tag(small_train, dev, 4, tmp_path / "resumed", resume=True)
    assert [e["dev"] for e in rhist.epochs] == [e["dev"] for e in hist.epochs]
    a, b = (load_checkpoint(tmp_path / d, "tagger").state.average for d in ("straight", "resumed"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert all(torch.equal(v, resumed.model.state_dict()[k]) for k, v in straight.model.state_dict().items())
