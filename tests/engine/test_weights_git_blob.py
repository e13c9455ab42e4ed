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
    found = weights.resolve_weights("mobile_sam")
    assert (found.name, found.path, found.sha256, found.verified) == ("mobile_sam", path, SHA256, True)
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
        weights.resolve_weights("mobile_sam")
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


# --- the manifest field and the shape check (merged with issue 13's strict reader) -------
def _manifest(**fields) -> str:
    e = {"name": "m", "kind": "sam", "file": "m.pt", "sha256": None, **fields}
    return json.dumps({"format": 1, "models": [e]})


@pytest.mark.parametrize("bad", [BLOB.upper(), BLOB[:-1], BLOB + "0", "g" * 40, 7, [BLOB]])
def test_manifest_git_blob_is_40_lower_case_hex_or_null(bad):
    with pytest.raises(WeightsError, match="'git_blob' must be 40 lower-case hex") as info:
        manifest.parse_manifest(_manifest(git_blob=bad), "manifest.json")
    assert "\n" not in str(info.value)


def test_manifest_git_blob_and_note_are_read():
    (e,) = manifest.parse_manifest(_manifest(git_blob=BLOB, note="one line"), "m.json")
    assert e.git_blob == BLOB and e.note == "one line" and e.sha256 is None
    (e,) = manifest.parse_manifest(_manifest(git_blob=None), "m.json")
    assert e.git_blob is None and e.note == ""
    with pytest.raises(WeightsError, match="'note' must be text"):
        manifest.parse_manifest(_manifest(note=3), "m.json")


def test_the_shipped_manifest_parses_strictly():
    text = manifest.manifest_path().read_text(encoding="utf-8")
    by_name = {e.name: e for e in manifest.parse_manifest(text, "manifest.json")}
    assert by_name["mobile_sam"].git_blob == "7ef2d090979fd9853adf17b7a99c8b94a1c5a6a7"
    assert by_name["mobile_sam"].arch == "vit_t"


def test_shape_check_accepts_mobile_sam_and_refuses_what_does_not_fit(tmp_path, monkeypatch):
    """Without a hash to check (an entry with neither SHA-256 nor blob id), a MobileSAM
    checkpoint must fit the vit_t network built on the meta device (docs/adr/0126)."""
    import dataclasses

    import torch

    from dis_annotator.engine.checkpoint import save_checkpoint
    from dis_annotator.engine.sam_model import PRESETS, build_sam
    from dis_annotator.engine.weights.registry import check_file
    from tests.engine.sam_tiny import TINY_T, save_tiny, tiny_sam_t

    monkeypatch.setenv("DIS_ANNOTATOR_DATA_DIR", str(tmp_path / "data"))
    info = dataclasses.replace(manifest.get("mobile_sam"), git_blob=None, size=None)
    # the official layout: a bare state dict of the real-size model
    torch.manual_seed(0)
    sd = build_sam(PRESETS["vit_t"]).state_dict()
    bare = tmp_path / "bare.pt"
    torch.save(sd, bare)
    res = check_file(info, bare, use_record=False)
    assert res.status == "unverified" and "loads as sam" in res.detail
    # our format with a TinyViT config
    ours = tmp_path / "ours.pth"
    save_checkpoint(ours, "sam", tiny_sam_t().state_dict(), config=TINY_T.to_dict())
    assert check_file(info, ours, use_record=False).status == "unverified"
    # a key missing, a shape changed, a ViT-B SAM under the MobileSAM name: unusable
    sd.pop("image_encoder.layers.0.blocks.0.conv1.c.weight")
    torch.save(sd, bare)
    assert check_file(info, bare, use_record=False).status == "unusable"
    sd = build_sam(PRESETS["vit_t"]).state_dict()
    sd["image_encoder.neck.0.weight"] = torch.zeros(256, 320, 1, 2)
    torch.save(sd, bare)
    assert check_file(info, bare, use_record=False).status == "unusable"
    res = check_file(info, save_tiny(tmp_path / "b.pth"), use_record=False)
    assert res.status == "unusable" and "mobile_sam is vit_t" in res.detail
