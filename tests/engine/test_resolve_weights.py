"""resolve_weights: one search order for every kind, hash-checked where a hash is known."""

from __future__ import annotations

import pytest

from dis_annotator.engine.checkpoint import sha256_file
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.weights import manifest, paths, resolve_weights
from dis_annotator.engine.weights.manifest import ModelInfo


@pytest.fixture()
def dirs(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.setattr(paths, "search_dirs", lambda: [first, second])
    monkeypatch.setenv("DIS_ANNOTATOR_DATA_DIR", str(tmp_path / "data"))
    return first, second


def _with_entry(monkeypatch, entry: ModelInfo) -> None:
    real = {e.name: e for e in manifest.entries()}
    real[entry.name] = entry
    monkeypatch.setattr(manifest, "_entries", lambda: tuple(real.values()))


def test_unlisted_names_use_the_same_search_order(dirs):
    first, second = dirs
    assert resolve_weights("pisam_custom") is None
    (second / "pisam_custom.pth").write_bytes(b"second")
    found = resolve_weights("pisam_custom")
    assert found.path == second / "pisam_custom.pth" and not found.verified
    assert found.sha256 == sha256_file(found.path) and found.name == "pisam_custom"
    (first / "pisam_custom.pt").write_bytes(b"first")
    assert resolve_weights("pisam_custom").path == first / "pisam_custom.pt"


def test_manifest_names_are_found_by_file_name_and_hash_checked(dirs, monkeypatch):
    first, second = dirs
    (second / "is5net.pth").write_bytes(b"refiner")
    found = resolve_weights("is5net")  # no published hash: unverified, hash still known
    assert found.path == second / "is5net.pth" and found.verified is False
    good = second / "mine.pth"
    good.write_bytes(b"weights")
    _with_entry(monkeypatch, ModelInfo("sam_vit_b", "sam", "mine.pth", sha256=sha256_file(good),
                                       aliases=("vit_b",)))
    found = resolve_weights("vit_b")
    assert found.name == "sam_vit_b" and found.verified and found.path == good
    (first / "mine.pth").write_bytes(b"tampered")  # earlier in the search order
    with pytest.raises(WeightsError, match="refused"):
        resolve_weights("sam_vit_b")
