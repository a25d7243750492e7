"""A model that reads a feature column (Dutch NER reading POS tags) carries the tagger of that column,
so it tags plain words and raw text; the pair is saved and loaded as one folder."""
import json
import shutil

import pytest

import corpora
from corpora.text import tokenize
from deeptrees import TrainConfig
from deeptrees.files import ModelFileError
from tagger import Tagger, train_tagger
from tests.conftest import tagger_cli, tiny_tagger_config


@pytest.fixture(scope="module")
def dutch():
    """Dutch sentences as (word, POS, entity) tokens and as (word, POS) pairs."""
    ner = corpora.load("conll2002", "dev", lang="ned", pos_feature=True)[:120]
    return ner, [[(w, p) for w, p, _ in s] for s in ner]


@pytest.fixture(scope="module")
def models(dutch, tmp_path_factory):
    """A POS tagger trained on the NER data's POS column, and an NER model that carries it."""
    ner_data, pos_data = dutch
    out = tmp_path_factory.mktemp("feature-tagger")
    pos, _ = train_tagger(pos_data, None, tiny_tagger_config(), TrainConfig(epochs=3, batch_size=10, lr=0.02),
                          out=out / "pos", progress=False, word_vectors=None)
    ner, _ = train_tagger(ner_data, None, tiny_tagger_config(output="crf"), TrainConfig(epochs=8, batch_size=10, lr=0.02),
                          out=out / "ner", progress=False, word_vectors=None, language="nl", features_from=out / "pos")
    return out, pos, ner


def test_plain_words_are_tagged_through_the_carried_tagger(dutch, models):
    out, pos, ner = models
    loaded = Tagger.load(out / "ner")
    words = [[w for w, _ in s] for s in dutch[1][:30]]
    assert loaded.feature_tagger.tag_sents(words) == pos.tag_sents(words)
    meta = json.loads((out / "ner" / "config.json").read_text())
    assert meta["format_version"] == 3 and set(meta["parts"]) == {"features"}
    assert json.loads((out / "pos" / "config.json").read_text())["format_version"] == 2   # no parts: readable by older
    featured = pos.tag_sents(words)                                  # what the carried tagger writes
    expected = loaded.tag_sents(featured)                            # (word, POS, entity) tuples
    assert loaded.tag_sents(words) == [[(w, t) for w, _, t in s] for s in expected] == \
        [[(w, t) for w, _, t in s] for s in ner.tag_sents(featured)]
    assert loaded.tag_sents(words, probs=True) == [[(w, t, p) for w, _, t, p in s]
                                                   for s in loaded.tag_sents(featured, probs=True)]
    found = loaded.entities_sents(words, probs=True)
    assert found == loaded.entities_sents(featured, probs=True) and sum(map(len, found)) > 0
    assert list(loaded.tag_stream(iter(words))) == loaded.tag_sents(words)
    voted = loaded.tag_sents(featured, consistent=3)                 # the same types from either form
    assert loaded.tag_sents(words, consistent=3) == [[(w, t) for w, _, t in s] for s in voted]
    assert loaded.entities_sents(words, consistent=3) == loaded.entities_sents(featured, consistent=3)
    assert [[t for _, t in s] for s in loaded.quantized().tag_sents(words)] == \
        [[t for *_, t in s] for s in loaded.quantized().tag_sents(featured)]
    assert loaded.nbest(words[0], 3) == loaded.nbest(featured[0], 3)
    text = "Jan Janssen woont in Amsterdam en werkt bij Philips. Hij is fan van Ajax."
    sentences = [tokenize(s, "nl") for s in ("Jan Janssen woont in Amsterdam en werkt bij Philips.",
                                             "Hij is fan van Ajax.")]
    assert loaded.entities_text(text) == loaded.entities_sents(sentences)
    assert [[t for _, t in s] for s in loaded.tag_text(text)] == [[t for *_, t in s] for s in
                                                                  loaded.tag_sents(pos.tag_sents(sentences))]
    loaded.window, loaded.context = 8, 2       # long sentences in windows: the column is tagged on the whole
    assert loaded.tag_sents(words) == [[(w, t) for w, _, t in s] for s in loaded.tag_sents(featured)]
    together = Tagger.ensemble([out / "ner", out / "ner"])        # members share the carried tagger
    assert together.tag_sents(words) == [[(w, t) for w, _, t in s] for s in together.tag_sents(featured)]
    with pytest.raises(TypeError, match="token 1 of sentence 0"):
        loaded.tag_sents([[featured[0][0], "woont"]])                 # one sentence is either form, not both
    with pytest.raises(TypeError, match="token 1 of sentence 0 is .* all plain words"):
        loaded.tag_sents([["Jan", ("woont", "V")]])


