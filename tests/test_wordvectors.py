import numpy as np
import pytest
import torch

import corpora
from corpora import EmbeddingConfig, TokenEmbedding, Vocab, encode_words
from deeptrees import TrainConfig
from corpora.wordvectors import WordVectors, word_vectors_from


@pytest.fixture(scope="module")
def conll_vectors():
    """Vectors learned from the raw text of CoNLL-2000 (WSJ, ~260k tokens): a few seconds."""
    return WordVectors.from_corpora(["conll2000"], dim=32)


def cosine(v: WordVectors, a: str, b: str) -> float:
    x, y = v[a], v[b]
    return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))


def test_learned_vectors_group_words_by_use(conll_vectors):
    v = conll_vectors
    assert v.dim == 32 and len(v) > 5000 and "Monday" in v
    # weekdays sit with weekdays, verbs with verbs, determiners with determiners
    assert cosine(v, "monday", "friday") > cosine(v, "monday", "company") + 0.3
    assert cosine(v, "said", "says") > cosine(v, "said", "stocks") + 0.3
    assert cosine(v, "the", "a") > cosine(v, "the", "investors") + 0.3
    assert v.nearest("1987", 3) and "1987" not in v.nearest("1987", 3)


def test_learning_is_deterministic():
    text = corpora.load("treebank", "dev")
    a = WordVectors.learn([[w for w, _ in s] for s in text], dim=8)
    b = WordVectors.learn([[w for w, _ in s] for s in text], dim=8)
    assert a.words == b.words and np.allclose(a.vectors, b.vectors)


def test_read_glove_and_word2vec_text(tmp_path):
    p = tmp_path / "vec.txt"
    p.write_text("3 2\nThe 1 0\nthe 5 5\ncat 0 1\nYear-1987 0.5 0.5\n")
    v = WordVectors.load_text(p)
    assert v.words == ["the", "cat", "year-0000"]          # normalised, first of a duplicate wins
    assert v["THE"].tolist() == [1.0, 0.0] and v.dim == 2
    assert WordVectors.load_text(p, max_words=1).words == ["the"]
    p.write_text("the 1 0\ncat 0 1 2\n")
    with pytest.raises(ValueError, match="line 2"):
        WordVectors.load_text(p)
    p.write_text("the 1 x\n")
    with pytest.raises(ValueError, match="line 1"):
        WordVectors.load_text(p)


def test_word_vector_specs(tmp_path):
    assert word_vectors_from("none") is None
    glove = tmp_path / "glove.small.txt"
    glove.write_text("the 1 0 0\ncat 0 1 0\n")
    assert word_vectors_from(str(glove)).words == ["the", "cat"]
    with pytest.raises(FileNotFoundError, match="glove.txt"):
        word_vectors_from(str(tmp_path / "glove.txt"))
    with pytest.raises(corpora.ResourceNotFound, match="nltk.downloader no_such_corpus"):
        word_vectors_from("no_such_corpus")
    with pytest.raises(TypeError, match="sentence 1 holds a int"):
        WordVectors.learn([["a", "b"], ["c", 7]])
    with pytest.raises(ValueError, match="too little text"):
        WordVectors.learn([["a", "b", "a", "b"]], dim=8)
    with pytest.raises(ValueError, match="NaN"):
        WordVectors(["a"], np.array([[np.nan]]))


def vocab_with_vectors():
    vectors = WordVectors(["cat", "dog", "zebra"], np.array([[1, 0], [0, 1], [1, 1]], dtype=np.float32))
    return Vocab.build([["the", "cat"]], vector_words=vectors.words), vectors


def test_vocab_and_batch_carry_vector_rows(tmp_path):
    vocab, _ = vocab_with_vectors()
    b = encode_words(vocab, [["The", "cat", "Zebra", "emu"]])
    assert b.vector_ids.tolist() == [[1, 2, 4, 1]]           # <unk> row (1) for words without a vector
    assert b.word_ids[0, 2] == vocab.words.unk_id            # zebra has a vector but no trained word embedding
    assert Vocab.from_dict(vocab.to_dict()).to_dict() == vocab.to_dict()


def test_frozen_vectors_reach_unseen_words_and_get_no_gradient():
    vocab, vectors = vocab_with_vectors()
    emb = TokenEmbedding(vocab, EmbeddingConfig(char_encoder="none", word_dim=3, shape_dim=2,
                                                vector_dim=2)).eval()
    assert emb.load_vectors(vectors) == 3
    out = emb(encode_words(vocab, [["dog", "zebra", "emu"]]))[0]
    assert out[:, -2:].tolist() == [[0, 1], [1, 1], [0, 0]]
    assert torch.equal(out[1, :3], out[2, :3])                # both unseen in training: the same <unk> vector
    assert all(p is not emb.vectors for p in emb.parameters())
    with pytest.raises(ValueError, match="vector_words"):
        TokenEmbedding(Vocab.build([["a"]]), EmbeddingConfig(vector_dim=2))
    with pytest.raises(ValueError, match="2"):
        TokenEmbedding(vocab, EmbeddingConfig(vector_dim=4)).load_vectors(vectors)


def test_tagger_with_vectors_saves_and_tags_identically(small_train, tmp_path):
    from tagger import Tagger, train_tagger
    from tests.conftest import tiny_tagger_config

    words = sorted({corpora.normalize(w) for s in small_train for w, _ in s} | {"zorgian"})
    rng = np.random.default_rng(0)
    vectors = WordVectors(words, rng.normal(size=(len(words), 6)))
    tagger, _ = train_tagger(small_train, None, tiny_tagger_config(), TrainConfig(epochs=1, batch_size=10),
                             progress=False, word_vectors=vectors)
    assert tagger.config.embedding.vector_dim == 6
    tagger.save(tmp_path / "m")
    loaded = Tagger.load(tmp_path / "m")
    assert torch.equal(loaded.model.embedding.vectors, tagger.model.embedding.vectors)
    sents = [[w for w, _ in s] for s in small_train[:20]] + [["The", "zorgian", "rally", "."]]
    assert loaded.tag_sents(sents) == tagger.tag_sents(sents)


def test_a_word_only_in_the_test_split_never_reaches_the_vectors_or_vocabulary(tmp_path):
    from collections import Counter

    from tagger import Tagger, train_tagger
    from tests.conftest import tiny_tagger_config

    train, dev, test = (corpora.load("treebank", s) for s in ("train", "dev", "test"))
    seen = Counter(corpora.normalize(w) for s in train + dev for w, _ in s)
    test_words = [[w for w, _ in s] for s in test]
    in_test = Counter(corpora.normalize(w) for s in test_words for w in s if w.isalpha())
    only_test = {w for w, c in in_test.items() if c >= 2} - set(seen)    # enough to get a vector
    # the treebank's raw text holds every split: held out, the test sentences' words must vanish
    everything = WordVectors.from_corpora(["treebank"], dim=8)
    assert len(only_test & set(everything.words)) > 20
    tagger, _ = train_tagger(train[:200], dev[:20], tiny_tagger_config(), TrainConfig(epochs=1, batch_size=50),
                             out=tmp_path / "m", progress=False, word_vectors="treebank", vector_dim=8,
                             held_out=test_words)
    saved = Tagger.load(tmp_path / "m").vocab
    assert not only_test & set(saved.vector_words.strings) and not only_test & set(saved.words.strings)
    assert len(saved.vector_words) > 1000
