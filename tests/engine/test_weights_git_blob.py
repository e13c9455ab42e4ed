"""Integrity by git blob id (MobileSAM publishes no SHA-256): download, verify, import, pin."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import threading
from http.server import ThreadingHTTPServer

import pytest

from dis_annotator.engine import weights
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.weights import hashes, manifest, paths
from dis_annotator.engine.weights.manifest import ModelInfo
from tests.engine.test_weights_download import PAYLOAD, Handler, leftovers


@pytest.fixture()
def server(monkeypatch):
    """test_weights_download's Range-capable handler serving PAYLOAD on a local port."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    Handler.ranges = []
    Handler.honour_range = True
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture()
def target_dir(tmp_path, monkeypatch):
    d = tmp_path / "models"
    d.mkdir()
    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(d))
    monkeypatch.setenv("DIS_ANNOTATOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(paths, "repo_models_dir", lambda: None)
    return d


BLOB = hashlib.sha1(b"blob %d\0" % len(PAYLOAD) + PAYLOAD).hexdigest()
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


def entry(monkeypatch, url: str | None, git_blob: str = BLOB, size: int | None = len(PAYLOAD)):
    info = ModelInfo("mobile_sam", "sam", "mobile_sam.pt", url=url, size=size,
                     git_blob=git_blob, license="Apache-2.0", aliases=("vit_t",))
    monkeypatch.setattr(manifest, "_entries", lambda: (info,))


def test_blob_id_is_what_git_computes(tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    # git's well-known id of the empty blob
    assert hashes.blob_and_sha256(empty)[0] == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    f = tmp_path / "payload"
    f.write_bytes(PAYLOAD)
    blob, sha = hashes.blob_and_sha256(f, chunk=4096)
    assert (blob, sha) == (BLOB, SHA256)
    if shutil.which("git"):
        out = subprocess.run(["git", "hash-object", str(f)], capture_output=True, text=True)
        assert out.stdout.strip() == blob


def test_manifest_entry_for_mobile_sam():
    m = manifest.get("mobile_sam")
    assert manifest.get("vit_t") == m and manifest.get("MobileSAM") == m
    assert m.url == "https://github.com/ChaoningZhang/MobileSAM/raw/master/weights/mobile_sam.pt"
    assert m.git_blob == "7ef2d090979fd9853adf17b7a99c8b94a1c5a6a7"
    assert m.size == 40_728_226 and m.sha256 is None and m.kind == "sam"
    assert "re-prompting" in m.note


def test_download_with_matching_blob_installs_and_pins(server, target_dir, monkeypatch):
    entry(monkeypatch, f"{server}/w.pt")
    (target_dir / "mobile_sam.pt.part").write_bytes(PAYLOAD[:100_000])  # resumed, then checked
    path = weights.download("vit_t")
    assert path == target_dir / "mobile_sam.pt" and path.read_bytes() == PAYLOAD
    assert Handler.ranges == ["bytes=100000-"]
    assert leftovers(target_dir) == ["mobile_sam.pt"]
    assert hashes.pinned_sha256("mobile_sam", BLOB) == SHA256
    # the record lets later loads skip hashing; verify re-hashes and still says ok
    rec = json.loads((hashes.user_data_dir() / "hashes.json").read_text())
    assert rec[str(path.resolve())]["git_blob"] == BLOB
    assert weights.verified_path("mobile_sam") == (path, SHA256)
    res = weights.verify("mobile_sam")[0]
    assert res.status == "ok" and "git blob id matches" in res.detail and res.sha256 == SHA256
    assert weights.download("mobile_sam") == path and len(Handler.ranges) == 1  # no refetch


@pytest.mark.parametrize("bad", ["blob", "size"])
def test_download_with_wrong_blob_is_refused_and_nothing_installed(
    server, target_dir, monkeypatch, bad
):
    if bad == "blob":
        entry(monkeypatch, f"{server}/w.pt", git_blob="0" * 40)
    else:  # the blob id would match, but the manifest's size does not
        entry(monkeypatch, f"{server}/w.pt", size=len(PAYLOAD) - 1)
    with pytest.raises(WeightsError, match="discarded"):
        weights.download("mobile_sam")
    assert leftovers(target_dir) == []  # neither the file nor a .part to resume from
    assert weights.locate("mobile_sam") is None
    assert hashes.pinned_sha256("mobile_sam", BLOB) is None


def test_download_replaces_an_installed_file_that_fails(server, target_dir, monkeypatch):
    entry(monkeypatch, f"{server}/w.pt")
    (target_dir / "mobile_sam.pt").write_bytes(b"y" * len(PAYLOAD))  # right size, wrong bytes
    assert weights.verify("mobile_sam")[0].status == "mismatch"
    with pytest.raises(WeightsError, match="refused"):
        weights.verified_path("mobile_sam")
    assert weights.download("mobile_sam").read_bytes() == PAYLOAD


def test_import_and_the_pinned_sha256(target_dir, monkeypatch, tmp_path):
    entry(monkeypatch, None)
    good = tmp_path / "mobile_sam.pt"
    good.write_bytes(PAYLOAD)
    assert weights.import_model(good) == target_dir / "mobile_sam.pt"  # guessed by file name
    assert weights.verify("mobile_sam")[0].status == "ok"
    bad = tmp_path / "other.pt"
    bad.write_bytes(PAYLOAD[:-1] + b"!")
    with pytest.raises(WeightsError, match="git blob id"):
        weights.import_model(bad, "mobile_sam")
    # A file passing the SHA-1 blob check but not the SHA-256 pinned at first
    # verification (as a SHA-1 collision would) is refused.
    hashes.pin_sha256("mobile_sam", BLOB, "f" * 64)
    res = weights.verify("mobile_sam")[0]
    assert res.status == "mismatch" and "recorded at first verification" in res.detail


def test_models_verify_cli_reports_the_blob_check(target_dir, monkeypatch, capsys):
    from dis_annotator.cli import main

    entry(monkeypatch, None)
    (target_dir / "mobile_sam.pt").write_bytes(PAYLOAD)
    assert main(["models", "verify", "mobile_sam"]) == 0
    assert "mobile_sam: ok" in capsys.readouterr().out
    (target_dir / "mobile_sam.pt").write_bytes(PAYLOAD[::-1])
    assert main(["models", "verify", "mobile_sam"]) == 1
    assert "mismatch" in capsys.readouterr().out


def test_models_list_notes_the_corrector(capsys):
    from dis_annotator.cli import main

    assert main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("mobile_sam "))
    assert "41 MB" in lines[row] and "Pi-SAM needs SAM ViT-B" in lines[row + 1]
