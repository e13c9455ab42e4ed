"""``dis-annotator data synth`` / ``data coarse-masks`` end to end (in-process CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from dis_annotator.cli import main
from dis_annotator.engine.types import Box, MaskOutput
from dis_annotator.training.coarse_masks import CoarseMaskWriter, SamSource, pick_coarse_source
from dis_annotator.training.dis5k import coarse_path, enrich_components, list_pairs, read_coarse


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    rc = main(["data", "synth", "--out", str(root), "-n", "6", "--seed", "4",
               "--size", "128", "96", "--splits", "DIS-TR=0.5,DIS-VD=0.5"])
    assert rc == 0
    return root


def test_synth_writes_the_layout(synth_root: Path) -> None:
    tr, vd = list_pairs(synth_root, "DIS-TR"), list_pairs(synth_root, "DIS-VD")
    assert len(tr) == 3 and len(vd) == 3
    im = cv2.imread(str(tr[0][0]))
    assert im.shape == (96, 128, 3)


def test_synth_usage_errors(tmp_path: Path) -> None:
    assert main(["data", "synth", "--out", str(tmp_path), "-n", "2", "--kinds", "teapot"]) == 2
    assert main(["data", "synth", "--out", str(tmp_path), "-n", "0"]) == 2
    assert main(["data", "synth", "--out", str(tmp_path), "-n", "2", "--splits", "A=-1"]) == 2


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_coarse_masks_classical_layout_resume_and_determinism(synth_root: Path) -> None:
    assert main(["data", "coarse-masks", "--data", str(synth_root), "--engine", "classical"]) == 0
    ious = []
    for subset in ("DIS-TR", "DIS-VD"):
        index = json.loads((synth_root / subset / "coarse" / "index.json").read_text())
        for im, gt in list_pairs(synth_root, subset):
            comps = enrich_components(cv2.imread(str(gt), cv2.IMREAD_GRAYSCALE))
            assert index["samples"][im.stem]["n"] == len(comps) >= 1
            for k, comp in enumerate(comps):
                m = read_coarse(coarse_path(synth_root, subset, im.stem, k))
                assert m.shape == comp.shape
                ious.append(_iou(m > 0.5, comp))
            assert not coarse_path(synth_root, subset, im.stem, len(comps)).exists()
    assert 0.1 < np.mean(ious) < 0.9  # coarse but related to the GT
    first = sorted((synth_root / "DIS-TR" / "coarse").glob("*.png"))
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in first}
    # a second run keeps existing files; --overwrite recomputes the same bytes (seeded)
    assert main(["data", "coarse-masks", "--data", str(synth_root), "--engine", "classical",
                 "--subsets", "DIS-TR"]) == 0
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in first} == before
    assert main(["data", "coarse-masks", "--data", str(synth_root), "--engine", "classical",
                 "--subsets", "DIS-TR", "--overwrite"]) == 0
    assert {p: p.read_bytes() for p in first} == {p: b for p, (_, b) in before.items()}


def test_coarse_masks_out_dir_and_usage_errors(synth_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    assert main(["data", "coarse-masks", "--data", str(synth_root), "--out", str(out),
                 "--engine", "classical", "--subsets", "DIS-VD"]) == 0
    assert (out / "DIS-VD" / "coarse" / "index.json").is_file()
    assert not (out / "DIS-TR").exists()
    assert main(["data", "coarse-masks", "--data", str(tmp_path / "empty")]) == 2
    assert main(["data", "coarse-masks", "--data", str(synth_root), "--engine", "classical",
                 "--subsets", "DIS-TE4"]) == 2


class _BoxStage:
    """A coarse stage whose answer is the prompt box itself (exercises the SAM plumbing)."""

    name = "box"
    learned = True

    def __init__(self) -> None:
        self.prepared = 0

    def prepare(self, image, is_current=None) -> None:  # noqa: ANN001
        self.prepared += 1

    def predict(self, image, prompt, previous) -> MaskOutput:  # noqa: ANN001
        x0, y0, x1, y1 = prompt.box.int_bounds()
        mask = np.zeros((image.height, image.width), bool)
        mask[y0:y1, x0:x1] = True
        pb = Box(max(0, x0 - 2), max(0, y0 - 2), min(image.width, x1 + 2), min(image.height, y1 + 2))
        bx0, by0, bx1, by1 = pb.int_bounds()
        prob = mask[by0:by1, bx0:bx1].astype(np.float32) * 0.9
        return MaskOutput(mask=mask, prob=prob, prob_box=pb)


def test_learned_source_is_prompted_with_each_component_box(synth_root: Path, tmp_path: Path) -> None:
    stage = _BoxStage()
    writer = CoarseMaskWriter(SamSource(stage), out_root=tmp_path)
    stats = writer.run(synth_root, "DIS-VD")
    assert stats["failed"] == 0 and stats["images"] == 3 and stage.prepared == 3
    for im, gt in list_pairs(synth_root, "DIS-VD"):
        comps = enrich_components(cv2.imread(str(gt), cv2.IMREAD_GRAYSCALE))
        for k, comp in enumerate(comps):
            m = read_coarse(coarse_path(tmp_path, "DIS-VD", im.stem, k))
            rows, cols = np.flatnonzero(comp.any(1)), np.flatnonzero(comp.any(0))
            inside = m[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
            assert np.allclose(inside, 0.9, atol=1 / 255)  # the prob map over the box
            assert m.sum() == pytest.approx(inside.sum())  # nothing outside the box


def test_classical_engine_never_builds_a_pipeline() -> None:
    src = pick_coarse_source("classical")
    assert not src.needs_image and "degradation" in src.describe()
