"""Distillation: a student learns a teacher's tag distribution over unlabelled text (tagger/distill.py)."""
import importlib
from dataclasses import replace

import pytest
import torch

import corpora

from corpora.wordvectors import sentence_key
from deeptrees import TrainConfig
from tagger import Tagger, train_tagger
from tagger.distill import (DistillTask, TeacherTagTask, distill, soft_targets, teacher_probs, teacher_tags,
                            unlabelled_text)
from tests.conftest import tagger_cli, tiny_tagger_config


@pytest.fixture(scope="module")
def teacher(tiny_tagger, tmp_path_factory):
    folder = tmp_path_factory.mktemp("teacher")
    tiny_tagger.save(folder)
    return folder


def words(sentences):
    return [[t[0] for t in s] for s in sentences]


def test_soft_targets_are_the_teachers_distribution(tiny_tagger, treebank_train):
    text = words(treebank_train[60:90])
    probs = teacher_probs(tiny_tagger, text)
    tagged = tiny_tagger.tag_sents(text, probs=True)
    for p, sent in zip(probs, tagged):
        assert p.shape == (len(sent), len(tiny_tagger.vocab.labels))
        assert torch.allclose(p.float().sum(1), torch.ones(len(sent)), atol=1e-2)
        assert [tiny_tagger.vocab.labels[i] for i in p.float().argmax(1).tolist()] == [t for _, t, _ in sent]
        assert torch.allclose(p.float().max(1).values, torch.tensor([q for *_, q in sent]), atol=2e-3)


def test_a_student_learns_from_the_teacher_and_keeps_its_tags(teacher, small_train, treebank_train, treebank_dev, tmp_path):
    unlabelled = words(treebank_train[50:250])
    student, hist = distill(teacher, small_train[:30], treebank_dev[:20], replace(tiny_tagger_config(), num_layers=1),
                            TrainConfig(epochs=4, batch_size=16, lr=0.02), out=tmp_path / "student",
                            unlabelled=unlabelled, progress=False)
    losses = [e["loss"] for e in hist.epochs]
    assert losses[-1] < losses[0]                                   # training lowers the soft loss
    t = Tagger.load(teacher)
    assert student.vocab.labels.strings == t.vocab.labels.strings  # the teacher's tags, in its order
    assert student.config.num_layers == 1 and student.config.embedding == t.config.embedding
    assert student.meta["distilled"]["sentences"] == len(unlabelled)
    agree = sum(a == b for s, u in zip(student.tag_sents(unlabelled), t.tag_sents(unlabelled))
                for (_, a), (_, b) in zip(s, u)) / sum(map(len, unlabelled))
    assert agree > 0.5
    loaded = Tagger.load(tmp_path / "student")
    assert loaded.tag_sents(unlabelled[:10]) == student.tag_sents(unlabelled[:10])


def test_held_out_sentences_never_reach_the_unlabelled_text(treebank_dev):
    dev = words(treebank_dev)
    kept = unlabelled_text("treebank", dev)
    everything = unlabelled_text("treebank", [])
    keys = {sentence_key(s) for s in dev}
    assert not any(sentence_key(s) in keys for s in kept)
    assert len(everything) - len(kept) >= len(dev) - 5       # (a few dev sentences repeat, e.g. boilerplate)


def test_bad_teachers_and_data_are_refused(teacher, small_train, tmp_path):
    crf, _ = train_tagger(small_train[:10], None, tiny_tagger_config(output="crf"), TrainConfig(epochs=1),
                          out=tmp_path / "crf", progress=False, word_vectors=None)
    with pytest.raises(ValueError, match="needs softmax teachers"):
        DistillTask(crf, small_train[:10], None, [["a"]], 8)
    odd = [[("Hello", "NEW-TAG")]]
    with pytest.raises(ValueError, match="tags the teacher does not know: NEW-TAG"):
        distill(teacher, odd, None, unlabelled=[["Hello"]], progress=False)
    with pytest.raises(ValueError, match="unlabelled text is empty"):
        unlabelled_text(" , ", [])


