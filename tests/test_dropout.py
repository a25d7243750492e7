"""deeptrees.dropout: the cheap CPU masks drop at the asked rate, keep the expectation, repeat under a seed."""
import pytest
import torch

from deeptrees.dropout import Dropout, keep_mask


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.9])
def test_masks_drop_at_the_rate_and_keep_the_mean(p):
    torch.manual_seed(0)
    mask = keep_mask(torch.Size([1000, 1000]), p)
    dropped = (mask == 0).float().mean().item()
    assert abs(dropped - p) < 0.002                      # 1e6 draws: standard error < 0.0005
    se_mean = (p / (1 - p)) ** 0.5 / 1000                # kept elements are scaled by 1 / (1 - p)
    assert abs(mask.mean().item() - 1.0) < 4 * se_mean
    zero, kept = mask.unique().tolist()
    assert zero == 0.0 and kept == pytest.approx(1 / (1 - p), rel=1e-4)


def test_mask_bits_are_independent_of_position():
    torch.manual_seed(1)
    mask = keep_mask(torch.Size([400, 2500]), 0.5) > 0
    # every one of the 4 int16 lanes of a 64-bit draw drops at the same rate, and neighbours are uncorrelated
    lanes = mask.view(-1, 4).float().mean(0)
    assert (lanes - 0.5).abs().max() < 0.005
    a, b = mask.view(-1)[:-1].float(), mask.view(-1)[1:].float()
    assert abs((a * b).mean().item() - 0.25) < 0.005


def test_dropout_repeats_under_a_seed_is_identity_in_eval_and_passes_the_mask_to_the_gradient():
    layer = Dropout(0.3)
    x = torch.randn(64, 33, requires_grad=True)
    torch.manual_seed(5)
    y = layer(x)
    torch.manual_seed(5)
    assert torch.equal(layer(x), y)
    assert not torch.equal(layer(x), y)                  # the next call draws a new mask
    y.sum().backward()
    assert torch.allclose(x.grad, torch.where(y == 0, 0.0, y / x))
    assert layer.eval()(x) is x
    assert Dropout(0.0).train()(x) is x


def test_bad_rates_are_refused():
    with pytest.raises(ValueError, match="dropout"):
        Dropout(1.0)
    with pytest.raises(ValueError, match="dropout"):
        Dropout(-0.1)
