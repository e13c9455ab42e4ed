import torch

from dis_annotator.cli import main
from dis_annotator.engine.pisam_stage import load_pisam


def test_train_pisam_cli_both_stages_and_resume(tmp_path):
    common = ["--synthetic", "3", "--synthetic-size", "64", "--tiny-sam", "--tiny-sam-size",
              "64", "--batch-size", "2", "--cache", str(tmp_path / "cache"),
              "--val-fraction", "0.34", "--device", "cpu"]
    s1 = tmp_path / "s1.pth"
    assert main(["train", "pisam", "--stage", "1", "--epochs", "2", "--max-steps", "1",
                 "--out", str(s1), *common]) == 0
    dec, config, meta = load_pisam(s1, sam_model="tiny")
    assert meta["stage"] == 1 and meta["step"] == 1 and "iou_pisam" in meta["metrics"]
    assert config["frame"] == 64
    # resume: the interrupted run continues at step 1 of 2
    assert main(["train", "pisam", "--stage", "1", "--epochs", "2", "--resume", "--out", str(s1),
                 *common]) == 0
    assert load_pisam(s1)[2]["step"] == 2
    s2 = tmp_path / "s2.pth"
    assert main(["train", "pisam", "--stage", "2", "--epochs", "1", "--init", str(s1),
                 "--out", str(s2), *common]) == 0
    dec2, _, meta2 = load_pisam(s2)
    assert meta2["stage"] == 2 and "iou_after" in meta2["metrics"]
    sd1, sd2 = load_pisam(s1)[0].state_dict(), dec2.state_dict()
    assert all(torch.equal(sd1[k], sd2[k]) for k in sd1 if not k.startswith("interactor."))
    # stage 2 without a stage-1 checkpoint is a usage error
    assert main(["train", "pisam", "--stage", "2", "--out", str(s2), *common]) == 2


def test_train_pisam_cli_on_dis5k_layout(tmp_path):
    from dis_annotator.training.synth import write_dataset

    write_dataset(tmp_path / "data", 4, seed=0, size=(64, 64), splits={"DIS-TR": 0.5, "DIS-VD": 0.5})
    out = tmp_path / "s1.pth"
    args = ["train", "pisam", "--stage", "1", "--data", str(tmp_path / "data"),
            "--val-data", str(tmp_path / "data"), "--tiny-sam", "--tiny-sam-size", "64",
            "--epochs", "1", "--batch-size", "2", "--cache", str(tmp_path / "cache"),
            "--out", str(out), "--device", "cpu"]
    assert main(args) == 0
    meta = load_pisam(out)[2]
    assert meta["train_images"] == 2 and meta["val_images"] == 2
    assert main([*args[:-6], "--subset", "DIS-TE1", *args[-6:]]) == 2  # no such subset
