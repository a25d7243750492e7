"""Ensembles of taggers: the mean of the members' tag distributions, decoded as one softmax's."""
import pytest
import torch

import corpora
from deeptrees import TrainConfig
from tagger import Tagger, evaluate, train_tagger
from tagger.cli import main as tagger_main
from tests.conftest import tiny_tagger_config


def _train(train, dev, seed: int, **config):
    tagger, _ = train_tagger(train, dev, tiny_tagger_config(**config), TrainConfig(epochs=3, batch_size=10, lr=0.02,
                             seed=seed), progress=False, word_vectors=None)
    return tagger


@pytest.fixture(scope="module")
def pos_members(small_train, treebank_dev):
    return [_train(small_train, treebank_dev[:20], seed) for seed in (1, 2)]


@pytest.fixture(scope="module")
def chunk_members():
    train = corpora.load("conll2000", "train", pos_feature=True)[:150]
    dev = corpora.load("conll2000", "dev", pos_feature=True)[:40]
    return [_train(train, dev, 1), _train(train, dev, 2, output="crf")], dev


def _probs(tagger: Tagger, sents) -> torch.Tensor:
    """Every tag's probability at every token (softmax or CRF marginals), (B, T, n_tags)."""
    with torch.inference_mode():
        scores, mask = tagger._scores(sents)
        return tagger.model.tag_probs(scores, mask)


def test_ensemble_is_the_mean_distribution(pos_members, treebank_dev):
    sents = [[w for w, _ in s] for s in treebank_dev[:12]]
    ens = Tagger.ensemble(pos_members)
    assert ens.members == 2 and "ensemble of 2" in repr(ens)
    mean = sum(_probs(m, sents) for m in pos_members) / 2
    assert torch.allclose(_probs(ens, sents), mean, atol=1e-5)
    tagged = ens.tag_sents(sents, probs=True)
    labels = ens.tagset
    for row, out in zip(mean, tagged):
        best = row[: len(out)].max(-1)
        assert [t[1] for t in out] == [labels[i] for i in best.indices.tolist()]
        assert [t[2] for t in out] == pytest.approx(best.values.tolist(), abs=1e-5)
    # members that disagree: the ensemble's answer is not simply one member's
    single = [m.tag_sents(sents) for m in pos_members]
    assert single[0] != single[1]
    # a tagger combined with itself tags as it does alone
    alone = pos_members[0]
    assert Tagger.ensemble([alone, alone]).tag_sents(sents) == alone.tag_sents(sents)


def test_ensemble_of_softmax_and_crf_chunkers(chunk_members, tmp_path):
    members, dev = chunk_members
    for i, m in enumerate(members):
        m.save(tmp_path / f"m{i}")
    ens = Tagger.ensemble([tmp_path / "m0", tmp_path / "m1"])       # from folders, as the CLI does
    sents = [[(w, p) for w, p, _ in s] for s in dev]
    mean = sum(_probs(m, sents) for m in members) / 2
    real = corpora.encode_words(ens.vocab, [[w for w, _ in s] for s in sents], [[(p,) for _, p in s] for s in sents]).mask
    assert torch.allclose(_probs(ens, sents)[real], mean[real], atol=1e-4)       # padding aside
    tagged = ens.tag_sents(sents)
    for tokens, out in zip(sents, tagged):
        tags = [t[-1] for t in out]
        assert all(not (b.startswith("I-") and (a == "O" or a[2:] != b[2:])) for a, b in zip(["O"] + tags, tags))
    assert ens.nbest(sents[0][:8], 3)[0][0] == [t[-1] for t in ens.tag(sents[0][:8])]
    assert all(0 < e[-1] <= 1 for e in ens.entities(sents[1], probs=True))
    assert ens.quantized().tag_sents(sents[:3])[0][0][:2] == sents[0][0]        # int8 copy of an ensemble works
    # the CLI reads several --model as the same ensemble
    result = evaluate(ens.tag_sents, corpora.load("conll2000", "test", pos_feature=True)[:30], ens.vocab.knows)
    out = tmp_path / "out.txt"
    import contextlib

    with out.open("w") as f, contextlib.redirect_stdout(f):
        assert tagger_main(["evaluate", "--model", str(tmp_path / "m0"), "--model", str(tmp_path / "m1"),
                            "--corpus", "conll2000", "--no-report"]) == 0
    full = evaluate(ens.tag_sents, corpora.load("conll2000", "test", pos_feature=True), ens.vocab.knows)
    assert out.read_text().strip() == full.summary() and result.tokens > 0


def test_ensemble_refuses_what_cannot_be_combined(pos_members, chunk_members, small_train, treebank_dev, tmp_path):
    a, b = pos_members
    with pytest.raises(ValueError, match="at least 2"):
        Tagger.ensemble([a])
    with pytest.raises(TypeError, match="list of taggers"):
        Tagger.ensemble("runs/pos")
    with pytest.raises(ValueError, match="other tags"):
        Tagger.ensemble([a, chunk_members[0][0]])
    other = _train(small_train[10:], treebank_dev[:20], 1)                          # other data: other words
    with pytest.raises(ValueError, match="another vocabulary"):
        Tagger.ensemble([a, other])
    ens = Tagger.ensemble([a, b])
    with pytest.raises(ValueError, match="ensemble or an int8"):
        Tagger.ensemble([ens, a])
    with pytest.raises(ValueError, match="not saved as one model"):
        ens.save(tmp_path / "ens")
    assert not (tmp_path / "ens").exists()
    with pytest.raises(TypeError, match="not trained"):
        ens.model(corpora.encode_words(ens.vocab, [["a"]]), torch.zeros(1, 1, dtype=torch.long))
