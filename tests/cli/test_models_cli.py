"""``dis-annotator models ...`` in-process: list, import, verify, remove, download."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

import pytest

from dis_annotator.cli import main
from dis_annotator.engine.weights import manifest, paths
from dis_annotator.engine.weights.manifest import ModelInfo
from tests.engine.sam_tiny import tiny_refiner
from tests.engine.test_weights_download import DIGEST, PAYLOAD, Handler


@pytest.fixture()
def env(tmp_path, monkeypatch):
    d = tmp_path / "models"
    d.mkdir()
    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(d))
    monkeypatch.setenv("DIS_ANNOTATOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(paths, "repo_models_dir", lambda: None)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return d


def test_list_shows_every_model(env, capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("sam_vit_b", "sam_vit_l", "sam_vit_h", "isnet", "dis_sam", "is5net", "pisam_vit_b"):
        assert name in out
    assert "not installed" in out and str(env) in out


def test_import_verify_remove(env, tmp_path, capsys):
    ckpt = tiny_refiner(tmp_path / "refiner_download.pth")
    assert main(["models", "import", str(ckpt), "--name", "dis_sam"]) == 0
    assert (env / "dis_sam.pth").is_file()
    assert main(["models", "verify"]) == 0
    assert "dis_sam: unverified" in capsys.readouterr().out
    assert main(["models", "list"]) == 0
    assert str(env / "dis_sam.pth") in capsys.readouterr().out
    (env / "dis_sam.pth").write_bytes(b"not a checkpoint")
    assert main(["models", "verify", "dis_sam"]) == 1
    assert "unreadable" in capsys.readouterr().out
    assert main(["models", "remove", "dis_sam"]) == 0
    assert main(["models", "remove", "dis_sam"]) == 1
    assert main(["models", "import", str(tmp_path / "missing.pth")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_usage_errors(env, capsys):
    assert main(["models", "download", "sam_vit_x"]) == 2
    assert "known models" in capsys.readouterr().err
    assert main(["models"]) == 2
    assert main(["models", "verify", "nope"]) == 2


def test_download_with_progress_and_offline_message(env, monkeypatch, capsys):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/w.pth"
        info = ModelInfo("dis_sam", "is5net", "dis_sam.pth", url=url, size=len(PAYLOAD),
                         sha256=DIGEST)
        monkeypatch.setattr(manifest, "_entries", lambda: (info,))
        assert main(["models", "download", "dis_sam"]) == 0
        cap = capsys.readouterr()
        assert str(env / "dis_sam.pth") in cap.out and "dis_sam.pth" in cap.err  # tqdm bar
        assert (env / "dis_sam.pth").read_bytes() == PAYLOAD
    finally:
        srv.shutdown()
        srv.server_close()
    (env / "dis_sam.pth").unlink()
    assert main(["models", "download", "dis_sam"]) == 1  # server gone: offline
    err = capsys.readouterr().err
    assert "models import dis_sam.pth --name dis_sam" in err
