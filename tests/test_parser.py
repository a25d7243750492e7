"""The constituency parser: treebank cleaning, CKY against brute force, trees rebuilt from spans,
evalb-style scoring, training, save/load, bad input and the CLI."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk import Tree

from corpora.trees import EMPTY, clean_parse_tree, load_parse_trees, tree_spans
from deeptrees import TrainConfig
from treernn.chart import build_tree, cky
from treernn.parser import MAX_WORDS, Parser, ParserConfig, escaped, load_default_parser, train_parser
from treernn.parseval import brackets, score_parses
from tests.conftest import cli
from corpora.embedding import EmbeddingConfig


def test_treebank_trees_are_cleaned_as_parsers_expect():
    t = Tree.fromstring("( (S (NP-SBJ-1 (DT The) (NN cat)) (VP (VBD sat) (NP (-NONE- *T*-1))) (. .)) )")
    assert str(clean_parse_tree(t)) == "(S (NP (DT The) (NN cat)) (VP (VBD sat)) (. .))"
    words, tags, spans = tree_spans(Tree.fromstring("(S (VP (VB Go)) (. !))"))
    assert (words, tags, spans) == (["Go", "!"], ["VB", "."], {(0, 1): "VP", (0, 2): "S"})
    assert tree_spans(Tree.fromstring("(S (VP (VB go)))"))[2] == {(0, 1): "S+VP"}


def _bracketings(i: int, j: int):
    """Every binary bracketing of words i..j as a list of spans."""
    if j - i == 1:
        yield [(i, j)]
        return
    for k in range(i + 1, j):
        for left in _bracketings(i, k):
            for right in _bracketings(k, j):
                yield [(i, j)] + left + right


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(2, 4), st.integers(0, 10_000))
def test_cky_finds_the_best_bracketing_of_all(n, labels, seed):
    scores = np.random.default_rng(seed).normal(size=(n + 1, n + 1, labels)).astype(np.float32)

    def value(spans):
        return sum(scores[a, b, 1:].max() if (a, b) == (0, n) else scores[a, b].max() for a, b in spans)

    best = max(value(s) for s in _bracketings(0, n))
    score, spans = cky(scores)
    assert score == pytest.approx(best, abs=1e-4)
    assert len(spans) == 2 * n - 1 and spans[0][:2] == (0, n) and spans[0][2] != 0
    assert value([s[:2] for s in spans]) == pytest.approx(best, abs=1e-4)


def test_a_tree_comes_back_from_its_spans(treebank_dev_trees):
    for gold in treebank_dev_trees[:40]:
        words, tags, spans = tree_spans(gold)
        names = [EMPTY] + sorted(set(spans.values()))
        n = len(words)
        scores = np.zeros((n + 1, n + 1, len(names)), np.float32)
        scores[..., 0] = 0.1                                # any other span: better empty than labelled
        for (a, b), label in spans.items():
            scores[a, b, names.index(label)] = 5.0
        _, best = cky(scores)
        assert build_tree(words, tags, best, names) == gold


def test_evalb_conventions():
    gold = Tree.fromstring("(S (NP (PRP He)) (VP (VBD gave) (PRT (RP up))) (. .))")
    assert score_parses([gold], [gold]).f1 == 1.0
    assert brackets(gold) == {("NP", 0, 1): 1, ("ADVP", 2, 3): 1, ("VP", 1, 3): 1, ("S", 0, 3): 1}   # '.' ignored
    flat = Tree.fromstring("(S (PRP He) (VBD gave) (RP up) (. .))")
    s = score_parses([gold], [flat])
    assert (s.matched, s.gold, s.predicted) == (1, 4, 1) and s.tag_accuracy == 1.0
    with pytest.raises(ValueError, match="words differ"):
        score_parses([gold], [Tree.fromstring("(S (NN She) (VBD gave) (RP up) (. .))")])


@pytest.fixture(scope="session")
def treebank_dev_trees():
    return load_parse_trees("dev")


@pytest.fixture(scope="session")
def tiny_parser(treebank_dev_trees):
    config = ParserConfig(hidden_size=32, span_hidden=32, embedding=EmbeddingConfig(word_dim=16, char_dim=8, char_out=16))
    parser, history = train_parser(load_parse_trees("train")[:80], treebank_dev_trees[:20], config,
                                   TrainConfig(epochs=4, batch_size=16, lr=0.01), progress=False, word_vectors=None)
    return parser, history


def test_training_lowers_the_loss(tiny_parser):
    losses = [e["loss"] for e in tiny_parser[1].epochs]
    assert losses[-1] < 0.8 * losses[0]


def test_a_parser_learns_its_training_trees(treebank_dev_trees):
    trees = [t for t in load_parse_trees("train") if len(tree_spans(t)[0]) <= 12][:12]
    config = ParserConfig(hidden_size=48, span_hidden=48, dropout=0.0,
                          embedding=EmbeddingConfig(word_dim=24, char_dim=8, char_out=16, word_dropout=0.0))
    parser, _ = train_parser(trees, None, config, TrainConfig(epochs=60, batch_size=4, lr=0.01), progress=False,
                             word_vectors=None)
    assert parser.evaluate(trees).f1 > 0.9      # spans scored against "empty", so labelled spans win in CKY


def test_leaves_are_the_input_tokens_and_a_saved_parser_parses_the_same(tiny_parser, treebank_dev_trees, tmp_path):
    parser = tiny_parser[0]
    sents = [tree_spans(t)[0] for t in treebank_dev_trees[:30]] + [["He", "said", "(", "quietly", ")", "[", "no", "]"]]
    trees = parser.parse_sents(sents)
    assert [t.leaves() for t in trees] == sents
    assert all(len(t) == 1 and isinstance(t[0], str) for tree in trees for t in tree.subtrees(lambda s: s.height() == 2))
    parser.save(tmp_path / "p")
    assert Parser.load(tmp_path / "p").parse_sents(sents) == trees
    assert Tree.fromstring(str(escaped(trees[-1]))).leaves() == ["He", "said", "-LRB-", "quietly", "-RRB-", "-LSB-",
                                                                "no", "-RSB-"]


def test_bad_input_gets_a_clear_error_or_a_parse(tiny_parser):
    parser = tiny_parser[0]
    with pytest.raises(ValueError, match="empty"):
        parser.parse([])
    with pytest.raises(TypeError, match="not a list of tokens"):
        parser.parse("a sentence")
    with pytest.raises(ValueError, match=f"up to {MAX_WORDS}"):
        parser.parse(["word"] * (MAX_WORDS + 1))
    assert parser.parse([".", ",", "!"]).leaves() == [".", ",", "!"]
    long = parser.parse(["the", "dog", "barked", ","] * 125)           # 500 tokens
    assert len(long.leaves()) == 500
    assert parser.parse_text("") == [] and len(parser.parse_text("It works. It really does.")) == 2


def test_parse_cli_prints_one_bracketed_tree_a_line(tiny_parser, tmp_path):
    tiny_parser[0].save(tmp_path / "p")
    done = cli("treernn", "parse", "--model", str(tmp_path / "p"), stdin="The cat (a big one) sat .\n\nIt rained .\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert Tree.fromstring(lines[0]).leaves() == ["The", "cat", "-LRB-", "a", "big", "one", "-RRB-", "sat", "."]
    bad = cli("treernn", "parse", "--model", str(tmp_path / "missing"), stdin="x\n")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_the_shipped_parser_parses_plain_sentences(treebank_dev_trees):
    parser = load_default_parser()            # stored as float16, loaded into the float32 network
    tokens = "The old man saw a dog ( a big one ) .".split()
    assert parser.parse(tokens).leaves() == tokens
    assert parser.evaluate(treebank_dev_trees[:40]).f1 > 0.8
    done = cli("treernn", "parse", "It", "works", ".")
    assert done.returncode == 0, done.stderr
    assert Tree.fromstring(done.stdout).leaves() == ["It", "works", "."]


def test_cli_trains_and_evaluates_a_parser(tmp_path, capsys):
    from treernn.cli import main

    out = tmp_path / "p"
    assert main(["train-parser", "--max-train-trees", "30", "--epochs", "1", "--hidden", "16", "--span-hidden", "16",
                 "--word-dim", "8", "--char-out", "8", "--word-vectors", "none", "--out", str(out), "--quiet"]) == 0
    assert "best dev F1" in capsys.readouterr().out
    assert Parser.load(out).config.hidden_size == 16
    assert main(["evaluate-parser", "--model", str(out), "--split", "dev"]) == 0
    assert "labelled brackets" in capsys.readouterr().out
    assert main(["train-parser", "--out", str(out), "--epochs", "1"]) == 2          # refuses to replace a model
    assert "already holds a model" in capsys.readouterr().err
