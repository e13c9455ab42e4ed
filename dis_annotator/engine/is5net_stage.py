"""IS5Net refine stage (DIS-SAM's second stage): RGB + coarse mask + box → fine mask.

The net sees only a region of interest: the prompt box (or, without one, the coarse
mask's box) grown by ``margin`` × its size on every side, resized (aspect ignored, as
the reference) to ``size``². Input channels (see :func:`build_input`): RGB/255 − 0.5,
the coarse soft mask in [0, 1] and the filled box in {0, 1}. The finest side output is
resized back to the ROI and thresholded (docs/adr/0031). Outside the ROI the coarse
mask is kept (docs/adr/0030): the net never saw those pixels.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from dis_annotator.engine.device import pick_device
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.types import Box, ImageData, MaskOutput, Prompt, StageReport

if TYPE_CHECKING:
    from dis_annotator.engine.weights import ResolvedWeights

DEFAULT_SIZE = 1024
DEFAULT_MARGIN = 0.1
# Measured on held-out synthetic data (docs/adr/0031): 0.5 keeps thin parts that Otsu cuts.
DEFAULT_THRESHOLD = "0.5"
# Model names in the weights manifest, most specific first: a refiner the user trained
# or imported on purpose ("is5net") wins over the official DIS-SAM release ("dis_sam").
MODEL_NAMES = ("is5net", "dis_sam")


def _resize(a: np.ndarray, w: int, h: int) -> np.ndarray:
    """Area filter when shrinking (no aliasing of thin structures), bilinear otherwise."""
    shrinking = w * h < a.shape[0] * a.shape[1]
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(a, (w, h), interpolation=interp)


def box_channel(box: tuple[float, float, float, float], roi_w: int, roi_h: int, size: int) -> np.ndarray:
    """Filled box (x0, y0, x1, y1 in ROI pixels) drawn directly at ``size``²: float32 {0, 1}."""
    sx, sy = size / roi_w, size / roi_h
    x0, y0 = int(np.floor(box[0] * sx)), int(np.floor(box[1] * sy))
    x1, y1 = int(np.ceil(box[2] * sx)), int(np.ceil(box[3] * sy))
    out = np.zeros((size, size), np.float32)
    out[max(0, y0) : max(0, min(size, y1)), max(0, x0) : max(0, min(size, x1))] = 1.0
    return out


def build_input(
    rgb: np.ndarray, coarse: np.ndarray, box: tuple[float, float, float, float], size: int
) -> np.ndarray:
    """The net's input for one ROI: 5×size×size float32.

    ``rgb``: h×w×3 uint8; ``coarse``: h×w float in [0, 1]; ``box``: (x0, y0, x1, y1) in
    ROI pixels. Channels: RGB/255 − 0.5, coarse mask, filled box. Training
    (:mod:`dis_annotator.training.refiner_data`) uses this same function.
    """
    h, w = coarse.shape
    img = _resize(rgb, size, size).astype(np.float32) / 255.0 - 0.5
    m = np.clip(_resize(coarse.astype(np.float32), size, size), 0.0, 1.0)
    b = box_channel(box, w, h, size)
    return np.concatenate([img.transpose(2, 0, 1), m[None], b[None]], 0)


def otsu_threshold(prob: np.ndarray) -> float:
    """Otsu's threshold of a [0, 1] map (on 256 bins), as the DIS-SAM demo."""
    u8 = np.clip(prob * 255.0 + 0.5, 0, 255).astype(np.uint8)
    t, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(t) / 255.0


def binarize(prob: np.ndarray, threshold: str | float) -> np.ndarray:
    """``prob >= 0.5`` (or a given float), or ``prob > otsu`` for ``"otsu"``."""
    if threshold == "otsu":
        return prob > otsu_threshold(prob)
    return prob >= float(threshold)


