"""Which SAM ``auto`` loads (CPU vs GPU) and what the first-run offer recommends."""

from __future__ import annotations

import pytest

from dis_annotator.engine import sam_backbone, weights
from dis_annotator.engine.checkpoint import save_checkpoint, sha256_file
from dis_annotator.engine.device import pick_device
from dis_annotator.engine.factory import build_pipeline
from dis_annotator.engine.sam_choice import CPU_ORDER, GPU_ORDER, auto_order, recommended_sam
from dis_annotator.engine.weights import manifest, paths
from dis_annotator.engine.weights.manifest import ModelInfo
from tests.engine.sam_tiny import TINY_T, save_tiny, tiny_sam_t


@pytest.fixture()
def dirs(tmp_path, monkeypatch):
    env = tmp_path / "env"
    env.mkdir()
    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(env))
    monkeypatch.setenv("DIS_ANNOTATOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(paths, "repo_models_dir", lambda: None)
    return env


def test_orders():
    assert auto_order("cpu") == CPU_ORDER == ("sam_vit_b", "mobile_sam", "sam_vit_l", "sam_vit_h")
    assert auto_order("cuda") == auto_order("cuda:1") == auto_order("mps") == GPU_ORDER
    assert GPU_ORDER[0] == "sam_vit_h" and GPU_ORDER[-1] == "mobile_sam"
    for name in CPU_ORDER:
        manifest.get(name)  # every name is in the manifest


@pytest.mark.parametrize("device, first", [("cpu", "sam_vit_b"), ("cuda", "sam_vit_h")])
def test_load_default_asks_in_device_order(monkeypatch, device, first):
    asked = []
    monkeypatch.setattr(weights, "resolve_weights", lambda name: asked.append(name))
    assert sam_backbone.load_default(device=device) is None
    assert asked == list(auto_order(device)) and asked[0] == first
    asked.clear()
    assert sam_backbone.load_default(device=device, sam_model="auto") is None
    assert asked == list(auto_order(device))


def test_cpu_auto_takes_mobile_sam_until_vit_b_is_installed(dirs, monkeypatch, tmp_path):
    t_file = tmp_path / "t.pth"
    save_checkpoint(t_file, "sam", tiny_sam_t().state_dict(), config=TINY_T.to_dict())
    b_file = save_tiny(tmp_path / "b.pth")
    real = {e.name: e for e in manifest.entries()}
    real["mobile_sam"] = ModelInfo("mobile_sam", "sam", "m.pt", sha256=sha256_file(t_file),
                                   aliases=("vit_t", "mobilesam"))
    real["sam_vit_b"] = ModelInfo("sam_vit_b", "sam", "b.pth", sha256=sha256_file(b_file))
    monkeypatch.setattr(manifest, "_entries", lambda: tuple(real.values()))
    weights.import_model(t_file, "mobile_sam")
    pipe = build_pipeline(device="cpu")
    assert pipe.coarse.name == "sam-vit_t" and pipe.corrector is None
    assert any("Pi-SAM needs SAM ViT-B" in n for n in pipe.notes)
    weights.import_model(b_file, "sam_vit_b")
    assert sam_backbone.load_default(device="cpu").model_type == "vit_b"
    # Named explicitly (settings / options): MobileSAM even with vit_b installed.
    for name in ("vit_t", "mobilesam", "mobile_sam"):
        assert sam_backbone.load_default(device="cpu", sam_model=name).model_type == "vit_t"
    assert sam_backbone.load_default(device="cpu", sam_model="auto").model_type == "vit_b"
    named = build_pipeline(device="cpu", sam_model="mobile_sam")
    assert named.stage_names["coarse"] == "sam-vit_t"


def test_recommendation_cpu_and_gpu():
    cpu = recommended_sam("cpu")
    assert cpu.name == "mobile_sam"
    assert cpu.blurb == "MobileSAM: 41 MB, about 1–2 s per image on CPU"
    assert [a.name for a in cpu.alternatives] == ["sam_vit_b"]
    assert "375 MB" in cpu.alternatives[0].blurb
    gpu = recommended_sam("cuda")
    assert gpu.name == "sam_vit_b" and "375 MB" in gpu.blurb
    assert [a.name for a in gpu.alternatives] == ["mobile_sam"]
    assert recommended_sam("mps").name == "sam_vit_b"
    assert recommended_sam().name == ("mobile_sam" if pick_device().type == "cpu"
                                      else "sam_vit_b")
