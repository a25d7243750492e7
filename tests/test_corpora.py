import json

import nltk
import pytest

import corpora
from corpora.batch import encode_words
from corpora.vocab import Vocab, normalize


@pytest.mark.parametrize("split,sents,tokens", [("train", 3396, 81793), ("dev", 273, 6327), ("test", 245, 5964)])
def test_treebank_split_sizes(split, sents, tokens):
    data = corpora.load("treebank", split)
    assert len(data) == sents
    assert sum(len(s) for s in data) == tokens
    assert all(t != "-NONE-" for s in data for _, t in s)


def test_treebank_split_files_are_disjoint_and_ordered():
    train, dev, test = (corpora.treebank_fileids(s) for s in ("train", "dev", "test"))
    assert train[0] == "wsj_0001.mrg" and train[-1] == "wsj_0159.mrg"
    assert dev[0] == "wsj_0160.mrg" and test[-1] == "wsj_0199.mrg"
    assert not set(train) & set(dev) and not set(dev) & set(test)


def test_treebank_universal_tags():
    data = corpora.load("treebank", "dev", tagset="universal")
    tags = {t for s in data for _, t in s}
    assert tags <= {"NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", ".", "X"}
    assert len(data) == 273 and sum(len(s) for s in data) == 6327


def test_conll2000_split():
    dev = corpora.load("conll2000", "dev")
    assert len(dev) == 1000
    assert len(corpora.load_conll2000_triples("test")) == 2012
    assert len(corpora.load("conll2000", "train")) == 8936 - 1000
    word, pos, chunk = corpora.load_conll2000_triples("test")[0][0]
    assert chunk[:2] in ("B-", "I-") or chunk == "O"
    assert corpora.load("conll2000", "dev", column="pos")[0][0][1] == corpora.load_conll2000_triples("dev")[0][0][1]


def test_brown_split_protocol():
    dev = corpora.load("brown", "dev")
    from nltk.corpus import brown
    assert dev[0] == list(brown.tagged_sents(tagset="universal")[8])
    assert len(dev) == len(range(8, 57340, 10))


def test_bad_corpus_and_split_names():
    with pytest.raises(ValueError, match="unknown corpus 'penn'"):
        corpora.load("penn")
    with pytest.raises(ValueError, match="unknown split 'valid'"):
        corpora.load("treebank", "valid")
    with pytest.raises(ValueError, match="tagset"):
        corpora.load("treebank", "dev", tagset="brown")


def test_missing_corpus_names_resource_and_command(monkeypatch, tmp_path):
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    with pytest.raises(corpora.ResourceNotFound) as err:
        corpora.load("treebank", "dev")
    assert "corpora/treebank" in str(err.value)
    assert "python -m nltk.downloader treebank" in str(err.value)
    assert isinstance(err.value, LookupError)


def test_vocab_build_normalises_and_round_trips(tmp_path):
    v = Vocab.build([["The", "cat", "sat", "1987"], ["the", "dog"]], [["DT", "NN", "VBD", "CD"], ["DT", "NN"]])
    assert normalize("Year-1987") == "year-0000"
    assert v.word_id("THE") == v.word_id("the") != v.words.unk_id
    assert v.word_id("1988") == v.word_id("1987")
    assert v.word_id("zebra") == v.words.unk_id
    assert v.word_counts[v.word_id("the")] == 2
    assert v.labels.strings == ["CD", "DT", "NN", "VBD"]
    w = Vocab.from_dict(json.loads(json.dumps(v.to_dict())))
    assert w.to_dict() == v.to_dict() and w.word_id("The") == v.word_id("the")


def test_words_spelled_like_padding_are_words(tiny_tagger):
    """Found by the fuzz test: a one-token sentence '<PAD>' came back untagged, read as padding."""
    v = Vocab.build([["the", "cat"]], [["DT", "NN"]])
    batch = encode_words(v, [["<PAD>", "<pad>"], ["cat"]])
    assert batch.mask.tolist() == [[True, True], [True, False]]
    assert batch.word_ids[0].tolist() == [v.words.unk_id] * 2
    for sent in (["<PAD>"], ["<pad>", "<unk>", "x"]):
        assert [w for w, _ in tiny_tagger.tag(sent)] == sent


def test_vocab_min_count_cuts_rare_words():
    v = Vocab.build([["a", "a", "b"]], min_count=2)
    assert v.knows("a") and not v.knows("b")


@pytest.mark.parametrize("version", [99, "1", True, 2.0])
def test_vocab_rejects_unknown_formats(version):
    d = {"format_version": version, "words": ["<pad>", "<unk>"], "word_counts": [0, 0], "chars": ["<pad>", "<unk>"],
         "labels": []}
    with pytest.raises(ValueError, match="vocabulary format"):
        Vocab.from_dict(d)


def test_length_batches_cover_every_item_once_with_little_padding():
    lengths = [5, 50, 6, 49, 7, 48, 5, 51]
    batches = list(corpora.length_batches(lengths, 2, shuffle=True))
    assert sorted(i for b in batches for i in b) == list(range(8))
    assert all(max(lengths[i] for i in b) - min(lengths[i] for i in b) <= 4 for b in batches)
    with pytest.raises(ValueError):
        list(corpora.length_batches(lengths, 0))


def test_text_tokenizer_needs_no_data():
    sents = corpora.tokenize_text("Mr. Smith didn't go. He stayed home!\nNew line here")
    assert sents == [["Mr.", "Smith", "did", "n't", "go", "."], ["He", "stayed", "home", "!"], ["New", "line", "here"]]
