"""Property-based tests (hypothesis): random inputs get a result or a documented exception
(TypeError, ValueError, ModelFileError), never another error, a hang or a silent wrong answer.

Every property runs at two sizes: a few cases in the default run, many under the ``slow`` marker
(``pytest -m slow``; ``.ci/run`` runs both), over 10,000 cases in all.
"""
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nltk import Tree

from corpora.trees import index_tree, parse_tree
from deeptrees import ModelFileError, TrainConfig
from tagger import Tagger
from treernn import TreeNet, TreeNetConfig, train_treenet

FEW, MANY = 40, 1800   # examples per property: default run / slow run (6 properties: 10,800)
SIZES = [FEW, pytest.param(MANY, marks=pytest.mark.slow)]


def run(n: int, strategy, check) -> None:
    """Check ``check(value)`` on ``n`` values drawn from ``strategy`` (all of them: the count is checked)."""
    calls = []

    def counted(value):
        calls.append(1)
        check(value)
    settings(max_examples=n, deadline=None, database=None, derandomize=True,
             suppress_health_check=list(HealthCheck))(given(strategy)(counted))()
    assert len(calls) >= n, f"only {len(calls)} of {n} cases ran"


tokens = st.one_of(st.text(max_size=12), st.integers(), st.none(), st.floats(), st.binary(max_size=4),
                   st.lists(st.text(max_size=3), max_size=2))
clean_words = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=15).filter(
    lambda w: w.split() == [w])


@pytest.mark.parametrize("n", SIZES)
def test_random_token_lists(tiny_tagger, n):
    def check(sent):
        try:
            tagged = tiny_tagger.tag(sent)
        except (TypeError, ValueError):
            return
        assert [w for w, _ in tagged] == list(sent) and all(t in tiny_tagger.tagset for _, t in tagged)
    run(n, st.one_of(st.lists(tokens, max_size=8), st.lists(clean_words, max_size=30), tokens), check)


@pytest.mark.parametrize("n", SIZES)
def test_random_unicode_text(tiny_tagger, n):
    def check(text):
        try:
            sents = tiny_tagger.tag_text(text)
        except (TypeError, ValueError):
            assert not isinstance(text, str)
            return
        assert all(t in tiny_tagger.tagset for s in sents for _, t in s)
        assert all(w.split() == [w] for s in sents for w, _ in s)
    run(n, st.one_of(st.text(max_size=200), st.binary(max_size=20), st.integers()), check)


@pytest.fixture(scope="module")
def tiny_treenet(tmp_path_factory):
    from corpora.trees import load_sst

    net, _ = train_treenet(load_sst("train")[:40], None, TreeNetConfig(hidden_size=8), TrainConfig(epochs=1),
                           out=tmp_path_factory.mktemp("treenet") / "m", progress=False, word_vectors=None)
    return net


def random_tree(rng: random.Random) -> str:
    nodes = [f"({rng.randint(0, 4)} {rng.choice(['a', 'good', '(', 'ünï', 'x' * 30])})"
             for _ in range(rng.randint(1, 12))]
    while len(nodes) > 1:
        i = rng.randrange(len(nodes) - 1)
        nodes[i: i + 2] = [f"({rng.choice('01234S_')} {nodes[i]} {nodes[i + 1]})"]
    return nodes[0]


brackets = st.one_of(st.text(alphabet="() ab2S\n\t", max_size=40), st.text(max_size=30),
                     st.randoms().map(random_tree), st.integers(), st.none())


@pytest.mark.parametrize("n", SIZES)
def test_random_bracket_strings(tiny_treenet, n):
    def check(text):
        try:
            tree = parse_tree(text)
        except (TypeError, ValueError):
            return
        assert isinstance(tree, Tree)
        predicted = tiny_treenet.predict(text)
        assert predicted.leaves() == index_tree(tree).words
        assert all(sub.label() in tiny_treenet.classes for sub in predicted.subtrees())
    run(n, brackets, check)


# -- damaged model folders ---------------------------------------------------------------------
def damage(folder: Path, how: str, rng: random.Random) -> str:
    """Damage one file of a saved folder in place; returns what was done."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    victim = rng.choice(files)
    data = victim.read_bytes()
    if how == "truncate":
        victim.write_bytes(data[: rng.randrange(len(data))])
    elif how == "flip":
        at = rng.randrange(len(data))
        victim.write_bytes(data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1:])
    elif how == "swap":
        other = rng.choice([f for f in files if f != victim] or files)
        victim.write_bytes(other.read_bytes())
        other.write_bytes(data)
    else:
        victim.unlink()
    return f"{how} {victim.name}"


def check_damaged(source: Path, part: str, load, probe, n: int, tmp_path: Path) -> None:
    """Damage one file under ``source/part`` at random; ``load`` must refuse it with ModelFileError or
    give something that ``probe`` cannot tell from the undamaged original."""
    expected = probe(load(source))
    counter = iter(range(10 ** 9))

    def check(args):
        how, seed = args
        folder = tmp_path / f"d{next(counter)}"
        shutil.copytree(source, folder)
        what = damage(folder / part, how, random.Random(seed))
        try:
            loaded = load(folder)
        except ModelFileError:
            return
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        assert probe(loaded) == expected, f"{what}: loaded and predicts differently"
    run(n, st.tuples(st.sampled_from(["truncate", "flip", "swap", "delete"]), st.integers(0, 2 ** 32)), check)


SENTS = [["The", "old", "man", "the", "boats", "."], ["Zürich", "rallied", "5", "%", "!"]]


@pytest.mark.parametrize("n", SIZES)
def test_damaged_tagger_folders(tiny_tagger, tmp_path, n):
    folder = tiny_tagger.save(tmp_path / "good")
    check_damaged(folder, ".", Tagger.load, lambda t: t.tag_sents(SENTS), n, tmp_path)


@pytest.mark.parametrize("n", SIZES)
def test_damaged_treenet_folders(tiny_treenet, tmp_path, n):
    folder = tiny_treenet.save(tmp_path / "good")
    check_damaged(folder, ".", TreeNet.load, lambda t: str(t.predict("(2 (2 a) (3 good))")), n, tmp_path)


@pytest.mark.parametrize("n", SIZES)
def test_damaged_checkpoints(tmp_path, n):
    from corpora.trees import load_sst
    from deeptrees.checkpoint import load_checkpoint

    run_dir = tmp_path / "run"
    train_treenet(load_sst("train")[:20], None, TreeNetConfig(hidden_size=4), TrainConfig(epochs=1), out=run_dir,
                  progress=False, word_vectors=None)

    def probe(ckpt):
        weights = sorted((k, v.tolist()) for k, v in ckpt.model.items())
        return weights, ckpt.state.step, ckpt.state.rng["python"], ckpt.recipe, ckpt.vocab.to_dict()

    check_damaged(run_dir, "checkpoint", lambda f: load_checkpoint(f, "treenet"), probe, n, tmp_path)
