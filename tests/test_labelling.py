"""Labelling beyond POS: a CRF chunker with POS features, probabilities, n-best, span F1, file formats."""
import math

import pytest
import torch

import corpora
from corpora.readers import read_columns, read_conllu, read_tagged
from deeptrees import TrainConfig
from tagger import Tagger, TaggerConfig, evaluate, train_tagger
from tests.conftest import tagger_cli, tiny_tagger_config


@pytest.fixture(scope="module")
def chunk_data():
    return corpora.load("conll2000", "train", pos_feature=True)[:200], corpora.load("conll2000", "dev",
                                                                                    pos_feature=True)[:60]


@pytest.fixture(scope="module")
def chunker(chunk_data):
    train, dev = chunk_data
    tagger, hist = train_tagger(train, dev, tiny_tagger_config(output="crf"), TrainConfig(epochs=8, batch_size=10,
                                lr=0.01), progress=False, word_vectors=None)
    return tagger, hist


def valid_chunks(tags: list[str]) -> bool:
    prev = "O"
    for tag in tags:
        if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
            return False
        prev = tag
    return True


def test_crf_chunker_learns_and_never_outputs_an_invalid_sequence(chunker, chunk_data):
    tagger, hist = chunker
    _, dev = chunk_data
    assert hist.epochs[-1]["loss"] < 0.6 * hist.epochs[0]["loss"] and tagger.n_features == 1
    tokens = [[(w, p) for w, p, _ in s] for s in dev]
    tagged = tagger.tag_sents(tokens)
    assert [t[:2] for s in tagged for t in s] == [t for s in tokens for t in s]      # (word, POS, chunk)
    assert all(valid_chunks([t[-1] for t in s]) for s in tagged)
    result = evaluate(tagger.tag_sents, dev, tagger.vocab.knows)
    from seqeval.metrics import f1_score

    assert result.spans()[2] == pytest.approx(f1_score([[c for *_, c in s] for s in dev],
                                                       [[t[-1] for t in s] for s in tagged]))
    assert result.spans()[2] > 0.5 and "chunks: precision" in result.summary() and "NP" in result.report()
    # chunk models are selected on dev span F1: the kept (best) model's dev F1 is the best epoch's
    assert tagger.meta["dev_f1"] == round(result.spans()[2], 5) == round(max(r["dev"] for r in hist.epochs), 5)


def test_softmax_chunker_decodes_the_likeliest_valid_sequence(chunk_data):
    """A softmax reads chunk tags as the valid sequence of highest probability (brute force over every
    sequence of short sentences), not the argmax at each token, which can put I-NP after O."""
    import itertools

    train, dev = chunk_data
    tagger, _ = train_tagger(train, dev, tiny_tagger_config(), TrainConfig(epochs=2, batch_size=10, lr=0.01),
                             progress=False, word_vectors=None)
    assert not any(k.startswith("free_paths") for k in tagger.model.state_dict())     # nothing new is saved
    sents = [[(w, p) for w, p, _ in s] for s in dev]
    tagged = tagger.tag_sents(sents)
    labels = tagger.tagset
    argmax_invalid = 0
    valid = [seq for seq in itertools.product(range(len(labels)), repeat=3) if valid_chunks([labels[i] for i in seq])]
    with torch.inference_mode():
        for sent, out in zip(sents, tagged):
            tags = [t[-1] for t in out]
            assert valid_chunks(tags)
            log_p = tagger.model(corpora.encode_words(tagger.vocab, [[w for w, _ in sent]], [[(p,) for _, p in sent]])
                                 ).log_softmax(-1)[0]
            argmax_invalid += not valid_chunks([labels[i] for i in log_p.argmax(-1).tolist()])
            for start in range(0, len(sent) - 2, 7):      # windows of 3 tokens, scored on their own
                piece = sent[start:start + 3]
                lp = tagger.model(corpora.encode_words(tagger.vocab, [[w for w, _ in piece]],
                                                       [[(p,) for _, p in piece]])).log_softmax(-1)[0].tolist()
                best = max(valid, key=lambda seq: sum(lp[t][i] for t, i in enumerate(seq)))
                assert [t[-1] for t in tagger.tag(piece)] == [labels[i] for i in best]
    assert argmax_invalid > 0       # the test means something: the argmax alone would be invalid somewhere
    assert tagger.nbest(sents[0][:6], 3)[0][0] == [t[-1] for t in tagger.tag(sents[0][:6])]


