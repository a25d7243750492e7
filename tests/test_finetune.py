"""More (silver) training data and fine-tuning: CoNLL-2000's automatic POS tags as extra treebank data
(``corpora.load_silver_pos``, ``--extra-train``), and a run that starts from all of a saved tagger
(``init_from``, ``--init-from``)."""
import argparse

import pytest
import torch

import corpora
from deeptrees import TrainConfig
from tagger import Tagger, train_tagger
from tagger.cli import _extra_train, main

STILL = TrainConfig(epochs=1, batch_size=10, lr=1e-9)   # one epoch that leaves the weights where they start


def test_silver_pos_speaks_the_treebank_tag_set_and_holds_no_evaluation_sentence(treebank_train, treebank_dev):
    held = [[w for w, _ in s] for s in treebank_dev + corpora.load("treebank", "test")]
    everything, silver = corpora.load_silver_pos(), corpora.load_silver_pos(held)
    dropped = {tuple(w for w, _ in s) for s in everything} & {tuple(h) for h in held}
    assert dropped and len(silver) < len(everything)    # boilerplate such as "Terms were n't disclosed ." recurs
    assert not {tuple(w for w, _ in s) for s in silver} & dropped
    tags = {t for s in silver for _, t in s}
    assert tags <= {t for s in treebank_train for _, t in s}
    assert {"-LRB-", "-RRB-"} <= tags and not {"(", ")"} & tags


def test_cess_entities_are_iob2_of_the_conll2002_types_and_hold_no_evaluation_text():
    held = [[w for w, _ in s] for split in ("dev", "test") for s in corpora.load_conll2002(split, "esp")]
    everything, cess = corpora.load_cess_entities(), corpora.load_cess_entities(held)
    assert 5000 < len(cess) < len(everything)       # some CESS-ESP sentences are CoNLL's Spanish dev/test text
    eights = {tuple(h[i:i + 8]) for h in held for i in range(len(h) - 7)}
    assert not any(tuple(w[i:i + 8]) in eights for w in ([w for w, _ in s] for s in cess) for i in range(len(w) - 7))
    assert not {tuple(w for w, _ in s) for s in cess} & {tuple(h) for h in held}   # short ones too ("EFE .")
    tags = [t for s in cess for _, t in s]
    assert set(tags) == {t for s in corpora.load_conll2002("train", "esp") for _, t in s}   # the 9 IOB2 tags
    for s in cess:
        assert all("_" not in w and not (w.startswith("*") and w.endswith("*")) for w, _ in s)
        assert all(t[2:] == p[2:] for (_, p), (_, t) in zip(s, s[1:]) if t.startswith("I-"))   # I- continues
    # "Celia_Villalobos" (np0000p) is one CESS token: a person of two words here
    assert any(s[i:i + 2] == [("Celia", "B-PER"), ("Villalobos", "I-PER")] for s in cess for i in range(len(s)))
    args = argparse.Namespace(extra_train="cess-esp-entities")
    assert _extra_train(args, corpora.load_conll2002("train", "esp")[:50], held) == cess


def test_drop_sentences_keeps_the_others_in_order_with_their_columns():
    sentences = [[("a", "X")], [("b", "F", "Y")], [("a", "X"), ("b", "Y")], [("a", "X")]]
    assert corpora.drop_sentences(sentences, [["b"], ["a", "c"]]) == [sentences[0], sentences[2], sentences[3]]


def test_fine_tuning_starts_from_every_weight_of_the_saved_tagger(tiny_tagger, small_train, treebank_dev, tmp_path):
    tiny_tagger.save(tmp_path / "start")
    tuned, _ = train_tagger(small_train[:10], None, train_config=STILL, init_from=tmp_path / "start", progress=False)
    assert tuned.config == tiny_tagger.config and tuned.vocab.to_dict() == tiny_tagger.vocab.to_dict()
    start = tiny_tagger.model.state_dict()
    for name, tensor in tuned.model.state_dict().items():
        assert torch.allclose(tensor, start[name], atol=1e-6), name
    sents = [[w for w, _ in s] for s in treebank_dev[:20]]
    assert tuned.tag_sents(sents) == tiny_tagger.tag_sents(sents)
    assert tuned.meta["init_from"] == str(tmp_path / "start")
    # and it trains: with a real rate the loss falls
    _, history = train_tagger(small_train[20:], None, train_config=TrainConfig(epochs=3, batch_size=10, lr=0.02),
                              init_from=tmp_path / "start", progress=False)
    assert history.epochs[-1]["loss"] < history.epochs[0]["loss"]


def test_fine_tuning_refuses_what_the_saved_tagger_cannot_read_or_label(tiny_tagger, tmp_path):
    tiny_tagger.save(tmp_path / "start")
    start = tmp_path / "start"
    with pytest.raises(ValueError, match="does not know the label.*ZZZ"):
        train_tagger([[("the", "DT"), ("blick", "ZZZ")]], None, train_config=STILL, init_from=start, progress=False)
    with pytest.raises(ValueError, match="reads 0 feature column.*has 1"):
        train_tagger([[("the", "DT", "DT")]], None, train_config=STILL, init_from=start, progress=False)
    with pytest.raises(ValueError, match="not both"):
        train_tagger([[("the", "DT")]], None, train_config=STILL, init_from=start, init_embeddings_from=start,
                     progress=False)


def test_cli_extra_train_then_init_from(tmp_path, capsys):
    extra = tmp_path / "extra.txt"
    extra.write_text("the/DT dog/NN barks/VBZ ./.\n")
    pre, tuned = tmp_path / "pre", tmp_path / "tuned"
    small = ["--max-train-sentences", "20", "--epochs", "1", "--quiet"]
    assert main(["train", *small, "--extra-train", str(extra), "--hidden", "8", "--word-dim", "8", "--char-out", "8",
                 "--word-vectors", "none", "--out", str(pre)]) == 0
    assert main(["train", *small, "--init-from", str(pre), "--out", str(tuned)]) == 0
    first, second = Tagger.load(pre), Tagger.load(tuned)
    assert second.config == first.config and second.vocab.to_dict() == first.vocab.to_dict()
    assert first.vocab.knows("barks") and second.meta["init_from"] == str(pre)
    capsys.readouterr()
    assert main(["train", *small, "--init-from", str(pre), "--hidden", "16", "--out", str(tmp_path / "x")]) == 2
    assert "drop --hidden" in capsys.readouterr().err
    extra.write_text("the/DT dog/XYZ\n")
    assert main(["train", *small, "--extra-train", str(extra), "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "never uses (XYZ)" in err and "Traceback" not in err


def test_extra_train_silver_is_refused_beside_another_tag_set():
    args = argparse.Namespace(extra_train="conll2000-pos")
    universal = corpora.load("treebank", "train", tagset="universal")[:50]
    with pytest.raises(ValueError, match="another tag set"):
        _extra_train(args, universal, [])