def test_a_model_without_its_feature_tagger_says_how_to_add_one(dutch, models, tmp_path):
    out, pos, _ = models
    bare, _ = train_tagger(dutch[0], None, tiny_tagger_config(), TrainConfig(epochs=1, batch_size=10),
                           progress=False, word_vectors=None, language="nl")
    with pytest.raises(TypeError, match="feature_tagger"):
        bare.tag_text("Jan woont in Gent.")
    with pytest.raises(TypeError, match="feature column"):
        bare.tag(["Jan", "woont"])
    bare.feature_tagger = pos                                        # attached afterwards, then saved
    bare.save(tmp_path / "bare")
    assert Tagger.load(tmp_path / "bare").tag(["Jan", "woont"]) == bare.tag(["Jan", "woont"])
    bare.feature_tagger = None                                       # and taken off: the folder is format 2 again
    bare.save(tmp_path / "bare")
    assert json.loads((tmp_path / "bare" / "config.json").read_text())["format_version"] == 2
    assert not list((tmp_path / "bare").glob("features*")) and Tagger.load(tmp_path / "bare").feature_tagger is None


def test_bad_feature_taggers_are_refused(dutch, models, tiny_tagger, tmp_path):
    out, pos, ner = models
    entity_tagger, _ = train_tagger([[(w, t) for w, _, t in s] for s in dutch[0][:40]], None, tiny_tagger_config(),
                                    TrainConfig(epochs=1, batch_size=10), progress=False, word_vectors=None)
    copy = Tagger.load(out / "ner")
    with pytest.raises(ValueError, match="are not values of this model's feature column"):
        copy.feature_tagger = entity_tagger                          # tags entities, not POS
    with pytest.raises(ValueError, match="parts do not nest"):
        copy.feature_tagger = ner
    with pytest.raises(ValueError, match="words only"):
        copy.feature_tagger = Tagger(ner.model, ner.vocab, ner.config)   # reads a feature column itself
    with pytest.raises(ValueError, match=r"this model \(its data\) reads 0"):
        tiny_tagger.feature_tagger = pos
    with pytest.raises(ValueError, match="one part, 'features'"):
        copy.attach("lemmas", pos)
    with pytest.raises(ValueError, match="int8"):
        copy.feature_tagger = pos.quantized()
    with pytest.raises(ValueError, match="words only"):
        train_tagger(dutch[0][:20], None, tiny_tagger_config(), TrainConfig(epochs=1), progress=False,
                     word_vectors=None, features_from=out / "ner")
    with pytest.raises(ValueError, match=r"\(its data\) reads 0"):                      # data without a column
        train_tagger(dutch[1][:20], None, tiny_tagger_config(), TrainConfig(epochs=1), progress=False,
                     word_vectors=None, features_from=out / "pos")
    with pytest.raises(ValueError, match="other settings .*parts"):   # a resumed run carries the same tagger
        train_tagger(dutch[0], None, tiny_tagger_config(output="crf"), TrainConfig(epochs=8, batch_size=10, lr=0.02),
                     out=out / "ner", progress=False, word_vectors=None, language="nl", resume=True)
    other = Tagger(ner.model, ner.vocab, ner.config)
    with pytest.raises(ValueError, match="another feature tagger"):
        Tagger.ensemble([ner, other])
    words = [w for w, _ in dutch[1][0]]
    both = Tagger.ensemble([Tagger.load(out / "ner"), other], feature_tagger=pos)   # given to every member
    assert both.feature_tagger is pos and both.tag(words) == Tagger.ensemble([ner, ner]).tag(words)
    with pytest.raises(ValueError, match="are not values of this model's feature column"):
        Tagger.ensemble([ner, other], feature_tagger=entity_tagger)
    for damage in ("weights", "kind"):                              # the carried files are checked like the model's
        bad = tmp_path / damage
        shutil.copytree(out / "ner", bad)
        meta = json.loads((bad / "config.json").read_text())
        if damage == "weights":
            name = meta["files"]["features.weights"]["name"]
            (bad / name).write_bytes(b"\x00garbage")
            match = name
        else:
            meta["parts"]["features"]["kind"] = "treenet"
            (bad / "config.json").write_text(json.dumps(meta))
            match = "part 'features' is a 'treenet' model"
        with pytest.raises(ModelFileError, match=match):
            Tagger.load(bad)