@pytest.mark.parametrize("which", ["softmax", "crf"])
def test_probabilities_and_nbest(which, chunker, tiny_tagger, chunk_data, treebank_dev):
    tagger = chunker[0] if which == "crf" else tiny_tagger
    sents = [[(w, p) for w, p, _ in s] for s in chunk_data[1][:8]] if which == "crf" else \
        [[w for w, _ in s] for s in treebank_dev[:8]]
    plain = tagger.tag_sents(sents)
    with_probs = tagger.tag_sents(sents, probs=True)
    assert [[t[:-1] for t in s] for s in with_probs] == plain                  # the same tags
    assert all(0 < t[-1] <= 1 for s in with_probs for t in s)
    for sent, tagged in zip(sents[:4], plain):
        best = tagger.nbest(sent, 4)
        assert best[0][0] == [t[-1] for t in tagged] and len(best) == 4
        scores = [s for _, s in best]
        assert scores == sorted(scores, reverse=True) and all(s <= 1e-6 for s in scores)
        assert sum(math.exp(s) for s in scores) <= 1 + 1e-5 and len({tuple(t) for t, _ in best}) == 4
    one = sents[0][:1]
    assert len(tagger.nbest(one, 1000)) <= len(tagger.tagset)                  # no more paths than exist
    if which == "softmax":   # a softmax tagger's probability is the largest at each token
        logits = tagger.model(corpora.encode_words(tagger.vocab, [sents[0]])).softmax(-1)[0]
        assert [t[-1] for t in with_probs[0]] == pytest.approx(logits.max(-1).values.tolist(), abs=1e-5)


def test_crf_tagger_saves_and_loads_identically(chunker, chunk_data, tmp_path):
    tagger, _ = chunker
    tagger.save(tmp_path / "m")
    loaded = Tagger.load(tmp_path / "m")
    sents = [[(w, p) for w, p, _ in s] for s in chunk_data[1][:20]]
    assert loaded.tag_sents(sents, probs=True) == tagger.tag_sents(sents, probs=True)
    assert loaded.nbest(sents[0], 3) == tagger.nbest(sents[0], 3) and loaded.config.output == "crf"


def test_feature_models_want_feature_tokens(chunker):
    tagger, _ = chunker
    with pytest.raises(TypeError, match="1 feature column"):
        tagger.tag(["He", "runs"])
    with pytest.raises(TypeError, match="_sents"):
        tagger.tag_text("He runs.")
    with pytest.raises(ValueError, match="k must be"):
        tagger.nbest([("He", "PRP")], 0)
    with pytest.raises(ValueError, match="output"):
        TaggerConfig(output="hmm")


CONLLU = """# sent_id = 1
# text = Vámonos al mar.
1-2\tVámonos\t_\t_\t_\t_\t_\t_\t_\t_
1\tVamos\tir\tVERB\tV\t_\t0\troot\t_\t_
2\tnos\tnosotros\tPRON\tP\t_\t1\tobj\t_\t_
3-4\tal\t_\t_\t_\t_\t_\t_\t_\t_
3\ta\ta\tADP\tS\t_\t5\tcase\t_\t_
4\tel\tel\tDET\tD\t_\t5\tdet\t_\t_
4.1\tpronto\t_\tADV\t_\t_\t_\t_\t_\t_
5\tmar\tmar\tNOUN\tN\t_\t1\tobl\t_\t_
6\t.\t.\tPUNCT\tF\t_\t1\tpunct\t_\t_

"""


