"""Downloads with pooch: resume, progress, cancellation, hash check before use.

``pooch.retrieve`` gives the well-tested parts — it downloads into a temporary file
beside the target, checks the SHA-256 and only then moves the file into place, so a
half-written or wrong file never sits under the final name. Pooch itself cannot resume,
so its downloader is :class:`ResumableDownloader`: bytes accumulate in ``<file>.part``
across attempts (HTTP Range requests via requests), and the finished ``.part`` is handed
to pooch for the check. A failed hash discards the data, never resumes from it.
Entries identified by a git blob id instead (pooch knows no such hash) are checked by the
downloader itself on the finished ``.part``, before pooch sees it (docs/adr/0111).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.weights import hashes, manifest
from dis_annotator.engine.weights.paths import download_dir

Progress = Callable[[int, int | None], None]  # (bytes done, total or None)


class DownloadCancelled(Exception):
    """The caller asked to stop; the ``.part`` file is kept for a later resume."""


class DownloadError(WeightsError):
    """Network or server failure, with instructions for a manual download."""


def manual_hint(info: manifest.ModelInfo) -> str:
    src = info.url or info.page or "the publisher's page"
    return (
        f"Download it by hand from {src} (browser, or: curl -L -o {info.file} URL), "
        f"then run: dis-annotator models import {info.file} --name {info.name}. "
        "Behind a proxy, set HTTPS_PROXY (e.g. https://user:pass@proxy:3128) and retry."
    )


def _drop_if_empty(path: Path) -> None:
    try:
        if path.stat().st_size == 0:
            path.unlink()
    except OSError:
        pass


# pooch's temporary download file (NamedTemporaryFile's default "tmp" + 8 characters).
# Ours is always empty or being hash-checked; one older than this was left by a killed
# process (SIGKILL skips pooch's clean-up).
_POOCH_TMP = re.compile(r"^tmp[a-z0-9_]{8}$")
POOCH_TMP_AGE_S = 3600.0


def remove_stale_downloads(folder: Path) -> list[Path]:
    """Delete pooch temp files and empty ``.part`` files a killed download left."""
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for e in entries:
        p = Path(e.path)
        try:
            st = e.stat()
        except OSError:
            continue
        stale_tmp = _POOCH_TMP.match(e.name) and now - st.st_mtime > POOCH_TMP_AGE_S
        empty_part = e.name.endswith(".part") and st.st_size == 0
        if e.is_file() and (stale_tmp or empty_part):
            try:
                p.unlink()
            except OSError:
                continue
            removed.append(p)
    return removed


class ResumableDownloader:
    """pooch downloader callable that appends to a persistent ``.part`` file."""

    chunk = 1 << 16  # small enough that an interrupted download keeps most of what arrived

    def __init__(
        self,
        part: Path,
        expected_size: int | None = None,
        progress: Progress | None = None,
        should_cancel: Callable[[], bool] | None = None,
        timeout: float = 30.0,
        verify: Callable[[Path], None] | None = None,
    ) -> None:
        self.verify = verify  # raises for a bad finished file
        self.part = part
        self.expected_size = expected_size
        self.progress = progress
        self.should_cancel = should_cancel
        self.timeout = timeout

    def __call__(self, url: str, output_file: Any, _pooch: Any, check_only: bool = False) -> Any:
        import requests

        if check_only:
            return requests.head(url, allow_redirects=True, timeout=self.timeout).ok
        done = self.part.stat().st_size if self.part.exists() else 0
        if self.expected_size is not None and done > self.expected_size:
            self.part.unlink()
            done = 0
        if self.expected_size is None or done < self.expected_size:
            self._fetch(url, done)
        if self.verify is not None:
            try:
                self.verify(self.part)
            except Exception:
                self.part.unlink(missing_ok=True)  # never resume from rejected bytes
                raise
        os.replace(self.part, os.fspath(output_file))
        return None

    def _fetch(self, url: str, done: int) -> None:
        import requests

        headers = {"Range": f"bytes={done}-"} if done else {}
        with requests.get(url, headers=headers, stream=True, timeout=self.timeout) as r:
            if done and r.status_code == 416:
                return  # nothing left to send: the .part is complete
            if r.status_code not in (200, 206):
                raise DownloadError(f"{url}: HTTP {r.status_code} {r.reason}")
            if "text/html" in r.headers.get("Content-Type", ""):
                raise DownloadError(
                    f"{url} answered with a web page instead of the file "
                    "(a login, captcha, proxy or 'confirm download' page)"
                )
            mode = "ab"
            if done and r.status_code == 200:
                done, mode = 0, "wb"  # server ignored Range: start over
            elif done and not r.headers.get("Content-Range", "").startswith(f"bytes {done}-"):
                raise DownloadError(f"{url}: server resumed at the wrong offset")
            length = r.headers.get("Content-Length")
            total = done + int(length) if length is not None else self.expected_size
            try:
                with open(self.part, mode) as fh:
                    if self.progress:
                        self.progress(done, total)
                    for block in r.iter_content(self.chunk):
                        if self.should_cancel is not None and self.should_cancel():
                            raise DownloadCancelled(f"cancelled; {done} bytes kept in {self.part}")
                        fh.write(block)
                        done += len(block)
                        if self.progress:
                            self.progress(done, total)
            except BaseException:
                # Ctrl+C, cancel, a network error: what arrived is kept (closing the file
                # flushed it) for a later resume; an empty .part is worth nothing.
                _drop_if_empty(self.part)
                raise


def download(
    name: str,
    progress: Progress | None = None,
    should_cancel: Callable[[], bool] | None = None,
    timeout: float = 30.0,
) -> Path:
    """Fetch ``name`` into the download folder and return its verified path.

    Raises :class:`DownloadError` (with manual-download instructions) when offline, behind
    a proxy, or the server fails; :class:`WeightsError` for a hash mismatch;
    :class:`DownloadCancelled` when ``should_cancel()`` turns True (resumable later).
    """
    import pooch
    import requests

    pooch.get_logger().setLevel("WARNING")  # our own progress/messages, not pooch's
    info = manifest.get(name)
    if info.url is None:
        raise DownloadError(f"{info.name}: no direct download link; " + manual_hint(info))
    target_dir = download_dir()
    target = target_dir / info.file
    from dis_annotator.engine.weights.registry import check_download, check_file

    if target.is_file():
        if check_file(info, target).usable:
            return target
        if info.git_blob and not info.sha256:
            # Without a known SHA-256 pooch would keep the existing file, not fetch anew.
            target.unlink()
            hashes.forget(target)
    remove_stale_downloads(target_dir)
    part = target_dir / f"{info.file}.part"
    checked: dict[str, str] = {}

    def blob_check(p: Path) -> None:
        res = check_download(info, p)
        if res.status != "ok":
            raise WeightsError(
                f"{info.name}: downloaded file failed the git blob check and was "
                f"discarded ({res.detail})"
            )
        checked["sha256"] = str(res.sha256)

    by_blob = bool(info.git_blob and not info.sha256)
    downloader = ResumableDownloader(
        part, info.size, progress, should_cancel, timeout,
        verify=blob_check if by_blob else None,
    )
    known = f"sha256:{info.sha256}" if info.sha256 else None
    try:
        path = pooch.retrieve(
            info.url, known_hash=known, fname=info.file, path=target_dir,
            downloader=downloader, progressbar=False,
        )
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        kind = "proxy refused the connection" if isinstance(
            exc, requests.exceptions.ProxyError
        ) else "cannot reach the server (offline?)"
        kept = f"; {part.stat().st_size} bytes kept in {part.name}" if part.exists() else ""
        raise DownloadError(
            f"{info.name}: {kind} ({type(exc).__name__}){kept}. " + manual_hint(info)
        ) from None
    except requests.exceptions.RequestException as exc:
        raise DownloadError(f"{info.name}: {exc}; " + manual_hint(info)) from None
    except ValueError as exc:
        if "hash" in str(exc).lower():
            raise WeightsError(
                f"{info.name}: downloaded file failed the SHA-256 check and was discarded"
            ) from None
        raise
    result = Path(path)
    if info.sha256:
        hashes.remember(result, info.sha256)
    elif checked:
        hashes.remember(result, checked["sha256"], info.git_blob)
    return result
