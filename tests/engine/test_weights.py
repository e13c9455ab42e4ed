"""Model manager: manifest, search order, import/verify/remove, safe loading, SAM through it."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from dis_annotator.engine import sam_backbone, weights
from dis_annotator.engine.checkpoint import save_checkpoint, sha256_file
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.sam_stage import SamCoarseStage
from dis_annotator.engine.types import Box, ImageData, Prompt
from dis_annotator.engine.weights import manifest, paths
from dis_annotator.engine.weights.manifest import ModelInfo
from tests.engine.sam_tiny import TINY, make_image, save_tiny, tiny_refiner, tiny_sam


@pytest.fixture()
def dirs(tmp_path, monkeypatch):
    env = tmp_path / "env"
    data = tmp_path / "data"
    env.mkdir()
    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(env))
    monkeypatch.setenv("DIS_ANNOTATOR_DATA_DIR", str(data))
    monkeypatch.setattr(paths, "repo_models_dir", lambda: None)
    return {"env": env, "user": data / "models", "tmp": tmp_path}


def use_entries(monkeypatch, *extra: ModelInfo) -> None:
    """The real manifest with some entries replaced (matched by name)."""
    real = {e.name: e for e in manifest.entries()}
    for e in extra:
        real[e.name] = e
    monkeypatch.setattr(manifest, "_entries", lambda: tuple(real.values()))


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory) -> Path:
    return save_tiny(tmp_path_factory.mktemp("ckpt") / "tiny_sam.pth")


class Evil:
    """Unpickling this would create ``marker`` (it must never happen)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_manifest_lists_the_known_models():
    by_name = {m.name: m for m in weights.list_models()}
    assert {"sam_vit_b", "sam_vit_l", "sam_vit_h", "isnet", "dis_sam", "is5net",
            "pisam_vit_b"} <= set(by_name)
    b = by_name["sam_vit_b"]
    assert b.size == 375042383 and b.license == "Apache-2.0"
    assert b.sha256 == "ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912"
    assert b.url == "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth"
    assert by_name["sam_vit_h"].sha256.startswith("a7bf3b02")
    assert by_name["isnet"].sha256 is None and by_name["dis_sam"].sha256 is None
    assert by_name["is5net"].local_only and by_name["pisam_vit_b"].url is None
    assert weights.get("vit_l").name == "sam_vit_l"
    with pytest.raises(WeightsError, match="known models"):
        weights.get("nope")


def test_search_order_env_then_repo_then_user(dirs, monkeypatch, tmp_path):
    repo = tmp_path / "repo_models"
    repo.mkdir()
    monkeypatch.setattr(paths, "repo_models_dir", lambda: repo)
    assert weights.search_dirs() == [dirs["env"], repo, dirs["user"]]
    assert weights.locate("sam_vit_b") is None
    dirs["user"].mkdir(parents=True)
    for d in (dirs["user"], repo, dirs["env"]):
        (d / "sam_vit_b_01ec64.pth").write_bytes(b"x")
    assert weights.locate("sam_vit_b") == dirs["env"] / "sam_vit_b_01ec64.pth"
    (dirs["env"] / "sam_vit_b_01ec64.pth").unlink()
    assert weights.locate("vit_b") == repo / "sam_vit_b_01ec64.pth"
    monkeypatch.delenv("DIS_ANNOTATOR_MODELS")
    assert weights.download_dir() == dirs["user"]


def test_nothing_installed(dirs):
    assert sam_backbone.load_default() is None
    assert "none installed" in weights.installed_summary()
    assert weights.verify() == []
    assert weights.verify("sam_vit_b")[0].status == "missing"


def test_sam_saved_and_reloaded_through_the_manager(dirs, monkeypatch, tiny_file):
    digest = sha256_file(tiny_file)
    size = tiny_file.stat().st_size
    use_entries(monkeypatch, ModelInfo("sam_vit_b", "sam", "sam_vit_b_01ec64.pth",
                                       size=size, sha256=digest, license="Apache-2.0"))
    target = weights.import_model(tiny_file, "sam_vit_b")
    assert target == dirs["env"] / "sam_vit_b_01ec64.pth" and sha256_file(target) == digest
    assert [r.status for r in weights.verify()] == ["ok"]
    assert "sam_vit_b" in weights.installed_summary()
    stage = sam_backbone.load_default(device="cpu")
    assert stage is not None and stage.checkpoint_sha256 == digest
    ref = tiny_sam()
    for k, v in ref.state_dict().items():
        assert torch.equal(stage.model.state_dict()[k], v), k
    img = ImageData(make_image(120, 160))
    out = SamCoarseStage(stage).predict(img, Prompt(box=Box(20, 20, 100, 90)), None)
    assert out.report.checkpoint_sha256 == digest and out.mask.shape == (120, 160)
    # A later change to the file is caught before use.
    with open(target, "r+b") as fh:
        fh.seek(100)
        fh.write(b"\0" * 8)
    with pytest.raises(WeightsError, match="refused"):
        sam_backbone.load_default(device="cpu")
    assert weights.verify("sam_vit_b")[0].status == "mismatch"
    assert weights.remove("sam_vit_b") == [target] and not target.exists()
    assert sam_backbone.load_default() is None


