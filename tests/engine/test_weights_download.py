"""Downloads from a local HTTP server: resume, hash check, cancel, offline, web pages."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dis_annotator.engine import weights
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.weights import downloader as download_mod
from dis_annotator.engine.weights import manifest, paths
from dis_annotator.engine.weights.manifest import ModelInfo

PAYLOAD = os.urandom(300_000)
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


class Handler(BaseHTTPRequestHandler):
    """Serves PAYLOAD with HTTP Range support (``http.server`` alone has none)."""

    ranges: list[str | None] = []
    honour_range = True

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/page":
            body = b"<html>confirm download</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        rng = self.headers.get("Range")
        type(self).ranges.append(rng)
        start = 0
        if rng and self.honour_range:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(PAYLOAD):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def server(monkeypatch):
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    Handler.ranges = []
    Handler.honour_range = True
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
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
    monkeypatch.setattr(download_mod.ResumableDownloader, "chunk", 32 * 1024)
    return d


def entry(monkeypatch, url: str, sha256: str | None = DIGEST) -> None:
    info = ModelInfo("dis_sam", "is5net", "dis_sam.pth", url=url, size=len(PAYLOAD),
                     sha256=sha256, license="MIT")
    monkeypatch.setattr(manifest, "_entries", lambda: (info,))


def leftovers(d) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_truncated_download_is_resumed_and_verified(server, target_dir, monkeypatch):
    entry(monkeypatch, f"{server}/w.pth")
    part = target_dir / "dis_sam.pth.part"
    part.write_bytes(PAYLOAD[:123_456])  # an earlier, interrupted attempt
    seen = []
    path = weights.download("dis_sam", progress=lambda done, total: seen.append((done, total)))
    assert path == target_dir / "dis_sam.pth"
    assert path.read_bytes() == PAYLOAD
    assert Handler.ranges == ["bytes=123456-"]
    assert seen[0] == (123_456, len(PAYLOAD)) and seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert leftovers(target_dir) == ["dis_sam.pth"]
    # Installed and verified: a second call does not touch the network.
    assert weights.download("dis_sam") == path and len(Handler.ranges) == 1
    assert weights.verify("dis_sam")[0].status == "ok"


def test_server_ignoring_range_restarts_cleanly(server, target_dir, monkeypatch):
    entry(monkeypatch, f"{server}/w.pth")
    Handler.honour_range = False
    (target_dir / "dis_sam.pth.part").write_bytes(b"garbage" * 10)
    assert weights.download("dis_sam").read_bytes() == PAYLOAD


def test_bad_hash_is_discarded_not_installed(server, target_dir, monkeypatch):
    entry(monkeypatch, f"{server}/w.pth", sha256="f" * 64)
    with pytest.raises(WeightsError, match="SHA-256"):
        weights.download("dis_sam")
    assert leftovers(target_dir) == []  # neither the file nor a poisoned .part


def test_cancel_keeps_partial_for_resume(server, target_dir, monkeypatch):
    entry(monkeypatch, f"{server}/w.pth")
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(weights.DownloadCancelled):
        weights.download("dis_sam", should_cancel=cancel)
    part = target_dir / "dis_sam.pth.part"
    assert leftovers(target_dir) == ["dis_sam.pth.part"]
    assert part.read_bytes() == PAYLOAD[: 3 * 32 * 1024]
    assert weights.download("dis_sam").read_bytes() == PAYLOAD
    assert Handler.ranges[-1] == f"bytes={3 * 32 * 1024}-"


def test_offline_message_explains_manual_import(target_dir, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    entry(monkeypatch, f"http://127.0.0.1:{port}/w.pth")
    with pytest.raises(weights.DownloadError) as exc:
        weights.download("dis_sam", timeout=5)
    msg = str(exc.value)
    assert "\n" not in msg
    assert "models import dis_sam.pth --name dis_sam" in msg and "HTTPS_PROXY" in msg
    assert leftovers(target_dir) == []


def test_web_page_instead_of_file(server, target_dir, monkeypatch):
    entry(monkeypatch, f"{server}/page")
    with pytest.raises(weights.DownloadError, match="web page"):
        weights.download("dis_sam")
    assert leftovers(target_dir) == []


def test_no_url_means_manual_download(target_dir, monkeypatch):
    info = ModelInfo("dis_sam", "is5net", "dis_sam.pth", page="https://example.org/folder")
    monkeypatch.setattr(manifest, "_entries", lambda: (info,))
    with pytest.raises(weights.DownloadError, match="https://example.org/folder"):
        weights.download("dis_sam")