def coarse_soft_map(coarse: MaskOutput, roi: tuple[int, int, int, int]) -> np.ndarray:
    """The coarse stage's belief over ``roi`` (x0, y0, x1, y1) as float32 in [0, 1].

    Uses ``coarse.prob`` over ``coarse.prob_box`` where it exists (resized to the box's
    pixel size if the stage stored it at another resolution), the binary mask elsewhere.
    """
    x0, y0, x1, y1 = roi
    out = coarse.mask[y0:y1, x0:x1].astype(np.float32)
    if coarse.prob is None or coarse.prob_box is None:
        return out
    px0, py0, px1, py1 = coarse.prob_box.int_bounds()
    prob = np.asarray(coarse.prob, dtype=np.float32)
    if prob.shape != (py1 - py0, px1 - px0):
        prob = cv2.resize(prob, (px1 - px0, py1 - py0), interpolation=cv2.INTER_LINEAR)
    ix0, iy0, ix1, iy1 = max(x0, px0), max(y0, py0), min(x1, px1), min(y1, py1)
    if ix1 > ix0 and iy1 > iy0:
        out[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = prob[
            iy0 - py0 : iy1 - py0, ix0 - px0 : ix1 - px0
        ]
    return np.clip(out, 0.0, 1.0)


class IS5NetStage:
    """:class:`~dis_annotator.engine.stages.RefineStage` running an ``ISNetDIS(in_ch=5)``."""

    name = "is5net"
    learned = True

    def __init__(
        self,
        net: Any,
        *,
        size: int = DEFAULT_SIZE,
        margin: float = DEFAULT_MARGIN,
        threshold: str | float = DEFAULT_THRESHOLD,
        device: str = "cpu",
        model: str = "is5net",
        checkpoint_sha256: str | None = None,
        use_roi: bool = True,
    ) -> None:
        import torch

        if getattr(net, "in_ch", 5) != 5:
            raise ValueError(f"the refiner needs a 5-channel IS-Net, got in_ch={net.in_ch}")
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self.size, self.margin, self.threshold = int(size), float(margin), threshold
        self.model, self.checkpoint_sha256 = model, checkpoint_sha256
        # False: the whole image is the ROI (the reference's behaviour; for comparisons).
        self.use_roi = use_roi

    def roi_for(self, box: Box, width: int, height: int) -> tuple[int, int, int, int]:
        """Integer ROI (x0, y0, x1, y1): ``box`` grown by ``margin``, clipped to the image."""
        if not self.use_roi:
            return (0, 0, width, height)
        return box.expanded(self.margin, width, height).int_bounds()

    def predict_prob(self, rgb: np.ndarray, coarse: np.ndarray, box: tuple[float, ...]) -> np.ndarray:
        """Refined probability over one ROI crop: h×w float32 (inputs as :func:`build_input`)."""
        import torch

        h, w = coarse.shape
        x = torch.from_numpy(build_input(rgb, coarse, box, self.size))[None].to(self.device)
        with torch.inference_mode():
            probs, _ = self.net(x)
        p = probs[0][0, 0].float().cpu().numpy()
        return np.clip(cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)

    def refine(self, image: ImageData, coarse: MaskOutput, prompt: Prompt) -> MaskOutput:
        t0 = time.perf_counter()
        H, W = image.height, image.width
        box = prompt.box if prompt.box is not None else Box.from_mask(coarse.mask)
        settings = {"size": self.size, "margin": self.margin, "threshold": str(self.threshold),
                    "width": getattr(self.net, "width", 1.0), "use_roi": self.use_roi}
        if box is None:  # nothing to refine and no box to look in
            return self._output(coarse, coarse.mask.copy(), None, None, t0, settings)
        box = box.clipped(W, H)
        roi = self.roi_for(box, W, H)
        x0, y0, x1, y1 = roi
        soft = coarse_soft_map(coarse, roi)
        local_box = (box.x0 - x0, box.y0 - y0, box.x1 - x0, box.y1 - y0)
        prob = self.predict_prob(image.array[y0:y1, x0:x1], soft, local_box)
        mask = coarse.mask.copy()
        mask[y0:y1, x0:x1] = binarize(prob, self.threshold)
        settings["roi"] = list(roi)
        return self._output(coarse, mask, prob, Box(x0, y0, x1, y1), t0, settings)

    def _output(self, coarse: MaskOutput, mask: np.ndarray, prob: np.ndarray | None,
                prob_box: Box | None, t0: float, settings: dict[str, Any]) -> MaskOutput:
        report = StageReport(
            stage="refine", name=self.name, learned=True,
            ms=(time.perf_counter() - t0) * 1e3, model=self.model,
            checkpoint_sha256=self.checkpoint_sha256, device=str(self.device),
            settings=settings,
        )
        return MaskOutput(mask=mask, prob=prob, prob_box=prob_box, score=coarse.score,
                          state=dict(coarse.state), report=report)


def find_weights() -> ResolvedWeights | None:
    """The refiner weights to use (hash-checked where a hash is published), or None.

    Our own trained refiner (``is5net``) wins over the official DIS-SAM checkpoint.
    """
    from dis_annotator.engine.weights import resolve_weights

    for name in MODEL_NAMES:
        found = resolve_weights(name)
        if found is not None:
            return found
    return None


def load_stage(
    path: str | os.PathLike[str],
    device: str | None = None,
    model: str = "is5net",
    *,
    checkpoint_sha256: str | None = None,
    **options: Any,
) -> IS5NetStage:
    """Build the stage from an official DIS-SAM state dict or one of our checkpoints.

    Our format carries ``config`` (``in_ch``, ``width``, ``size``); a bare state dict is
    the official full-width 5-channel net at 1024². Raises :class:`WeightsError` for
    anything that is not a matching 5-channel IS-Net. ``options`` are
    :class:`IS5NetStage`'s keyword arguments (``size``, ``margin``, ``threshold``, ``use_roi``).
    """
    from dis_annotator.engine.checkpoint import (
        FORMAT,
        load_checkpoint,
        load_into,
        sha256_file,
        state_dict_of,
    )
    from dis_annotator.nets.isnet import ISNetDIS

    obj = load_checkpoint(path)
    config: dict[str, Any] = {}
    if isinstance(obj, dict) and obj.get("format") == FORMAT:
        if obj.get("kind") != "is5net":
            raise WeightsError(f"{Path(path).name}: a {obj.get('kind')!r} checkpoint, not an IS5Net refiner")
        config = dict(obj.get("config") or {})
    sd = state_dict_of(obj)
    w = sd.get("conv_in.weight")
    if w is None or getattr(w, "ndim", 0) != 4 or w.shape[1] != 5:
        got = "no conv_in.weight" if w is None else f"conv_in.weight {tuple(w.shape)}"
        raise WeightsError(f"{Path(path).name}: not a 5-channel IS-Net refiner ({got})")
    try:
        net = ISNetDIS(in_ch=5, width=float(config.get("width", 1.0)))
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"{Path(path).name}: bad config ({exc})") from None
    load_into(net, sd, Path(path).name)
    options.setdefault("size", int(config.get("size", DEFAULT_SIZE)))
    return IS5NetStage(net, device=str(pick_device(device)), model=model,
                       checkpoint_sha256=checkpoint_sha256 or sha256_file(path), **options)


def load_default(*, device: str | None = None) -> IS5NetStage | None:
    """The refiner from the installed weights, None when there are none (factory contract)."""
    found = find_weights()
    if found is None:
        return None
    return load_stage(found.path, device=device, model=found.name, checkpoint_sha256=found.sha256)
