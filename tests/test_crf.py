"""The CRF against brute force: every tag sequence enumerated on tiny inputs."""
import itertools
import math

import pytest
import torch

from tagger.chunks import chunk_scheme, to_iob2
from tagger.crf import CRF, allowed_transitions

CHUNKS = ["B-NP", "B-VP", "I-NP", "I-VP", "O"]


def brute(crf: CRF, emissions: torch.Tensor, length: int) -> list[tuple[float, tuple[int, ...]]]:
    """(score, tags) of every sequence of one item, best first."""
    trans, start, end = (t.detach() for t in crf._scores())
    n = emissions.shape[1]
    out = []
    for seq in itertools.product(range(n), repeat=length):
        s = start[seq[0]] + end[seq[-1]] + sum(emissions[t, y] for t, y in enumerate(seq))
        s += sum(trans[a, b] for a, b in zip(seq, seq[1:]))
        out.append((float(s), seq))
    return sorted(out, key=lambda x: -x[0])


def random_crf(labels, seed):
    torch.manual_seed(seed)
    crf = CRF(labels)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    lengths = [4, 1, 3]
    emissions = torch.randn(len(lengths), max(lengths), len(labels)) * 2
    mask = torch.arange(max(lengths)).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    return crf, emissions, mask, lengths


@pytest.mark.parametrize("labels,seed", [(["A", "B", "C"], 0), (["A", "B", "C", "D"], 1), (CHUNKS, 2)])
def test_crf_equals_brute_force(labels, seed):
    crf, emissions, mask, lengths = random_crf(labels, seed)
    log_z = crf.log_partition(emissions, mask)
    marginals = crf.marginals(emissions, mask)
    top = crf.topk(emissions, mask, k=5)
    for b, length in enumerate(lengths):
        paths = brute(crf, emissions[b], length)
        assert log_z[b].item() == pytest.approx(torch.logsumexp(torch.tensor([s for s, _ in paths]), 0).item(),
                                                abs=1e-4)
        valid = [(s, seq) for s, seq in paths if s > -5000]
        assert crf.viterbi(emissions[b: b + 1], mask[b: b + 1])[0] == list(valid[0][1])
        assert [tuple(seq) for seq, _ in top[b]] == [seq for _, seq in valid[:5]]          # order
        assert [s for _, s in top[b]] == pytest.approx([s for s, _ in valid[:5]], abs=1e-4)  # and scores
        z = math.log(sum(math.exp(s) for s, _ in paths))
        for t in range(length):
            for y in range(len(labels)):
                p = sum(math.exp(s - z) for s, seq in paths if seq[t] == y)
                assert marginals[b, t, y].item() == pytest.approx(p, abs=1e-5)
        assert marginals[b, :length].sum(1).tolist() == pytest.approx([1.0] * length, abs=1e-5)
        assert marginals[b, length:].abs().sum() == 0
        gold = torch.tensor([list(valid[1][1]) + [0] * (mask.shape[1] - length)])
        score = crf.path_score(emissions[b: b + 1], gold, mask[b: b + 1])
        assert score.item() == pytest.approx(valid[1][0], abs=1e-4)


def test_training_raises_the_gold_probability():
    crf, emissions, mask, _ = random_crf(CHUNKS, 3)
    gold = torch.tensor([[0, 2, 4, 1], [4, 0, 0, 0], [1, 3, 3, 0]])
    opt = torch.optim.Adam(crf.parameters(), lr=0.1)
    before = crf.nll(emissions, gold, mask).item()
    for _ in range(50):
        opt.zero_grad()
        crf.nll(emissions, gold, mask).backward()
        opt.step()
    assert crf.nll(emissions, gold, mask).item() < 0.5 * before
    assert [crf.viterbi(emissions[b: b + 1], mask[b: b + 1])[0] for b in range(3)] == [[0, 2, 4, 1], [4], [1, 3, 3]]


def test_chunk_constraints():
    trans, start, end = allowed_transitions(CHUNKS)
    i = {lab: k for k, lab in enumerate(CHUNKS)}
    assert not trans[i["O"], i["I-NP"]] and not trans[i["B-NP"], i["I-VP"]] and not start[i["I-NP"]]
    assert trans[i["B-NP"], i["I-NP"]] and trans[i["I-NP"], i["B-NP"]] and trans[i["O"], i["B-VP"]] and end.all()
    bioes = ["B-PER", "I-PER", "E-PER", "S-PER", "O"]
    trans, start, end = allowed_transitions(bioes)
    assert not end[0] and not end[1] and end[2] and not trans[0, 4] and trans[0, 2] and trans[3, 0]
    assert chunk_scheme(["NN", "VB"]) is None and allowed_transitions(["NN", "VB"])[0].all()
    assert to_iob2(["I-NP", "I-NP", "O", "I-VP", "B-VP", "I-NP"]) == ["B-NP", "I-NP", "O", "B-VP", "B-VP", "B-NP"]
    crf = CRF(CHUNKS)                       # even when the emissions beg for an invalid sequence
    emissions = torch.full((1, 3, 5), -5.0)
    emissions[0, :, i["I-VP"]] = 50.0
    for seq, _ in crf.topk(emissions, torch.ones(1, 3, dtype=torch.bool), k=4)[0]:
        tags = [CHUNKS[k] for k in seq]
        assert tags[0][0] != "I" and all(not (b.startswith("I-") and a[2:] != b[2:]) for a, b in zip(tags, tags[1:]))
