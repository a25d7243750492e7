import pytest
import torch

from corpora import EmbeddingConfig, TokenEmbedding, Vocab, encode_words


@pytest.fixture
def vocab():
    return Vocab.build([["The", "cat", "sat", "on", "the", "mat", "."]])


def test_batch_has_one_char_row_per_distinct_word(vocab):
    b = encode_words(vocab, [["the", "cat", "the"], ["the"]])
    assert b.word_ids.shape == (2, 3) and b.lengths.tolist() == [3, 1]
    assert b.char_ids.shape[0] == 1 + 2  # padding type + "the" + "cat"
    assert b.type_index[0, 0] == b.type_index[0, 2] == b.type_index[1, 0]
    assert b.mask.tolist() == [[True, True, True], [True, False, False]]


@pytest.mark.parametrize("encoder", ["cnn", "lstm", "none"])
def test_embedding_shapes_and_padding(vocab, encoder):
    cfg = EmbeddingConfig(word_dim=10, char_dim=6, char_out=8, shape_dim=3, char_encoder=encoder)
    emb = TokenEmbedding(vocab, cfg).eval()
    b = encode_words(vocab, [["The", "cat", "🙂", "Zürich"], ["mat"]])
    out = emb(b)
    assert out.shape == (2, 4, emb.output_dim)
    assert emb.output_dim == 10 + 3 + (8 if encoder != "none" else 0)
    assert torch.all(out[1, 1:] == 0)  # padded positions carry nothing
    assert torch.isfinite(out).all()


def test_same_word_same_vector_in_any_context(vocab):
    emb = TokenEmbedding(vocab, EmbeddingConfig()).eval()
    a = emb(encode_words(vocab, [["the", "cat"]]))[0, 1]
    b = emb(encode_words(vocab, [["mat", "mat", "cat"]]))[0, 2]
    assert torch.allclose(a, b, atol=1e-6)


def test_word_dropout_only_in_training(vocab):
    emb = TokenEmbedding(vocab, EmbeddingConfig(word_dropout=1e6))  # drop (almost) every word
    b = encode_words(vocab, [["cat"] * 50])
    unk = emb.words.weight[vocab.words.unk_id]
    emb.train()
    assert torch.allclose(emb(b)[0, :, : emb.cfg.word_dim], unk.expand(50, -1))
    emb.eval()
    assert not torch.allclose(emb(b)[0, 0, : emb.cfg.word_dim], unk)


def test_bad_embedding_config():
    with pytest.raises(ValueError, match="char_encoder"):
        EmbeddingConfig(char_encoder="transformer")
    with pytest.raises(ValueError, match="word_dim"):
        EmbeddingConfig(word_dim=0)