def test_readers(tmp_path):
    conllu = tmp_path / "es.conllu"
    conllu.write_text(CONLLU)
    assert read_conllu(conllu) == [[("Vamos", "VERB"), ("nos", "PRON"), ("a", "ADP"), ("el", "DET"), ("mar", "NOUN"),
                                    (".", "PUNCT")]]
    assert [t for _, t in read_tagged(conllu, label="xpos")[0]] == ["V", "P", "S", "D", "N", "F"]
    cols = tmp_path / "chunks.txt"
    cols.write_text("-DOCSTART- -X- O\n\nHe PRP B-NP\nruns VBZ B-VP\n\nIt PRP B-NP\n")
    assert read_columns(cols, "word,pos,chunk") == [[("He", "PRP", "B-NP"), ("runs", "VBZ", "B-VP")],
                                                    [("It", "PRP", "B-NP")]]
    assert read_columns(cols, "word,_,chunk")[0] == [("He", "B-NP"), ("runs", "B-VP")]
    assert read_columns(cols, "word,pos,chunk", label="pos")[0][0] == ("He", "B-NP", "PRP")
    bad = tmp_path / "bad.conllu"
    bad.write_text("1\tword\n")
    for path, call, message in [(bad, lambda p: read_conllu(p), "bad.conllu:1: 2 tab-separated"),
                                (cols, lambda p: read_columns(p, "word,pos,chunk,ner"), "chunks.txt:3: 3 column"),
                                (cols, lambda p: read_columns(p, "pos,chunk"), "no 'word' column"),
                                (conllu, lambda p: read_conllu(p, "deprel"), "upos or xpos")]:
        with pytest.raises(ValueError, match=message):
            call(path)


def test_cli_chunker_from_column_files_with_probs_nbest_and_conllu(chunk_data, tmp_path):
    train, dev = chunk_data
    for name, data in (("train", train), ("dev", dev)):
        (tmp_path / f"{name}.txt").write_text("\n\n".join("\n".join(" ".join(t) for t in s) for s in data) + "\n")
    out = tmp_path / "m"
    done = tagger_cli("train", "--train-file", str(tmp_path / "train.txt"), "--dev-file", str(tmp_path / "dev.txt"),
                      "--columns", "word,pos,chunk", "--output", "crf", "--epochs", "2", "--hidden", "8",
                      "--word-vectors", "none", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    done = tagger_cli("evaluate", "--model", str(out), "--file", str(tmp_path / "dev.txt"), "--columns",
                      "word,pos,chunk")
    assert done.returncode == 0 and "chunks: precision" in done.stdout and "wrong boundary" in done.stdout, done.stderr
    text = "He PRP\nreckons VBZ\nthe DT\naccount NN\n\nIt PRP\nrose VBD\n"
    done = tagger_cli("tag", "--model", str(out), "--input", "columns", "--columns", "word,pos", "--format", "conllu",
                      "--probs", stdin=text)
    assert done.returncode == 0, done.stderr
    (tmp_path / "out.conllu").write_text(done.stdout)
    back = read_conllu(tmp_path / "out.conllu")
    assert [[w for w, _ in s] for s in back] == [["He", "reckons", "the", "account"], ["It", "rose"]]
    assert "Prob=" in done.stdout
    done = tagger_cli("tag", "--model", str(out), "--input", "columns", "--columns", "word,pos", "--format", "tsv",
                      "--nbest", "3", stdin=text)
    assert done.returncode == 0 and done.stdout.count("# nbest") == 6, done.stderr
    done = tagger_cli("tag", "--model", str(out), "--probs", "He runs")
    assert done.returncode == 2 and "--probs needs --format tsv or conllu" in done.stderr


def test_history_is_saved_and_plotted(tmp_path, capsys):
    import json

    from tagger.cli import main
    from treernn.cli import main as tree_main

    out = tmp_path / "m"
    assert main(["train", "--max-train-sentences", "30", "--epochs", "3", "--hidden", "8", "--word-vectors", "none",
                 "--out", str(out), "--quiet"]) == 0
    history = json.loads(next(out.glob("history-*.json")).read_text())
    assert [r["epoch"] for r in history] == [1, 2, 3] and all({"loss", "dev", "seconds"} <= r.keys() for r in history)
    assert Tagger.load(out).meta["history"] == history
    assert main(["evaluate", "--model", str(out), "--split", "dev", "--no-report", "--plot", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p" / "learning_curve.png").stat().st_size > 5000
    assert (tmp_path / "p" / "confusion.png").stat().st_size > 5000
    trees = tmp_path / "t"
    assert tree_main(["train", "--max-train-trees", "30", "--epochs", "2", "--hidden", "8", "--word-vectors", "none",
                      "--out", str(trees), "--quiet"]) == 0
    assert tree_main(["evaluate", "--model", str(trees), "--split", "dev", "--plot", str(tmp_path / "q")]) == 0
    assert {p.name for p in (tmp_path / "q").iterdir()} == {"learning_curve.png", "confusion.png"}
    assert "wrote" in capsys.readouterr().out

