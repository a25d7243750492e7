"""The teaching examples run in their fast mode and write their plots; the maths they show holds."""
import importlib.util
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from deeptrees.train import NonFiniteLoss, TrainConfig, fit
from tagger.diagnostics import gradient_flow, linear_rnn, linear_rnn_gradient
from tests.conftest import ROOT


def load_script(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("script", ["examples/gradient_flow.py", "examples/airline.py", "examples/long_memory.py",
                                    "examples/sentiment_tree.py",
                                    "benchmarks/pos_architectures.py"])
def test_script_quick_mode_writes_png(script, tmp_path, capsys):
    module = load_script(ROOT / script)
    module.main(["--quick", "--out", str(tmp_path)])
    pngs = list(tmp_path.glob("*.png"))
    assert len(pngs) == 1 and pngs[0].stat().st_size > 10_000
    assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("w", [0.5, 0.9, 1.0, 1.1, 1.5, -1.3])
@pytest.mark.parametrize("n", [1, 5, 30])
def test_linear_rnn_gradient_is_n_w_to_the_n_minus_1(w, n):
    h, grad = linear_rnn_gradient(w, n)
    assert h == pytest.approx(w ** n, rel=1e-9)
    assert grad == pytest.approx(n * w ** (n - 1), rel=1e-9)


def test_linear_rnn_grows_and_decays():
    assert abs(float(linear_rnn(1.1, 100))) > 1e4 and abs(float(linear_rnn(0.9, 100))) < 1e-4


def test_gradient_flow_matches_autograd_through_the_real_module():
    torch.manual_seed(0)
    rnn = nn.GRU(3, 5, batch_first=True)
    x = torch.randn(2, 7, 3)
    norms = gradient_flow(rnn, x)
    assert norms.shape == (7,)
    out, _ = rnn(x)  # the fused module: dL/dx_0 exists iff the first step's state carries gradient
    x0 = x.clone().requires_grad_()
    rnn(x0)[0][:, -1].sum().backward()
    assert x0.grad[:, 0].abs().sum() > 0 and norms[0] > 0
    # the gradient at the last state is d(sum h_T)/dh_T = all ones: norm sqrt(hidden)
    assert norms[-1] == pytest.approx(math.sqrt(5), rel=1e-6)


def test_gradient_flow_bad_input():
    with pytest.raises(ValueError, match="one layer"):
        gradient_flow(nn.LSTM(3, 4, num_layers=2, batch_first=True), torch.randn(1, 5, 3))
    with pytest.raises(ValueError, match=r"\(batch, time, 3\)"):
        gradient_flow(nn.LSTM(3, 4, batch_first=True), torch.randn(5, 3))
    with pytest.raises(TypeError, match="RNN, GRU or LSTM"):
        gradient_flow(nn.Linear(3, 4), torch.randn(1, 5, 3))


class Exploding(nn.Module):
    """A loss that becomes inf at its third call: a stand-in for a diverging run."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))
        self.calls = 0

    def forward(self):
        self.calls += 1
        return (self.w * (1e39 if self.calls == 3 else 1.0)).sum()


def test_nonfinite_loss_raises_naming_the_step():
    with pytest.raises(NonFiniteLoss, match="loss became inf at epoch 1, step 3"):
        fit(Exploding(), lambda rng: range(5), lambda m, b: m(), TrainConfig(epochs=1), progress=False)


def test_nonfinite_loss_can_stop_and_keep_the_best_weights():
    model = Exploding()
    hist = fit(model, lambda rng: range(2), lambda m, b: m(), TrainConfig(epochs=3, on_nonfinite="stop", lr=0.1),
               evaluate=lambda m: -m.w.item(), progress=False)
    assert hist.stopped == "nonfinite" and hist.nonfinite_step == 3
    assert torch.isfinite(model.w).all() and hist.best_epoch == 1
