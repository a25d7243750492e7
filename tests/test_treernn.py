import json

import numpy as np
import pytest
import torch

from corpora import EmbeddingConfig
from corpora.trees import batch_trees, index_trees, load_sst, parse_tree
from deeptrees import TrainConfig
from treernn import TreeNet, TreeNetConfig, load, train_treenet
from treernn.reference import reference_logits
from treernn.train import vocab_for_trees

SMALL_EMB = EmbeddingConfig(word_dim=12, char_dim=6, char_out=8, shape_dim=3)
CELLS = ["rnn", "rntn", "treelstm"]


@pytest.fixture(scope="module")
def sst_small():
    return load_sst("train")[:60], load_sst("dev")[:30]


def random_tree(rng, n_words, words):
    nodes = [f"({rng.randint(0, 4)} {rng.choice(words)})" for _ in range(n_words)]
    while len(nodes) > 1:
        i = rng.randrange(len(nodes) - 1)
        nodes[i: i + 2] = [f"({rng.randint(0, 4)} {nodes[i]} {nodes[i + 1]})"]
    return parse_tree(nodes[0])


@pytest.mark.parametrize("cell", CELLS)
def test_level_batched_equals_per_node_reference(cell, sst_small):
    import random

    rng = random.Random(0)
    train, _ = sst_small
    torch.manual_seed(0)
    net = TreeNet.new(vocab_for_trees(train), TreeNetConfig(cell=cell, hidden_size=16, embedding=SMALL_EMB))
    trees = [random_tree(rng, rng.randint(1, 25), ["good", "bad", "film", "zzz"]) for _ in range(12)] + train[:8]
    batch = batch_trees(net.vocab, net.index(trees))
    net.model.eval()
    batched, ref = net.model(batch), reference_logits(net.model, batch)
    assert batched.shape == (batch.n_nodes, 5)
    assert torch.allclose(batched, ref, atol=1e-5)
    with torch.inference_mode():                        # leaves computed once per distinct word
        assert torch.allclose(net.model(batch), ref, atol=1e-5)
    one_by_one = [net.probabilities(net.index([t]))[0] for t in trees]   # batches grouped by height, given back in order
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(net.probabilities(net.index(trees)), one_by_one))
    assert torch.allclose(batched, reference_logits(net.model, batch, per_node_io=False), atol=1e-5)
    # gradients of the same loss agree too
    labels = torch.from_numpy(batch.labels)
    grads = []
    for fn in (net.model, lambda b: reference_logits(net.model, b)):
        net.model.zero_grad()
        torch.nn.functional.cross_entropy(fn(batch), labels, ignore_index=-100).backward()
        grads.append({n: p.grad.clone() for n, p in net.model.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys()
    for name in grads[0]:
        assert torch.allclose(grads[0][name], grads[1][name], atol=1e-5), name


@pytest.mark.parametrize("cell", CELLS)
def test_level_table_gradients_pass_gradcheck(cell, sst_small):
    """The level-by-level autograd operation (and the Tree-LSTM's written-out derivative) against
    finite differences, in double precision, on trees of one word and of many."""
    import random

    from treernn.cells import CELLS as CELL_TYPES
    from treernn.levels import node_table

    rng = random.Random(1)
    train, _ = sst_small
    vocab = vocab_for_trees(train)
    trees = [parse_tree("(2 good)")] + [random_tree(rng, rng.randint(2, 7), ["good", "bad", "film"]) for _ in range(3)]
    batch = batch_trees(vocab, index_trees(trees, vocab))
    torch.manual_seed(0)
    model = CELL_TYPES[cell](5, 3).double()
    leaves = model.leaf(torch.randn(len(batch.words.char_ids) - 1, 5, dtype=torch.double)).detach().requires_grad_()
    assert torch.autograd.gradcheck(lambda x, *w: node_table(model, x, batch), (leaves, *model.level_parameters()))
    only_leaves = batch_trees(vocab, index_trees(["(2 good)", "(3 film)"], vocab))
    x = leaves[:2].detach().requires_grad_()
    node_table(model, x, only_leaves).sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))


@pytest.mark.parametrize("cell", CELLS)
def test_few_steps_lower_the_loss(cell, sst_small):
    train, _ = sst_small
    cfg = TreeNetConfig(cell=cell, hidden_size=16, embedding=SMALL_EMB)
    _, hist = train_treenet(train, None, cfg, TrainConfig(epochs=5, batch_size=10, optimizer="adam", lr=0.01),
                            progress=False, word_vectors=None)
    assert hist.epochs[-1]["loss"] < 0.85 * hist.epochs[0]["loss"]


