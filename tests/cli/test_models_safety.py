"""Issue 13 cases 11 and 13 (model manager): checkpoints that would not load are refused
by `models import` and fail `models verify`; usage errors exit 2; manifest file names
stay inside the models folder; an interrupted download leaves no empty temp file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from dis_annotator.cli import main
from dis_annotator.engine.checkpoint import save_checkpoint
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.weights import manifest, paths
from dis_annotator.nets.isnet import ISNetDIS

REPO = Path(__file__).resolve().parents[2]
WIDTH = 0.125


@pytest.fixture()
def env(tmp_path, monkeypatch):
    d = tmp_path / "models"
    d.mkdir()
    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(d))
    monkeypatch.setenv("DIS_ANNOTATOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(paths, "repo_models_dir", lambda: None)
    return d


def refiner(path: Path, in_ch: int = 5, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    net = ISNetDIS(in_ch=in_ch, width=WIDTH)
    save_checkpoint(path, "is5net", net.state_dict(), {"in_ch": in_ch, "width": WIDTH, "size": 64})
    return path


def one_line_error(capsys) -> str:
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0]
    return err[0]


def _wrong_keys(p: Path) -> Path:
    sd = ISNetDIS(in_ch=5, width=WIDTH).state_dict()
    sd.pop("side6.bias")
    sd["extra.weight"] = torch.zeros(2)
    save_checkpoint(p, "is5net", sd, {"in_ch": 5, "width": WIDTH})
    return p


def _wrong_shapes(p: Path) -> Path:
    sd = ISNetDIS(in_ch=5, width=WIDTH).state_dict()
    sd["side1.weight"] = torch.zeros(3, 3)
    save_checkpoint(p, "is5net", sd, {"in_ch": 5, "width": WIDTH})
    return p


def _tensor_list(p: Path) -> Path:
    torch.save([torch.zeros(3), torch.ones(2)], p)
    return p


def _three_channel(p: Path) -> Path:
    return refiner(p, in_ch=3)


@pytest.mark.parametrize("make", [_wrong_keys, _wrong_shapes, _tensor_list, _three_channel])
def test_import_refuses_checkpoints_that_would_not_load(env, tmp_path, capsys, make):
    good = refiner(tmp_path / "good.pth")
    assert main(["models", "import", str(good), "--name", "is5net"]) == 0
    installed = (env / "is5net.pth").read_bytes()
    capsys.readouterr()
    bad = make(tmp_path / "bad.pth")
    assert main(["models", "import", str(bad), "--name", "is5net"]) == 1
    line = one_line_error(capsys)
    assert "bad.pth" in line
    assert (env / "is5net.pth").read_bytes() == installed  # the installed file is left alone
    assert sorted(p.name for p in env.iterdir()) == ["is5net.pth"]


def test_verify_fails_on_installed_files_that_do_not_load(env, tmp_path, capsys):
    refiner(env / "dis_sam.pth")
    assert main(["models", "verify"]) == 0
    _wrong_shapes(env / "dis_sam.pth")
    assert main(["models", "verify"]) == 1
    out = capsys.readouterr().out
    assert "dis_sam:" in out and "wrong shapes" in out
    _tensor_list(env / "dis_sam.pth")
    assert main(["models", "verify", "dis_sam"]) == 1


def test_unknown_model_name_is_a_usage_error(env, tmp_path, capsys):
    good = refiner(tmp_path / "good.pth")
    assert main(["models", "import", str(good), "--name", "no_such_model"]) == 2
    assert "known models" in one_line_error(capsys)
    assert list(env.iterdir()) == []


@pytest.mark.parametrize("file", ["../escape.pth", "/etc/evil.pth", "sub/dir.pth", "..", "", "a\\b.pth"])
def test_manifest_file_names_must_stay_in_the_models_folder(file):
    text = json.dumps({"format": 1, "models": [
        {"name": "x", "kind": "is5net", "file": file, "sha256": None}]})
    with pytest.raises(WeightsError, match="file"):
        manifest.parse_manifest(text, "manifest.json")


@pytest.mark.parametrize("text", [
    "{", "[]", '{"models": 3}', '{"models": [1]}', '{"models": [{"name": "x"}]}',
    '{"models": [{"name": "x", "kind": "is5net", "file": "x.pth", "size": "big"}]}',
    '{"models": [{"name": "x", "kind": "is5net", "file": "x.pth", "sha256": "zz"}]}',
    "[" * 100_000,
])
def test_malformed_manifest_is_one_weights_error(text):
    with pytest.raises(WeightsError) as info:
        manifest.parse_manifest(text, "manifest.json")
    assert "\n" not in str(info.value)


def test_broken_manifest_makes_models_list_fail_with_one_line(env, monkeypatch, capsys):
    def broken():
        raise WeightsError("model manifest manifest.json unreadable: invalid JSON")

    monkeypatch.setattr(manifest, "_entries", broken)
    assert main(["models", "list"]) == 1
    one_line_error(capsys)


SLOW_SERVER = """
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(10_000_000))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        try:
            for _ in range(2000):
                self.wfile.write(b"x" * 5000); self.wfile.flush(); time.sleep(0.05)
        except OSError:
            pass
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""

DOWNLOAD = """
import sys
from dis_annotator.engine.weights import manifest
from dis_annotator.engine.weights.manifest import ModelInfo
info = ModelInfo("dis_sam", "is5net", "dis_sam.pth", url=sys.argv[1], size=10_000_000, sha256="0" * 64)
manifest._entries = lambda: (info,)
from dis_annotator.cli import main
sys.exit(main(["models", "download", "dis_sam"]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child")
@pytest.mark.parametrize("after_s", [1.0, 3.0])
def test_ctrl_c_during_download_leaves_no_empty_temp_file(env, tmp_path, after_s):
    import os

    server = subprocess.Popen([sys.executable, "-c", SLOW_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        child_env = {**os.environ, "NO_PROXY": "127.0.0.1", "PYTHONPATH": str(REPO)}
        for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            child_env.pop(var, None)
        proc = subprocess.Popen(
            [sys.executable, "-c", DOWNLOAD, f"http://127.0.0.1:{port}/w.pth"], env=child_env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            # a shell's background job ignores SIGINT; a terminal's Ctrl+C does not
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (env / "dis_sam.pth.part").exists():
            time.sleep(0.05)
        time.sleep(after_s)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        server.kill()
        server.wait()
    assert proc.returncode == 130, err
    left = {p.name: p.stat().st_size for p in env.iterdir()}
    assert all(size > 0 for size in left.values()), left  # no empty temp or .part
    assert set(left) <= {"dis_sam.pth.part"}  # only the resumable partial download


def test_our_format_without_a_state_dict_is_refused_in_one_line(env, tmp_path, capsys):
    # found by tests/fuzz: a flipped byte renamed "state_dict" and import raised KeyError
    p = tmp_path / "odd.pth"
    torch.save({"format": "dis-annotator/1", "kind": "is5net", "config": {}, "rtate_dict": {}}, p)
    assert main(["models", "import", str(p), "--name", "is5net"]) == 1
    assert "state_dict" in one_line_error(capsys)
    assert list(env.iterdir()) == []
