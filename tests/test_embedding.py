import pytest
import torch

from corpora import EmbeddingConfig, TokenEmbedding, Vocab, encode_words
from corpora.embedding import CharCNN


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
    with pytest.raises(ValueError, match="char_kernel must be odd"):
        EmbeddingConfig(char_kernel=4)


@pytest.mark.parametrize("kernel", [1, 3, 5])
def test_char_cnn_equals_a_padded_convolution_and_its_gradient(kernel):
    """The characters laid end to end give what the definition gives: a zero-padded Conv1d over each
    word, ReLU, max over the word's characters (and zeros for a word of no characters)."""
    torch.manual_seed(0)
    cnn = CharCNN(30, EmbeddingConfig(char_dim=5, char_out=7, char_kernel=kernel))
    ids = torch.randint(1, 30, (9, 11))
    for row, length in enumerate([0, 1, 2, 11, 5, 3, 7, 1, 10]):
        ids[row, length:] = 0
    h = torch.relu(cnn.conv(cnn.chars(ids).transpose(1, 2))).masked_fill((ids == 0).unsqueeze(1), 0.0)
    expected = h.max(dim=2).values
    got = cnn(ids)
    assert torch.allclose(got, expected, atol=1e-6)
    weights = [cnn.conv.weight, cnn.conv.bias, cnn.chars.weight]
    g_expected = torch.autograd.grad((expected * torch.arange(7.0)).sum(), weights)
    g_got = torch.autograd.grad((got * torch.arange(7.0)).sum(), weights)
    for a, b in zip(g_got, g_expected):
        assert torch.allclose(a, b, atol=1e-5)