def test_cli_trains_with_a_feature_tagger_and_tags_raw_text(models, tmp_path):
    out, pos, _ = models
    done = tagger_cli("train", "--corpus", "conll2002", "--lang", "ned", "--pos-feature", "--output", "crf",
                      "--features-from", str(out / "pos"), "--max-train-sentences", "60", "--epochs", "1",
                      "--word-vectors", "none", "--hidden", "8", "--quiet", "--out", str(tmp_path / "cli"))
    assert done.returncode == 0, done.stderr
    model = Tagger.load(tmp_path / "cli")
    assert model.feature_tagger is not None and model.meta["cli"]["features_from"] == str(out / "pos")
    text = "Jan Janssen woont in Amsterdam.\nHij werkt bij Philips in Eindhoven.\n"
    done = tagger_cli("tag", "--model", str(tmp_path / "cli"), "--format", "tsv", stdin=text)
    assert done.returncode == 0, done.stderr
    want = [model.tag(tokenize(line, "nl")) for line in text.splitlines()]
    assert done.stdout == "".join("\n".join("\t".join(item) for item in s) + "\n\n" for s in want)
    for words_only in ([], ["--words-only"]):                        # the data's POS column, or the carried tagger's
        done = tagger_cli("evaluate", "--model", str(tmp_path / "cli"), "--split", "dev", "--no-report", *words_only)
        assert done.returncode == 0 and "F1" in done.stdout, done.stderr


def test_cli_features_from_serves_a_model_that_carries_no_feature_tagger(models, tmp_path):
    out, _, _ = models
    bare = Tagger.load(out / "ner")
    bare.feature_tagger = None
    bare.save(tmp_path / "bare")

    text = "Jan Janssen woont in Amsterdam.\n"
    refused = tagger_cli("tag", "--model", str(tmp_path / "bare"), stdin=text)
    assert refused.returncode == 2 and "--features-from" in refused.stderr and "Traceback" not in refused.stderr
    given = tagger_cli("tag", "--model", str(tmp_path / "bare"), "--features-from", str(out / "pos"), stdin=text)
    assert given.returncode == 0 and given.stdout == tagger_cli("tag", "--model", str(out / "ner"), stdin=text).stdout
    scores = [tagger_cli("evaluate", "--model", str(m), "--corpus", "conll2002", "--lang", "ned", "--split", "dev",
                         "--no-report", "--words-only", *extra).stdout
              for m, extra in ((tmp_path / "bare", ["--features-from", str(out / "pos")]), (out / "ner", []))]
    assert "F1" in scores[0] and scores[0] == scores[1]
    pair = ["--model", str(tmp_path / "bare"), "--model", str(out / "ner")]    # one carries a tagger, one none
    refused = tagger_cli("tag", *pair, stdin=text)
    assert refused.returncode == 2 and "another feature tagger" in refused.stderr and "Traceback" not in refused.stderr
    given = tagger_cli("tag", *pair, "--features-from", str(out / "pos"), stdin=text)     # ... given to both
    twice = tagger_cli("tag", "--model", str(out / "ner"), "--model", str(out / "ner"), stdin=text)
    assert given.returncode == 0 and given.stdout == twice.stdout
    wrong = tagger_cli("tag", "--model", str(tmp_path / "bare"), "--features-from", str(tmp_path / "bare"), stdin=text)
    assert wrong.returncode == 2 and "one tagger of words only" in wrong.stderr and "Traceback" not in wrong.stderr
