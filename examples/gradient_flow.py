"""Why gradients vanish and explode, measured.

Left: ||dL/dh_t|| against the distance from the loss for a plain (tanh) RNN, a GRU and an LSTM
with torch's default initialisation, the loss reading only the last state. Right: the scalar
linear RNN h_t = w h_{t-1} with h_0 = 1, whose output after n steps is w^n and whose gradient
d(w^n)/dw = n w^(n-1) grows without bound for |w| > 1 and dies for |w| < 1.

    python examples/gradient_flow.py            # writes examples/out/gradient_flow.png
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from _common import parser, save  # noqa: E402
from tagger.diagnostics import gradient_flow, linear_rnn_gradient  # noqa: E402


def main(argv: list[str] | None = None) -> Path:
    args = parser(__doc__).parse_args(argv)
    import matplotlib.pyplot as plt

    T = 30 if args.quick else 100
    torch.manual_seed(0)
    x = torch.randn(16, T, 10)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    print(f"||dL/dh_t|| at distance {T - 1} from the loss, relative to distance 0 (T={T}, hidden 32):")
    lstm_open = nn.LSTM(10, 32, batch_first=True)
    with torch.no_grad():  # forget-gate bias 1 (Jozefowicz et al. 2015): the cell starts by remembering
        lstm_open.bias_ih_l0[32:64].fill_(1.0)
        lstm_open.bias_hh_l0[32:64].fill_(1.0)
    nets = (("plain RNN (tanh)", nn.RNN(10, 32, batch_first=True)), ("GRU", nn.GRU(10, 32, batch_first=True)),
            ("LSTM", nn.LSTM(10, 32, batch_first=True)), ("LSTM, forget bias 1", lstm_open))
    for name, net in nets:
        norms = gradient_flow(net, x).flip(0)  # index = distance from the loss
        a.semilogy(range(T), norms.numpy(), label=name)
        print(f"  {name:<20} {float(norms[-1] / norms[0]):.2e}")
    a.set(xlabel="distance from the loss (steps)", ylabel="||dL/dh_t||", title="gradient reaching earlier steps")
    a.legend()
    n_max = 20 if args.quick else 60
    print("scalar linear RNN, h_n = w^n: autograd gradient vs n w^(n-1)")
    for w in (0.5, 0.9, 1.0, 1.1, 1.5):
        grads = [abs(linear_rnn_gradient(w, n)[1]) for n in range(1, n_max + 1)]
        b.semilogy(range(1, n_max + 1), grads, label=f"w = {w}")
        h, g = linear_rnn_gradient(w, n_max)
        print(f"  w={w:<4} n={n_max}: h_n={h:.3e}  dh_n/dw={g:.3e}  n w^(n-1)={n_max * w ** (n_max - 1):.3e}")
    b.set(xlabel="steps n", ylabel="|d h_n / d w|", title="h_t = w h_(t-1): grows for |w|>1, decays for |w|<1")
    b.legend()
    return save(fig, args.out, "gradient_flow.png")


if __name__ == "__main__":
    main()