def test_import_refuses_a_wrong_hash(dirs, monkeypatch, tiny_file):
    use_entries(monkeypatch, ModelInfo("sam_vit_b", "sam", "sam_vit_b_01ec64.pth",
                                       sha256="0" * 64))
    with pytest.raises(WeightsError, match="mismatch"):
        weights.import_model(tiny_file, "sam_vit_b")
    assert not any(dirs["env"].iterdir())


def test_unpublished_hash_is_reported_unverified(dirs, tiny_file, tmp_path):
    with pytest.raises(WeightsError, match="not a matching checkpoint|not is5net"):
        weights.import_model(tiny_file, "dis_sam")  # a SAM file is no refiner
    target = weights.import_model(tiny_refiner(tmp_path / "r.pth"), "dis_sam")  # sha256 null
    res = weights.verify("dis_sam")[0]
    assert res.status == "unverified" and res.usable and res.path == target
    target.write_bytes(target.read_bytes()[:1000])
    assert weights.verify("dis_sam")[0].status == "unreadable"


def test_malicious_pickle_refused_without_executing(dirs, tmp_path):
    marker = tmp_path / "PWNED"
    evil = tmp_path / "evil.pth"
    torch.save({"image_encoder.patch_embed.proj.weight": Evil(str(marker))}, evil)
    assert not marker.exists()
    with pytest.raises(WeightsError, match="refused"):
        sam_backbone.load_default(sam_model=str(evil))
    with pytest.raises(WeightsError):
        weights.import_model(evil, "is5net")
    assert not marker.exists()
    assert not (dirs["env"] / "is5net.pth").exists()
    raw = tmp_path / "evil.pkl"
    raw.write_bytes(pickle.dumps(Evil(str(marker)), protocol=2))
    with pytest.raises(WeightsError):
        sam_backbone.load_default(sam_model=str(raw))
    assert not marker.exists()
    # The payload is real: a plain unpickle does run it.
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(Evil(str(control)))).close()
    assert control.exists()


def test_wrong_keys_and_shapes_refused_in_one_line(tmp_path):
    sd = tiny_sam().state_dict()
    missing = dict(sd)
    missing.pop("mask_decoder.iou_token.weight")
    p1 = tmp_path / "missing.pth"
    save_checkpoint(p1, "sam", missing, config=TINY.to_dict())
    with pytest.raises(WeightsError, match="missing keys") as e1:
        sam_backbone.load_backbone(str(p1), device="cpu")
    assert "\n" not in str(e1.value)
    wrong = dict(sd)
    wrong["mask_decoder.iou_token.weight"] = torch.zeros(3, 3)
    p2 = tmp_path / "wrong.pth"
    save_checkpoint(p2, "sam", wrong, config=TINY.to_dict())
    with pytest.raises(WeightsError, match="wrong shapes"):
        sam_backbone.load_backbone(str(p2), device="cpu")
    p3 = tmp_path / "other.pth"
    save_checkpoint(p3, "is5net", {"w": torch.zeros(1)})
    with pytest.raises(WeightsError, match="not SAM"):
        sam_backbone.load_backbone(str(p3), device="cpu")
    p4 = tmp_path / "bare.pth"
    torch.save({"image_encoder.patch_embed.proj.weight": torch.zeros(40, 3, 16, 16)}, p4)
    with pytest.raises(WeightsError, match="not vit_b/l/h"):
        sam_backbone.load_backbone(str(p4), device="cpu")


def test_import_guesses_the_name(dirs, tmp_path):
    p = tiny_refiner(tmp_path / "my_refiner.pth")
    assert weights.import_model(p) == dirs["env"] / "is5net.pth"
    q = tmp_path / "random.pth"
    torch.save({"w": torch.zeros(2)}, q)
    with pytest.raises(WeightsError, match="--name"):
        weights.import_model(q)
    bad = tmp_path / "bad_refiner.pth"
    save_checkpoint(bad, "is5net", {"w": torch.arange(3.0)})  # our format, wrong tensors
    with pytest.raises(WeightsError, match="missing keys"):
        weights.import_model(bad)
    got = torch.load(dirs["env"] / "is5net.pth", weights_only=True)["state_dict"]
    want = torch.load(p, weights_only=True)["state_dict"]
    assert got.keys() == want.keys() and all(torch.equal(got[k], want[k]) for k in want)


def test_load_default_prefers_vit_b_unless_told(dirs, monkeypatch, tiny_file):
    digest = sha256_file(tiny_file)
    use_entries(
        monkeypatch,
        ModelInfo("sam_vit_b", "sam", "b.pth", sha256=digest),
        ModelInfo("sam_vit_l", "sam", "l.pth", sha256=digest),
    )
    weights.import_model(tiny_file, "sam_vit_l")
    assert sam_backbone.load_default().checkpoint.endswith("l.pth")
    weights.import_model(tiny_file, "sam_vit_b")
    assert sam_backbone.load_default().checkpoint.endswith("b.pth")
    assert sam_backbone.load_default(sam_model="sam_vit_l").checkpoint.endswith("l.pth")
    assert sam_backbone.load_default(sam_model="sam_vit_h") is None
    stage = sam_backbone.load_default(crop_to_box=True, cpu_bf16=True)
    assert stage.crop.enabled and stage.cpu_bf16
    with pytest.raises(TypeError):  # loaders take explicit options; a typo is an error
        sam_backbone.load_default(crop_to_box=True, unknown_option=1)
