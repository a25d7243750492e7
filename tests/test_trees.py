import numpy as np
import pytest
from nltk import Tree

from corpora.batch import length_batches
from corpora.trees import (IGNORE, NO_LABEL, batch_trees, binarize, clean_ptb_tree, index_tree, index_trees,
                           load_ptb_trees, load_sst, nodes_postorder, parse_tree, phrase_category, tree_batches)
from corpora.vocab import Vocab


def test_parse_sst_style_tree():
    t = parse_tree("(3 (2 a) (4 (4 good) (2 film)))")
    assert t.label() == "3" and t[1][0] == Tree("4", ["good"])


@pytest.mark.parametrize("text,pattern", [
    ("", "empty tree string"),
    ("   ", "empty tree string"),
    ("(2 (2 a) (3 b)", r"'\(' at position 0 is never closed"),
    ("(2 (2 a) (3 b)))", r"'\)' at position 15 closes nothing"),
    ("(2 (2 ) (3 b))", r"node '2' at position 3 has no word or children"),
    ("(2 (2 a) ())", "position 9 has no label"),
    ("(2 (2 a) ( b))", "node .b. at position 9 has no word"),
    ("word (2 a)", "'word' at position 0 is outside"),
    ("(2 a) (3 b)", "after the end of the tree at position 6"),
])
def test_bad_brackets_quote_part_and_position(text, pattern):
    with pytest.raises(ValueError, match=pattern):
        parse_tree(text)


def test_non_tree_objects_are_type_errors():
    with pytest.raises(TypeError, match="nltk.Tree or a bracketed"):
        index_tree(["not", "a", "tree"])
    with pytest.raises(TypeError):
        parse_tree(42)


def test_binarize_nary_unary_and_bare_words():
    t = binarize(parse_tree("(S (NP the old man) (VP (V boats)) (. .))"))
    nodes = nodes_postorder(t)
    assert all(len(n) == 2 or (len(n) == 1 and isinstance(n[0], str)) for n in nodes)
    assert [n[0] for n in nodes if len(n) == 1] == ["the", "old", "man", "boats", "."]
    assert t[1].label() == NO_LABEL                      # added by right-factoring
    assert Tree("VP", ["boats"]) in [t[1][0]]            # unary VP -> V collapsed, top label kept


def test_ptb_cleaning():
    raw = Tree.fromstring("(S (NP-SBJ-1 (-NONE- *T*)) (NP-SBJ (PRP It)) (VP (VBD rose) (NP-TMP (NN yesterday))) (. .))")
    t = clean_ptb_tree(raw)
    assert [n[0] for n in nodes_postorder(t) if len(n) == 1] == ["It", "rose", "yesterday", "."]
    labels = {n.label() for n in nodes_postorder(t)}
    assert "NP" in labels and not any("-" in lab for lab in labels if lab != NO_LABEL)
    assert phrase_category("PP-LOC=2") == "PP" and phrase_category("-LRB-") == "-LRB-"


def test_ptb_trees_split():
    dev = load_ptb_trees("dev")
    assert len(dev) == 273
    assert all(n.label() != "-NONE-" for t in dev for n in nodes_postorder(t))


def test_sst_files():
    dev = load_sst("dev")
    assert len(dev) == 1101 and dev[0].label() in "01234"
    with pytest.raises(FileNotFoundError, match="trainDevTestTrees_PTB.zip"):
        load_sst("dev", directory="/nonexistent")
    with pytest.raises(ValueError, match="unknown SST split"):
        load_sst("valid")


def test_index_and_batch_levels():
    vocab = Vocab.build([["a", "good", "film"]], [["0", "1", "2", "3", "4"]])
    a = index_tree("(3 (2 a) (4 (4 good) (2 film)))", vocab)
    assert a.words == ["a", "good", "film"] and a.height.tolist() == [0, 0, 0, 1, 2]
    assert a.labels[-1] == vocab.labels.index("3")
    b = index_tree("(1 (1 bad) (2 film))", vocab)
    batch = batch_trees(vocab, [a, b])
    assert batch.n_nodes == 8 and batch.roots.tolist() == [4, 7]
    assert [lv[0].tolist() for lv in batch.levels] == [[3, 7], [4]]
    assert batch.words.word_ids.shape == (1, 5)
    with pytest.raises(ValueError, match="label '7' at the root"):
        index_tree("(7 (2 a) (2 film))", vocab)
    assert index_tree("(7 (2 a) (2 film))", vocab, check_labels=False).labels[-1] == IGNORE


def test_tree_batches_group_by_height_and_hold_every_tree_once():
    trees = index_trees(load_sst("dev")[:400])
    heights = [int(t.height[-1]) for t in trees]
    for shuffle in (False, True):
        batches = list(tree_batches(trees, 50, shuffle=shuffle))
        assert sorted(i for b in batches for i in b) == list(range(len(trees)))
        assert all(len(b) <= 50 for b in batches)
        # a batch runs one level per unit of its tallest tree: fewer than batches grouped by size
        levels = sum(max(heights[i] for i in b) for b in batches)
        by_size = sum(max(heights[i] for i in b) for b in length_batches([len(t) for t in trees], 50, shuffle, None))
        assert levels < 0.85 * by_size
        if not shuffle:                                      # in height order: no two batches overlap in height
            assert all(max(heights[i] for i in a) <= min(heights[i] for i in b) for a, b in zip(batches, batches[1:]))


def test_index_binarises_only_trees_that_need_it():
    binary = parse_tree("(3 (2 a) (4 (4 good) (2 film)))")
    assert index_tree(binary).tree is binary                  # used as it is, not copied
    nary = parse_tree("(S (NP the old man) (VP (V boats)))")
    before = str(nary)
    indexed = index_tree(nary)
    assert str(indexed.tree) == str(binarize(nary)) and str(nary) == before   # input left unchanged
    assert indexed.words == ["the", "old", "man", "boats"] and len(indexed) == 7


def test_deep_tree_no_recursion_limit():
    depth = 2000
    text = "(1 " * depth + "w" + " (2 x))" * depth
    t = parse_tree(text)
    vocab = Vocab.build([["w", "x"]], [["1", "2"]])
    idx = index_tree(t, vocab)
    assert idx.height.max() == depth and len(idx.words) == depth + 1
    assert np.all(idx.labels[idx.left >= 0] == vocab.labels.index("1"))