def test_save_load_predict_identically(sst_small, tmp_path):
    train, dev = sst_small
    net, _ = train_treenet(train, dev, TreeNetConfig(hidden_size=16, embedding=SMALL_EMB),
                           TrainConfig(epochs=2, batch_size=10), out=tmp_path / "m", progress=False, word_vectors=None)
    loaded = load(tmp_path / "m")
    a, b = net.predict_batch(dev), loaded.predict_batch(dev)
    assert [str(x) for x in a] == [str(y) for y in b]
    assert net.evaluate(dev) == loaded.evaluate(dev)
    meta = json.loads((tmp_path / "m" / "config.json").read_text())
    assert meta["kind"] == "treenet" and meta["config"]["model"]["cell"] == "treelstm"


def test_predict_returns_tree_with_probabilities(sst_small):
    train, _ = sst_small
    net = TreeNet.new(vocab_for_trees(train), TreeNetConfig(hidden_size=8, embedding=SMALL_EMB))
    tree = net.predict("(2 (2 a) (3 (3 good) (2 film)))")
    assert tree.label() in net.classes and tree.leaves() == ["a", "good", "film"]
    assert abs(sum(tree.probs.values()) - 1) < 1e-5 and max(tree.probs, key=tree.probs.get) == tree.label()
    assert all(hasattr(sub, "probs") for sub in tree.subtrees())
    nary = net.predict("(S (NP the old man) (VP the boats))")  # n-ary: binarised, not mis-read
    assert nary.leaves() == ["the", "old", "man", "the", "boats"] and len(nary) == 2
    deep = net.predict("(1 " * 2000 + "w" + " (2 x))" * 2000)
    assert deep.label() in net.classes


def test_bad_input_messages(sst_small):
    train, _ = sst_small
    net = TreeNet.new(vocab_for_trees(train), TreeNetConfig(hidden_size=8, embedding=SMALL_EMB))
    with pytest.raises(ValueError, match="never closed"):
        net.predict("(2 (2 a) (3 b)")
    with pytest.raises(ValueError, match="empty"):
        net.predict("")
    with pytest.raises(ValueError, match="no word"):
        net.predict("(2 (2 ) (3 b))")
    with pytest.raises(TypeError, match="nltk.Tree"):
        net.predict(3.5)
    with pytest.raises(ValueError, match="tree 1: label '9' at the root"):
        net.evaluate([train[0], "(9 (2 a) (2 b))"])
    with pytest.raises(ValueError, match="cell"):
        TreeNetConfig(cell="lstm")


def test_embeddings_start_from_a_trained_tagger(tiny_tagger, sst_small, tmp_path):
    tiny_tagger.save(tmp_path / "tagger")
    train, _ = sst_small
    net, _ = train_treenet(train, None, TreeNetConfig(hidden_size=8), TrainConfig(epochs=1, lr=1e-12),
                           init_embeddings_from=tmp_path / "tagger", progress=False, word_vectors=None)
    assert net.vocab.words.strings == tiny_tagger.vocab.words.strings
    assert net.config.embedding == tiny_tagger.config.embedding
    for name, w in tiny_tagger.model.embedding.state_dict().items():
        assert torch.allclose(net.model.embedding.state_dict()[name], w, atol=1e-6), name


def test_word_vectors_in_tree_nets_match_reference_and_round_trip(sst_small, tmp_path):
    from corpora import normalize
    from corpora.wordvectors import WordVectors

    train, dev = sst_small
    words = sorted({normalize(w) for t in train + dev for w in t.leaves()})
    vectors = WordVectors(words, np.random.default_rng(0).normal(size=(len(words), 5)))
    net, _ = train_treenet(train, None, TreeNetConfig(hidden_size=8, embedding=SMALL_EMB),
                           TrainConfig(epochs=1, batch_size=10), out=tmp_path / "m", progress=False, 
                           word_vectors=vectors)
    assert net.config.embedding.vector_dim == 5
    net.model.eval()
    batch = batch_trees(net.vocab, net.index(dev[:6]))
    assert torch.allclose(net.model(batch), reference_logits(net.model, batch), atol=1e-5)
    assert [str(x) for x in load(tmp_path / "m").predict_batch(dev)] == [str(x) for x in net.predict_batch(dev)]
    with pytest.raises(ValueError, match="not both"):
        train_treenet(train, None, word_vectors=vectors, init_embeddings_from=tmp_path / "m")