@pytest.mark.parametrize("output", ["softmax", "crf"])
def test_cli_distill_saves_a_student(teacher, small_train, treebank_dev, tmp_path, output):
    train, dev = tmp_path / "train.txt", tmp_path / "dev.txt"
    train.write_text("\n".join(" ".join(f"{w}/{t}" for w, t in s) for s in small_train[:20]) + "\n")
    dev.write_text("\n".join(" ".join(f"{w}/{t}" for w, t in s) for s in treebank_dev[:10]) + "\n")
    done = tagger_cli("distill", "--teacher", str(teacher), "--train-file", str(train), "--dev-file", str(dev),
                      "--unlabelled", "treebank:wsj_000", "--hidden", "16", "--epochs", "1", "--output", output,
                      "--out", str(tmp_path / "student"), "--quiet", "--device", "cpu",
                      "--cache", str(tmp_path / "cache"), timeout=300)
    assert done.returncode == 0, done.stderr
    student = Tagger.load(tmp_path / "student")
    assert "saved" in done.stdout and "best dev accuracy" in done.stdout
    assert student.config.num_layers == 1 and student.config.output == output
    kind = "tags" if output == "crf" else "soft"       # the teacher's outputs, kept for the next student
    assert len(list((tmp_path / "cache").glob(f"{kind}-*.safetensors"))) == 1


def test_an_ensemble_teaches_its_mean_distribution(tiny_tagger, small_train, treebank_train, treebank_dev):
    other, _ = train_tagger(small_train, treebank_dev[:20], tiny_tagger_config(), TrainConfig(epochs=2, batch_size=10, seed=7),
                            progress=False, word_vectors=None)
    text = words(treebank_train[60:80])
    task = DistillTask([tiny_tagger, other], small_train, None, text, 8)
    mean = [(a.float() + b.float()) / 2 for a, b in zip(teacher_probs(tiny_tagger, text), teacher_probs(other, text))]
    assert all(torch.allclose(p.float(), m, atol=2e-3) for p, m in zip(task.soft, mean))
    narrow, _ = train_tagger(small_train[:3], None, tiny_tagger_config(), TrainConfig(epochs=1), progress=False,
                             word_vectors=None)
    with pytest.raises(ValueError, match="teacher 2 predicts other tags"):
        DistillTask([tiny_tagger, narrow], small_train, None, text, 8)


def test_a_crf_student_learns_the_ensembles_tag_sequences(small_train, treebank_train, treebank_dev, tmp_path):
    crfs = []
    for seed in (1, 2):
        net, _ = train_tagger(small_train, None, tiny_tagger_config(output="crf"), TrainConfig(epochs=2, batch_size=10, seed=seed),
                              out=tmp_path / f"crf{seed}", progress=False, word_vectors=None)
        crfs.append(net)
    text = words(treebank_train[60:120])
    task = TeacherTagTask(crfs, small_train[:20], None, text, 8)
    assert task.tagged == Tagger.ensemble(crfs).tag_sents(text)          # the ensemble's decoding, as gold
    assert task.train[20:] == task.tagged and task.labels == crfs[0].vocab.labels.strings
    student, hist = distill([tmp_path / "crf1", tmp_path / "crf2"], small_train[:20], treebank_dev[:10],
                            tiny_tagger_config(output="crf"), TrainConfig(epochs=3, batch_size=16, lr=0.02),
                            out=tmp_path / "student", unlabelled=text, progress=False)
    losses = [e["loss"] for e in hist.epochs]
    assert losses[-1] < losses[0]
    assert student.config.output == "crf" and student.meta["distilled"]["targets"] == "tag sequences"
    assert Tagger.load(tmp_path / "student").tag_sents(text[:10]) == student.tag_sents(text[:10])
    with pytest.raises(ValueError, match="train a CRF student"):
        distill(tmp_path / "crf1", small_train[:20], None, unlabelled=text, progress=False)


