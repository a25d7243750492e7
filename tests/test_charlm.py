"""Contextual vectors from character language models (corpora.charlm): learning, held-out text,
vectors that depend on the sentence, frozen inside a tagger and saved with it."""
from __future__ import annotations

import pytest
import torch

from corpora import EmbeddingConfig
from corpora.charlm import CharLM, char_lm_from, sentence_text
from deeptrees import TrainConfig

from conftest import tiny_tagger_config


@pytest.fixture(scope="module")
def lm(small_train):
    torch.manual_seed(0)
    text = [[w for w, _ in s] for s in small_train] * 4
    return CharLM.learn(text, hidden=24, epochs=6, seq_len=60, batch_size=16, lr=0.01, progress=False)


def test_sentence_text_marks_each_token():
    text, starts, ends = sentence_text(["Bank", "of", "Spain"])
    assert [text[s:e] for s, e in zip(starts, ends)] == ["Bank", "of", "Spain"]
    assert text[0] == text[-1] == "\n" and all(text[e] in " \n" for e in ends)


def test_learning_lowers_the_loss_and_freezes_the_model(lm):
    assert sum(lm.losses[-3:]) / 3 < 0.8 * lm.losses[0]
    assert not lm.training and not any(p.requires_grad for p in lm.parameters())


def test_a_word_gets_another_vector_in_another_sentence(lm):
    vectors = lm.embed([["the", "bank", "rose"], ["a", "river", "bank", "."]])
    assert vectors.shape == (2, 4, 48)
    assert not torch.allclose(vectors[0, 1], vectors[1, 2])
    assert torch.equal(vectors[0, 3], torch.zeros(48))                 # past the sentence's end
    alone = lm.embed([["the", "bank", "rose"]])                          # padding of a batch changes nothing
    assert torch.allclose(alone[0], vectors[0, :3], atol=1e-6)


def test_unknown_characters_share_one_id(lm):
    assert "ж" not in lm.chars and lm.char_ids("жa").tolist()[0] == 1
    assert lm.embed([["жжж"]]).isfinite().all()


def test_held_out_sentences_never_reach_the_text():
    import corpora

    with_dollar = [[w for w, _ in s] for s in corpora.load("treebank", "train") if any("$" in w for w, _ in s)]
    plain = char_lm_from("treebank", held_out=[], hidden=4, max_minutes=0.001, progress=False)
    kept = char_lm_from("treebank", held_out=with_dollar, hidden=4, max_minutes=0.001, progress=False)
    assert "$" in plain.chars
    # the training split's '$' sentences held out: only dev/test ones (a handful) could bring '$' back
    assert kept.chars != plain.chars
    assert char_lm_from("none") is None


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="too little text"):
        CharLM.learn([["a", "b"]], progress=False)
    with pytest.raises(TypeError, match="sentence 0"):
        CharLM.learn(["a plain string"], progress=False)
    with pytest.raises(ValueError, match="context_hidden"):
        EmbeddingConfig(context_hidden=8)


def test_tree_networks_refuse_contextual_vectors(small_train):
    from treernn import TreeNetConfig
    from treernn.model import RecursiveNet
    from treernn.train import vocab_for_trees
    from corpora.trees import parse_tree

    vocab = vocab_for_trees([parse_tree("(3 (2 a) (3 film))")])
    with pytest.raises(ValueError, match="contextual"):
        RecursiveNet(vocab, TreeNetConfig(embedding=EmbeddingConfig(context_hidden=4, context_chars="ab")))


def test_a_tagger_keeps_the_models_frozen_and_saves_them(lm, small_train, treebank_dev, tmp_path):
    from tagger import Tagger, train_tagger

    before = {k: v.clone() for k, v in lm.state_dict().items()}
    tagger, _ = train_tagger(small_train[:30], None, tiny_tagger_config(), TrainConfig(epochs=2, batch_size=10),
                             progress=False, word_vectors=None, char_lm=lm, out=tmp_path / "m")
    emb = tagger.model.embedding
    assert emb.output_dim == emb.cfg.word_dim + emb.cfg.char_out + emb.cfg.shape_dim + 48
    for key, value in emb.context.state_dict().items():
        assert torch.equal(value, before[key]), key                      # training never changed them
    sents = [[w for w, _ in s] for s in treebank_dev[:20]]
    again = Tagger.load(tmp_path / "m")
    assert again.model.embedding.cfg.context_chars == lm.chars
    assert again.tag_sents(sents) == tagger.tag_sents(sents)