def test_ptb_phrase_labels_train(tmp_path):
    from corpora.trees import PTB_PHRASE_LABELS, load_ptb_trees

    train = load_ptb_trees("train")[:40]
    net, hist = train_treenet(train, load_ptb_trees("dev")[:20], TreeNetConfig(hidden_size=16, embedding=SMALL_EMB),
                              TrainConfig(epochs=3, batch_size=10, optimizer="adam", lr=0.01), select_on="all",
                              progress=False, word_vectors=None, classes=PTB_PHRASE_LABELS)
    assert "NP" in net.classes and "VP" in net.classes and "NN" not in net.classes
    assert net.evaluate(load_ptb_trees("dev")[:20]).binary_root is None
    assert hist.epochs[-1]["loss"] < hist.epochs[0]["loss"]


def test_cli_train_evaluate_predict(tmp_path, capsys):
    from treernn.cli import main

    out = tmp_path / "m"
    assert main(["train", "--corpus", "sst", "--max-train-trees", "40", "--epochs", "1", "--hidden", "8",
                 "--word-dim", "8", "--word-vectors", "sentence_polarity", "--vector-dim", "8", "--out", str(out),
                 "--quiet"]) == 0
    assert load(out).config.embedding.vector_dim == 8
    assert main(["evaluate", "--model", str(out), "--split", "dev"]) == 0
    assert "binary root" in capsys.readouterr().out
    assert main(["predict", "--model", str(out), "--probs", "(2 (2 a) (3 (3 good) (2 film)))"]) == 0
    printed = capsys.readouterr().out
    assert "good" in printed and "root:" in printed
    assert main(["predict", "--model", str(out), "(2 (2 a)"]) == 2
    assert "never closed" in capsys.readouterr().err


def test_a_tagger_starts_from_a_tree_nets_embedding(sst_small, treebank_train, tmp_path):
    from tagger import train_tagger

    train, _ = sst_small
    trees, _ = train_treenet(train, None, TreeNetConfig(hidden_size=8, embedding=SMALL_EMB), TrainConfig(epochs=1),
                             out=tmp_path / "trees", progress=False, word_vectors=None)
    tagger, _ = train_tagger(treebank_train[:20], None, train_config=TrainConfig(epochs=1, lr=1e-12),
                             init_embeddings_from=tmp_path / "trees", progress=False)
    assert tagger.vocab.words.strings == trees.vocab.words.strings and tagger.config.embedding == SMALL_EMB
    assert "NN" in tagger.tagset and "2" not in tagger.tagset
    for name, w in trees.model.embedding.state_dict().items():
        assert torch.allclose(tagger.model.embedding.state_dict()[name], w, atol=1e-6), name


def test_cli_prints_a_very_deep_tree_without_recursion(tmp_path, capsys):
    from treernn.cli import main

    net = TreeNet.new(vocab_for_trees(load_sst("dev")[:5]), TreeNetConfig(hidden_size=4, embedding=SMALL_EMB))
    net.save(tmp_path / "m")
    deep = "(1 " * 1500 + "w" + " (2 x))" * 1500
    assert main(["predict", "--model", str(tmp_path / "m"), deep]) == 0
    out = capsys.readouterr().out.strip()
    from corpora.trees import tree_words

    assert "\n" not in out and tree_words(parse_tree(out)) == ["w"] + ["x"] * 1500   # one bracketed line
    with pytest.raises(SystemExit):
        main(["train", "--max-train-trees", "0", "--out", str(tmp_path / "x")])
    assert "must be >= 1" in capsys.readouterr().err


def test_plain_sentences_and_token_lists_are_parsed_then_classified(sst_small, tmp_path, capsys):
    from treernn.cli import main
    from treernn.parser import load_default_parser

    train, _ = sst_small
    torch.manual_seed(0)
    net = TreeNet.new(vocab_for_trees(train), TreeNetConfig(hidden_size=8, embedding=SMALL_EMB))
    tokens = ["This", "film", "is", "a", "delight", "."]
    from_text = net.predict("This film is a delight.")
    assert from_text.leaves() == tokens and all(len(n) in (1, 2) for n in from_text.subtrees())
    assert set(from_text.probs) == set(net.classes)
    parsed = load_default_parser().parse(tokens)
    assert str(net.predict(tokens)) == str(from_text) == str(net.predict(parsed))   # text = tokens = their parse
    assert [t.leaves() for t in net.predict_batch(["(2 (2 a) (3 b))", "Not bad .", ["(", "Not", ")", "bad"]])] == \
        [["a", "b"], ["Not", "bad", "."], ["(", "Not", ")", "bad"]]
    with pytest.raises(ValueError, match="item 1 is empty"):
        net.predict_batch(["fine .", "   "])
    net.save(tmp_path / "m")
    assert main(["predict", "--model", str(tmp_path / "m"), "--text", "(Not) a delight ."]) == 0
    assert "delight" in capsys.readouterr().out