def test_teachers_of_words_and_pos_learn_through_a_pos_tagger(teacher, treebank_train, tmp_path):
    chunks = corpora.load("conll2000", "dev", pos_feature=True)[:60]      # (word, POS, chunk) tokens
    crf, _ = train_tagger(chunks, None, tiny_tagger_config(output="crf"), TrainConfig(epochs=2, batch_size=10),
                          out=tmp_path / "chunker", progress=False, word_vectors=None)
    text = words(treebank_train[60:90])
    with pytest.raises(ValueError, match="give features_from"):
        distill(tmp_path / "chunker", chunks, None, tiny_tagger_config(output="crf"), unlabelled=text, progress=False)
    with pytest.raises(ValueError, match="one tagger of words only"):   # the chunker cannot write its own column
        distill(tmp_path / "chunker", chunks, None, tiny_tagger_config(output="crf"), unlabelled=text,
                features_from=tmp_path / "chunker", progress=False, out=tmp_path / "student")
    assert not (tmp_path / "student").exists()
    student, _ = distill(tmp_path / "chunker", chunks, None, tiny_tagger_config(output="crf"), TrainConfig(epochs=1),
                         unlabelled=text, features_from=teacher, progress=False, out=tmp_path / "student")
    pos = Tagger.load(teacher).tag_sents(text)                           # the POS column the chunker reads
    task = TeacherTagTask(crf, chunks, None, pos, 8)
    assert task.tagged == crf.tag_sents(pos) and len(task.tagged[0][0]) == 3
    assert student.n_features == 1 and student.meta["distilled"]["features_from"] == str(teacher)
    # the student carries the POS tagger: it tags plain words, and teaches without --features-from
    assert student.tag(text[0]) == [(w, t) for w, _, t in student.tag(pos[0])]
    second, _ = distill(tmp_path / "student", chunks, None, tiny_tagger_config(output="crf"), TrainConfig(epochs=1),
                        unlabelled=text, progress=False)
    assert second.feature_tagger is not None and "teacher's feature tagger" in second.meta["distilled"]["features_from"]
    with pytest.raises(ValueError, match="teacher 1 reads 1 feature column"):
        TeacherTagTask(crf, [[(w, t) for w, _, t in s] for s in chunks], None, pos, 8)


def test_students_of_the_same_teachers_and_text_read_the_teachers_outputs_from_the_cache(
        teacher, tiny_tagger, small_train, treebank_train, treebank_dev, tmp_path, monkeypatch):
    module = importlib.import_module("tagger.distill")   # tagger.distill, the attribute, is the function

    text = words(treebank_train[60:100])
    train_config = TrainConfig(epochs=2, batch_size=16, lr=0.02, seed=3)
    runs = [distill(teacher, small_train[:20], treebank_dev[:10], replace(tiny_tagger_config(), num_layers=1),
                    train_config, unlabelled=text, progress=False, cache=tmp_path / "cache")
            for _ in range(2)]
    assert len(list((tmp_path / "cache").glob("soft-*.safetensors"))) == 1
    # the second student read exactly what the first one's teacher computed: it trained step for step alike
    assert [e["loss"] for e in runs[0][1].epochs] == [e["loss"] for e in runs[1][1].epochs]
    assert runs[0][0].tag_sents(text) == runs[1][0].tag_sents(text)

    def no_tagging(*args, **kwargs):
        raise AssertionError("the teacher tagged text that the cache holds")

    monkeypatch.setattr(module, "teacher_probs", no_tagging)
    cached_soft = soft_targets([Tagger.load(teacher)], text, tmp_path / "cache")
    assert all(torch.equal(a, b) for a, b in zip(cached_soft, DistillTask(Tagger.load(teacher), small_train, None, text, 8,
                                                                          cache=tmp_path / "cache").soft))
    with pytest.raises(AssertionError, match="tagged text"):              # other text: a new entry is computed
        soft_targets([Tagger.load(teacher)], text[:-1], tmp_path / "cache")


def test_crf_teachers_tags_are_cached_by_teacher(small_train, treebank_train, tmp_path, monkeypatch):
    crfs = [train_tagger(small_train, None, tiny_tagger_config(output="crf"), TrainConfig(epochs=2, batch_size=10, seed=s),
                         progress=False, word_vectors=None)[0] for s in (1, 2)]
    text = words(treebank_train[60:100])
    assert teacher_tags(crfs, text, tmp_path) == [[t for _, t in s] for s in Tagger.ensemble(crfs).tag_sents(text)]
    assert teacher_tags(crfs[:1], text, tmp_path) == [[t for _, t in s] for s in crfs[0].tag_sents(text)]
    assert len(list(tmp_path.glob("tags-*.safetensors"))) == 2          # another teacher set: another entry
    monkeypatch.setattr(Tagger, "tag_sents", lambda *a, **k: pytest.fail("tagged text that the cache holds"))
    assert TeacherTagTask(crfs, small_train[:5], None, text, 8, cache=tmp_path).tagged[0] == \
        [(w, t) for w, t in zip(text[0], teacher_tags(crfs, text, tmp_path)[0])]
