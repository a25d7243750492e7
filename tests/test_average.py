"""Weight averaging (TrainConfig.average): what is evaluated and kept is the moving average of the trained
weights, training itself goes on from the trained weights, and a killed run resumes with its average."""
import pytest
import torch

from deeptrees import TrainConfig
from deeptrees.average import WeightAverage
from deeptrees.train import fit
from tagger import train_tagger
from tests.conftest import tiny_tagger_config


def run_linear(average: float) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
    """Train a linear model 3 epochs of 5 steps: the weights after each step, those each epoch evaluated,
    and those kept."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    data = [torch.randn(4, 3) for _ in range(5)]
    trained, evaluated = [model.weight.detach().clone()], []

    def evaluate(m):
        evaluated.append(m.weight.detach().clone())
        return float(len(evaluated))                     # every epoch a new best: the last one is kept

    cfg = TrainConfig(epochs=3, lr=0.05, clip_norm=None, average=average, patience=10)
    fit(model, lambda rng: data, lambda m, x: (m(x) - 1).pow(2).mean(), cfg, evaluate=evaluate, progress=False,
        on_step=lambda step, loss, m: trained.append(m.weight.detach().clone()))
    return trained, evaluated, model.weight.detach()


def test_the_kept_weights_are_the_moving_average_of_the_trained_ones():
    decay = 0.9
    trained, evaluated, kept = run_linear(decay)
    expected, per_epoch = trained[0].clone(), []
    for step, w in enumerate(trained[1:], start=1):
        expected += (1 - min(decay, (1 + step) / (10 + step))) * (w - expected)
        if step % 5 == 0:
            per_epoch.append(expected.clone())
    assert len(evaluated) == 3
    for got, want in zip(evaluated, per_epoch):
        torch.testing.assert_close(got, want)
    torch.testing.assert_close(kept, per_epoch[-1])
    assert not torch.allclose(kept, trained[-1], atol=1e-3)   # the average is not the last step's weights
    plain, _, _ = run_linear(0.0)                              # and training itself is unchanged by it
    assert all(torch.equal(a, b) for a, b in zip(trained, plain))


def test_a_killed_averaging_run_resumes_to_the_same_model(small_train, tmp_path):
    class Crash(Exception):
        pass

    def crash(step, loss, model):
        if step == 8:
            raise Crash

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        def run(out, **kw):
            return train_tagger(small_train, None, tiny_tagger_config(),
                                TrainConfig(epochs=2, batch_size=10, lr=0.02, seed=3, average=0.9), out=out,
                                progress=False, word_vectors=None, **kw)

        straight, _ = run(tmp_path / "straight")
        with pytest.raises(Crash):
            run(tmp_path / "crashed", checkpoint_every=3, on_step=crash)
        resumed, _ = run(tmp_path / "crashed", resume=True, checkpoint_every=3)
        plain, _ = train_tagger(small_train, None, tiny_tagger_config(),
                                TrainConfig(epochs=2, batch_size=10, lr=0.02, seed=3), progress=False,
                                word_vectors=None)
    finally:
        torch.set_num_threads(threads)
    a, b, c = (m.model.state_dict() for m in (straight, resumed, plain))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)   # averaging changed what was kept


def test_bad_decays_are_refused():
    with pytest.raises(ValueError, match="average"):
        TrainConfig(average=1.0)
    with pytest.raises(ValueError, match="average"):
        TrainConfig(average=-0.1)
    with pytest.raises(ValueError, match="does not match"):
        WeightAverage(torch.nn.Linear(2, 2), 0.9, {"weight": torch.zeros(2, 2)})
