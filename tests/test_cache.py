"""The on-disk cache of computed tensors (deeptrees/cache.py): found again by key, computed once by
concurrent users, damaged entries recomputed, and where it lives."""
import threading
from pathlib import Path

import pytest
import torch

from deeptrees.cache import cache_folder, cache_key, cached


def entry(value: float):
    return {"x": torch.full((3, 2), value), "n": torch.tensor([1, 2])}, {"labels": "a b"}


def test_an_entry_is_computed_once_then_read(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return entry(len(calls))

    first, how = cached(tmp_path, "t", cache_key("k"), compute)
    assert how == "computed" and len(calls) == 1
    second, how = cached(tmp_path, "t", cache_key("k"), compute)
    assert how == "cache" and len(calls) == 1
    assert torch.equal(first[0]["x"], second[0]["x"]) and second[1] == {"labels": "a b"}
    third, how = cached(tmp_path, "t", cache_key("other"), compute)           # another key: computed anew
    assert how == "computed" and third[0]["x"][0, 0] == 2
    assert cached(None, "t", cache_key("k"), compute)[1] == "computed" and len(calls) == 3   # no folder: no cache


def test_runs_at_the_same_time_compute_an_entry_once(tmp_path):
    calls, results = [], []
    started = threading.Barrier(4)

    def compute():
        calls.append(1)
        threading.Event().wait(0.3)        # long enough for the others to reach the lock meanwhile
        return entry(7.0)

    def run():
        started.wait()
        results.append(cached(tmp_path, "t", cache_key("shared"), compute))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert sorted(how for _, how in results) == ["cache", "cache", "cache", "computed"]
    assert all(torch.equal(e[0]["x"], torch.full((3, 2), 7.0)) for e, _ in results)


def test_a_damaged_entry_is_recomputed(tmp_path):
    cached(tmp_path, "t", cache_key("k"), lambda: entry(1.0))
    (path,) = tmp_path.glob("t-*.safetensors")
    path.write_bytes(path.read_bytes()[:20])
    with pytest.warns(UserWarning, match="damaged cache entry"):
        (tensors, _), how = cached(tmp_path, "t", cache_key("k"), lambda: entry(2.0))
    assert how == "computed" and tensors["x"][0, 0] == 2.0
    assert cached(tmp_path, "t", cache_key("k"), lambda: entry(3.0))[0][0]["x"][0, 0] == 2.0


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    (tensors, _), how = cached(blocker / "cache", "t", cache_key("k"), lambda: entry(1.0))
    assert how.startswith("computed, not cached") and tensors["x"][0, 0] == 1.0


def test_keys_tell_parts_apart():
    assert cache_key("ab", "c") != cache_key("a", "bc")
    assert cache_key(["a", "b"]) != cache_key(["ab"]) and cache_key(["a"], ["b"]) != cache_key(["a", "b"])
    assert cache_key(iter(["x", "y"])) == cache_key(["x", "y"])


def test_where_the_cache_lives(monkeypatch, tmp_path):
    monkeypatch.delenv("DEEPTREES_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_folder() == tmp_path / "deeptrees"
    monkeypatch.setenv("DEEPTREES_CACHE", str(tmp_path / "mine"))
    assert cache_folder() == tmp_path / "mine" and cache_folder("auto") == tmp_path / "mine"
    assert cache_folder(tmp_path / "given") == tmp_path / "given"
    monkeypatch.setenv("DEEPTREES_CACHE", "auto")                 # auto, spelt out, is the default folder
    assert cache_folder() == tmp_path / "deeptrees"
    monkeypatch.setenv("DEEPTREES_CACHE", "none")
    assert cache_folder() is None
    assert cache_folder(None) is None and cache_folder("off") is None
    assert cache_folder("~/x") == Path.home() / "x"
