import json
import re
import shutil

import pytest
import torch

from deeptrees import ModelFileError, TrainConfig
from tagger import Tagger, TaggerConfig, evaluate, train_tagger
from tests.conftest import tiny_tagger_config


def test_few_steps_on_50_sentences_lower_the_loss(small_train):
    _, hist = train_tagger(small_train, None, tiny_tagger_config(), TrainConfig(epochs=8, batch_size=10, lr=0.02),
                           progress=False, word_vectors=None)
    losses = [e["loss"] for e in hist.epochs]
    assert losses[-1] < 0.7 * losses[0]


@pytest.mark.parametrize("cell,bidi,layers", [("gru", True, 1), ("rnn", False, 3)])
def test_other_cells_and_depths_train(small_train, cell, bidi, layers):
    cfg = tiny_tagger_config(cell=cell, bidirectional=bidi)
    cfg.num_layers = layers
    tagger, hist = train_tagger(small_train, None, cfg, TrainConfig(epochs=3, batch_size=10, lr=0.01), progress=False, word_vectors=None)
    assert hist.epochs[-1]["loss"] < hist.epochs[0]["loss"]
    assert tagger.model.rnn.num_layers == layers and tagger.model.rnn.bidirectional == bidi


def test_training_is_reproducible_with_a_seed(small_train):
    runs = [train_tagger(small_train[:20], None, tiny_tagger_config(), TrainConfig(epochs=1, batch_size=10, seed=7),
                         progress=False, word_vectors=None)[1].step_losses for _ in range(2)]
    assert runs[0] == runs[1]


def test_learns_something_real(tiny_tagger, treebank_dev):
    # 50 sentences, 3 epochs: far better than the majority tag (NN, ~13%)
    assert tiny_tagger.accuracy(treebank_dev[:50]) > 0.4


def test_save_load_tags_identically(tiny_tagger, treebank_dev, tmp_path):
    tiny_tagger.save(tmp_path / "m")
    names = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert names[0] == "config.json" and re.fullmatch(r"history-[0-9a-f]{16}\.json", names[1])
    assert re.fullmatch(r"model-[0-9a-f]{16}\.safetensors", names[2])
    assert re.fullmatch(r"vocab-[0-9a-f]{16}\.json", names[3]) and len(names) == 4
    loaded = Tagger.load(tmp_path / "m")
    sents = [[w for w, _ in s] for s in treebank_dev[:40]]
    assert loaded.tag_sents(sents) == tiny_tagger.tag_sents(sents)
    b = __import__("corpora").encode_words(loaded.vocab, sents[:3])
    with torch.no_grad():
        assert torch.equal(loaded.model(b), tiny_tagger.model(b))


def test_taggeri_methods(tiny_tagger, treebank_dev):
    gold = treebank_dev[:10]
    tagged = tiny_tagger.tag_sents([[w for w, _ in s] for s in gold])
    manual = sum(p == g for ps, gs in zip(tagged, gold) for p, g in zip(ps, gs)) / sum(map(len, gold))
    assert tiny_tagger.accuracy(gold) == pytest.approx(manual)
    assert tiny_tagger.tag(gold[0] and [w for w, _ in gold[0]]) == tagged[0]
    assert "NN" in str(tiny_tagger.confusion(gold))
    result = evaluate(tiny_tagger.tag_sents, gold, tiny_tagger.vocab.knows)
    assert result.accuracy == pytest.approx(manual) and result.oov_tokens > 0
    assert "precision" in result.report()


def test_tag_text_tokenizes_raw_text(tiny_tagger):
    out = tiny_tagger.tag_text("The company didn't report earnings. Shares fell 5 %.")
    assert [w for w, _ in out[0]] == ["The", "company", "did", "n't", "report", "earnings", "."]
    assert len(out) == 2 and all(t in tiny_tagger.tagset for s in out for _, t in s)


def test_bad_input(tiny_tagger):
    assert tiny_tagger.tag([]) == []
    assert tiny_tagger.tag_sents([[], ["the"]])[0] == []
    with pytest.raises(TypeError, match="tag_text"):
        tiny_tagger.tag("The old man")
    with pytest.raises(TypeError, match="token 1"):
        tiny_tagger.tag(["the", 3])
    with pytest.raises(ValueError, match="token 2.*whitespace"):
        tiny_tagger.tag(["the", "old", "man the"])
    with pytest.raises(ValueError, match="token 0"):
        tiny_tagger.tag(["the\n"])
    with pytest.raises(TypeError, match="sentence 1"):
        tiny_tagger.tag_sents([["ok"], "not a list"])
    with pytest.raises(TypeError):
        tiny_tagger.tag_text(["already", "tokens"])


def test_long_sentence_and_odd_characters(tiny_tagger):
    words = ["the", "cat", "🙂", "Zürich", "日本", "\u200b", "x" * 300] * 1500
    words = [w for w in words if w.split() == [w]]
    words = (words * 2)[:10_000]
    tags = tiny_tagger.tag(words)
    assert len(tags) == 10_000 and all(t in tiny_tagger.tagset for _, t in tags)


def test_broken_model_folders_name_the_file(tiny_tagger, tmp_path):
    good = tiny_tagger.save(tmp_path / "good")
    weights, vocab = (next(good.glob(pattern)).name for pattern in ("model-*", "vocab-*"))
    for name, damage in [(vocab, "missing"), (weights, "missing"), ("config.json", "corrupt"),
                         (weights, "corrupt"), (vocab, "corrupt"), (weights, "truncated")]:
        bad = tmp_path / f"{damage}-{name}"
        shutil.copytree(good, bad)
        if damage == "missing":
            (bad / name).unlink()
        elif damage == "truncated":
            (bad / name).write_bytes((bad / name).read_bytes()[:1000])
        else:
            (bad / name).write_bytes(b"\x00garbage{")
        with pytest.raises(ModelFileError, match=name.replace(".", r"\.")):
            Tagger.load(bad)
    for version, says in [(99, "99 .newer"), ("2", "'2'"), (0, "0;"), (True, "True"), (-5, "-5")]:
        odd = tmp_path / f"version-{version}"
        shutil.copytree(good, odd)
        meta = json.loads((odd / "config.json").read_text())
        meta["format_version"] = version
        (odd / "config.json").write_text(json.dumps(meta))
        with pytest.raises(ModelFileError, match=f"config.json has format_version {says}"):
            Tagger.load(odd)
    with pytest.raises(ModelFileError, match="does not exist"):
        Tagger.load(tmp_path / "nowhere")


def test_bad_training_data():
    with pytest.raises(TypeError, match="sentence 0, token 1"):
        train_tagger([[("a", "DT"), "b"]], progress=False, word_vectors=None)
    with pytest.raises(ValueError, match="no tagged tokens"):
        train_tagger([[]], progress=False, word_vectors=None)
    with pytest.raises(ValueError, match="cell"):
        TaggerConfig(cell="transformer")


def test_default_model_tags_out_of_the_box():
    import tagger

    t = tagger.load_default()
    tagged = t.tag("The old man the boats .".split())
    assert [w for w, _ in tagged] == ["The", "old", "man", "the", "boats", "."]
    assert tagged[0][1] == "DT" and tagged[-1][1] == "." and tagged[4][1] == "NNS"
    assert t.tag("The cat sat on the mat .".split())[1][1] == "NN"
