"""The torchvision-free SAM import, in both situations (docs/adr/0003).

Without torchvision (this CPU machine) or with a broken one, the model code imports and
``SamPredictor`` is unavailable; with a working torchvision the normal package import is
used and our stage equals ``SamPredictor``. The working case runs in a subprocess with a
small stand-in ``torchvision`` providing exactly what segment_anything imports
(``transforms.functional.resize/to_pil_image`` on PIL images, ``ops.boxes``).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

FAKE_FUNCTIONAL = '''
import numpy as np
from PIL import Image

def to_pil_image(pic, mode=None):
    return Image.fromarray(np.asarray(pic), mode)

def resize(img, size, interpolation=None):
    # torchvision resizes a PIL image with PIL's bilinear filter by default
    return img.resize((size[1], size[0]), Image.BILINEAR)
'''

FAKE_BOXES = '''
def batched_nms(*args, **kwargs):
    raise NotImplementedError("stand-in torchvision: no NMS")

def box_area(*args, **kwargs):
    raise NotImplementedError("stand-in torchvision: no box_area")
'''


def make_torchvision(root: Path, broken: bool = False) -> Path:
    pkg = root / "torchvision"
    (pkg / "transforms").mkdir(parents=True)
    (pkg / "ops").mkdir()
    init = 'raise RuntimeError("operator torchvision::nms does not exist")\n' if broken else (
        '__version__ = "0.0+stand-in"\n'
    )
    (pkg / "__init__.py").write_text(init)
    (pkg / "transforms" / "__init__.py").write_text("")
    (pkg / "transforms" / "functional.py").write_text(FAKE_FUNCTIONAL)
    (pkg / "ops" / "__init__.py").write_text("")
    (pkg / "ops" / "boxes.py").write_text(FAKE_BOXES)
    return root


def run_py(code: str, extra_path: Path | None = None) -> subprocess.CompletedProcess:
    path = [str(REPO)] + ([str(extra_path)] if extra_path else [])
    # one thread: these tiny runs gain nothing from more, and the machine is shared
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True,
        text=True, timeout=300,
    )


ABSENT_CHECK = """
    import sys
    from dis_annotator.nets import sam_import
    assert sam_import.HAS_TORCHVISION is False
    assert sam_import.sam_predictor_class() is None
    assert not hasattr(sys.modules["segment_anything"], "SamPredictor")
    assert sam_import.sam_model_registry["vit_b"].__name__ == "build_sam_vit_b"
    assert sam_import.ImageEncoderViT.__module__.startswith("segment_anything.modeling")
    print("OK")
"""


@pytest.mark.skipif(importlib.util.find_spec("torchvision") is not None, reason="torchvision here")
def test_absent_torchvision_in_process():
    from dis_annotator.nets import sam_import

    assert sam_import.HAS_TORCHVISION is False
    assert sam_import.sam_predictor_class() is None
    assert sam_import.Sam.__name__ == "Sam"


def test_broken_torchvision_falls_back(tmp_path):
    res = run_py(ABSENT_CHECK, make_torchvision(tmp_path, broken=True))
    assert res.returncode == 0 and "OK" in res.stdout, res.stderr


def test_working_torchvision_takes_the_normal_path_and_matches_predictor(tmp_path):
    code = """
    import sys
    import numpy as np
    from dis_annotator.nets import sam_import
    assert sam_import.HAS_TORCHVISION is True
    import segment_anything
    cls = sam_import.sam_predictor_class()
    assert cls is segment_anything.SamPredictor
    assert sys.modules["torchvision"].__version__ == "0.0+stand-in"
    assert "SamPredictor" in vars(segment_anything)  # the package __init__ really ran

    from dis_annotator.engine.types import Box, ImageData, Point, Prompt
    from tests.engine.sam_tiny import make_image, sam_stage, tiny_sam

    sam = tiny_sam()
    img = make_image(200, 260, seed=5)
    stage = sam_stage(sam)
    image = ImageData(img)
    pred = cls(sam)
    pred.set_image(img)
    assert np.array_equal(pred.features.numpy(), stage.backbone.embedding(image).features.numpy())
    box = np.array([40.0, 30.0, 200.0, 170.0])
    logits, iou, low = pred.predict(box=box, multimask_output=True, return_logits=True)
    out = stage.predict(image, Prompt(box=Box(*box)), None)
    best = int(np.argmax(iou))
    assert np.array_equal(out.mask, logits[best] > 0)
    assert np.array_equal(out.state["sam_logits"], low[best:best + 1])
    assert out.score == float(iou[best])
    pts = np.array([[100.0, 90.0], [60.0, 150.0]])
    lab = np.array([1, 0])
    logits2, iou2, low2 = pred.predict(point_coords=pts, point_labels=lab, box=box,
        mask_input=out.state["sam_logits"], multimask_output=False, return_logits=True)
    out2 = stage.predict(image, Prompt(box=Box(*box), points=(Point(100, 90, True),
        Point(60, 150, False))), out)
    assert np.array_equal(out2.mask, logits2[0] > 0)
    assert np.array_equal(out2.state["sam_logits"], low2)
    print("OK")
    """
    res = run_py(code, make_torchvision(tmp_path))
    assert res.returncode == 0 and "OK" in res.stdout, res.stderr[-3000:]
