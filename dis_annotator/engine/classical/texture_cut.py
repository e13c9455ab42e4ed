"""GrabCut on colour and texture: the click corrector's window cut (docs/adr/0170).

OpenCV's ``grabCut`` models three 8-bit channels of colour. Fur, grass, foliage and
feathers often share their colours with what lies behind them, but not their texture,
and a colour-only model cannot separate what only the grain tells apart.
This is GrabCut (Rother et al. 2004) with two changes:

- **unaries** from Gaussian mixtures over seven features per pixel: Lab, the local
  standard deviation of each Lab channel, and the local energy of the lightness
  gradient (both over a Gaussian window of ``FEATURE_SIGMA`` px);
- **the contrast term** read on a copy smoothed by ``PAIR_SIGMA`` px, so single-pixel
  texture (fur, grain, JPEG noise) does not pass for an outline.

The cut itself is a max-flow on the 8-connected grid (PyMaxflow, Boykov-Kolmogorov), and
the iteration is GrabCut's: fit the mixtures on the current labels, assign each pixel to
its best component, refit, cut, repeat. With ``features="rgb"`` and ``pair_sigma=0`` it is
OpenCV's algorithm (the tests compare the two).
"""

from __future__ import annotations

import cv2
import maxflow
import numpy as np

FEATURE_SIGMA = 1.0
PAIR_SIGMA = 1.0
COMPONENTS = 5
# The contrast term's weight: half of GrabCut's 50. With these features it saved
# clicks on the real-photo sets (Berkeley NoC@90 5.90 at 50, 5.55 at 25; docs/adr/0170
# has the sweep).
GAMMA = 25.0
# Added to every covariance's diagonal (OpenCV adds it to singular ones only): a
# component of flat pixels has zero texture spread and must stay invertible.
_REGULARISE = 0.01
_HARD = 1e9

# Half of the 8-neighbourhood (the other half is the same edges reversed).
_OFFSETS = ((0, 1), (1, 0), (1, 1), (1, -1))


def texture_features(rgb: np.ndarray, sigma: float = FEATURE_SIGMA) -> np.ndarray:
    """H×W×7 float32 per pixel: Lab, local std of L, a and b, local gradient energy of L.

    ``rgb``: H×W×3 uint8. Each std is over a Gaussian window of ``sigma`` px; the gradient
    energy is the root of the Gaussian-weighted mean of the squared Sobel response / 4.
    """
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    mean = cv2.GaussianBlur(lab, (0, 0), sigma)
    sq = cv2.GaussianBlur(lab * lab, (0, 0), sigma)
    std = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    light = lab[:, :, 0]
    gx = cv2.Sobel(light, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(light, cv2.CV_32F, 0, 1, ksize=3)
    energy = np.sqrt(cv2.GaussianBlur(gx * gx + gy * gy, (0, 0), sigma)) / 4.0
    return np.concatenate([lab, std, energy[:, :, None]], axis=2)


class Gmm:
    """A Gaussian mixture fitted GrabCut's way: hard assignments, one mean, full
    covariance and weight per component."""

    def __init__(self, samples: np.ndarray, components: int = COMPONENTS) -> None:
        """``samples``: N×D float32 (N ≥ 1); the first assignment is k-means++."""
        k = max(1, min(components, len(samples)))
        if k == 1:  # (OpenCV's k-means reads a single row as a column of samples)
            self._fit(samples, np.zeros(len(samples), np.int32), 1)
            return
        criteria = (cv2.TERM_CRITERIA_MAX_ITER, 10, 0)
        _, assign, _ = cv2.kmeans(samples, k, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
        self._fit(samples, assign.ravel(), k)

    def _fit(self, samples: np.ndarray, assign: np.ndarray, k: int) -> None:
        dim = samples.shape[1]
        weights, means, whiten, log_norm = [], [], [], []
        order = np.argsort(assign, kind="stable")
        bounds = np.cumsum(np.bincount(assign, minlength=k)[:k])
        for part in np.split(samples[order], bounds[:-1]):
            if len(part) < 2:
                continue
            part = part.astype(np.float64)
            mean = part.mean(axis=0)
            centred = part - mean
            cov = centred.T @ centred / (len(part) - 1) + _REGULARISE * np.eye(dim)
            chol = np.linalg.cholesky(cov)
            weights.append(len(part))
            means.append(mean)
            whiten.append(np.linalg.inv(chol).T)
            log_norm.append(-np.log(np.diag(chol)).sum())
        if not weights:  # every component had one sample: one broad component
            part = samples.astype(np.float64)
            weights, means = [1.0], [part.mean(axis=0)]
            whiten, log_norm = [np.eye(dim)], [0.0]
        w = np.asarray(weights, np.float64)
        self._log_w = (np.log(w / w.sum()) + np.asarray(log_norm)).astype(np.float32)
        # One product whitens x for every component: x·W_j − μ_j·W_j, side by side.
        self._whiten = np.concatenate(whiten, axis=1).astype(np.float32)
        self._shift = np.concatenate([m @ wj for m, wj in zip(means, whiten, strict=True)]).astype(np.float32)
        self._dim = dim

    def component_log_likelihoods(self, x: np.ndarray) -> np.ndarray:
        """N×K log(weight · density) up to a shared constant, for N×D float32 ``x``."""
        y = (x @ self._whiten - self._shift).reshape(len(x), len(self._log_w), self._dim)
        return self._log_w - 0.5 * np.einsum("nkd,nkd->nk", y, y)

    def log_likelihood(self, x: np.ndarray) -> np.ndarray:
        """N log-densities up to the same constant for every mixture of the same D."""
        return _log_sum_exp(self.component_log_likelihoods(x))

    def refit(self, samples: np.ndarray, component_ll: np.ndarray | None = None) -> None:
        """Assign each sample to its most likely component, then fit those again.
        ``component_ll``: the samples' :meth:`component_log_likelihoods`, when known."""
        if component_ll is None:
            component_ll = self.component_log_likelihoods(samples)
        self._fit(samples, component_ll.argmax(axis=1), len(self._log_w))


def _log_sum_exp(c: np.ndarray) -> np.ndarray:
    top = c.max(axis=1)
    return top + np.log(np.exp(c - top[:, None]).sum(axis=1))


def contrast_weights(image: np.ndarray, gamma: float = GAMMA) -> list[np.ndarray]:
    """GrabCut's pairwise weights ``γ/dist · exp(−β‖Δ‖²)`` for the edge from each pixel to
    its neighbour at each of ``_OFFSETS`` (H×W float32 each; 0 where it has none), with
    β = 1 / (2 · mean ‖Δ‖²) over all neighbouring pairs."""
    img = image.astype(np.float32)
    h, w = img.shape[:2]
    squared = []
    for dy, dx in _OFFSETS:
        a = img[: h - dy, max(0, -dx): w - max(0, dx)]
        b = img[dy:, max(0, dx): w + min(0, dx)]
        squared.append(((a - b) ** 2).sum(axis=-1))
    total = sum(float(s.sum()) for s in squared)
    count = sum(s.size for s in squared)
    beta = 0.0 if total <= 0 else count / (2.0 * total)
    out = []
    for (dy, dx), s in zip(_OFFSETS, squared, strict=True):
        weight = np.zeros((h, w), np.float32)
        weight[: h - dy, max(0, -dx): w - max(0, dx)] = gamma / np.hypot(dy, dx) * np.exp(-beta * s)
        out.append(weight)
    return out


class _GridCut:
    """Least-cost labelling of the grid under fixed pairwise weights, for a sequence of
    unary costs: after the first cut only the terminal capacities change, and the
    max-flow resumes from the last flow and search trees (Kohli and Torr's dynamic
    graph cut) instead of starting again."""

    def __init__(self, shape: tuple[int, int], weights: list[np.ndarray]) -> None:
        self._graph = maxflow.Graph[float]()
        self._nodes = self._graph.add_grid_nodes(shape)
        for (dy, dx), weight in zip(_OFFSETS, weights, strict=True):
            structure = np.zeros((3, 3))
            structure[1 + dy, 1 + dx] = 1
            self._graph.add_grid_edges(self._nodes, weights=weight, structure=structure, symmetric=True)
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, cost_fg: np.ndarray, cost_bg: np.ndarray) -> np.ndarray:
        """H×W bool, True = foreground. Source side = foreground: a pixel pays its source
        capacity (``cost_bg``) when cut to background."""
        source, sink = cost_bg.astype(np.float64), cost_fg.astype(np.float64)
        if self._last is None:
            self._graph.add_grid_tedges(self._nodes, source, sink)
            self._graph.maxflow()
        else:  # capacities add up: add the change, then resume
            self._graph.add_grid_tedges(self._nodes, source - self._last[0], sink - self._last[1])
            self._graph.mark_grid_nodes(self._nodes)
            self._graph.maxflow(reuse_trees=True)
        self._last = (source, sink)
        return ~self._graph.get_grid_segments(self._nodes)


def texture_grabcut(rgb: np.ndarray, labels: np.ndarray, iterations: int,
                    features: str = "texture", feature_sigma: float = FEATURE_SIGMA,
                    pair_sigma: float = PAIR_SIGMA, components: int = COMPONENTS,
                    gamma: float = GAMMA) -> None:
    """GrabCut on ``rgb`` (H×W×3 uint8) from ``labels`` (H×W uint8, ``cv2.GC_*``), updated
    in place as ``cv2.grabCut(..., cv2.GC_INIT_WITH_MASK)`` does: only the probable labels
    change. ``features``: ``"texture"`` (:func:`texture_features`) or ``"rgb"``."""
    fg = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    if fg.all() or not fg.any():
        return
    h, w = labels.shape
    cv2.setRNGSeed(0)  # k-means++ draws its first centres: same input, same mask
    feat = texture_features(rgb, feature_sigma) if features == "texture" else rgb.astype(np.float32)
    x = np.ascontiguousarray(feat.reshape(h * w, -1))
    pair = cv2.GaussianBlur(rgb, (0, 0), pair_sigma) if pair_sigma > 0 else rgb
    cut = _GridCut((h, w), contrast_weights(pair, gamma))
    hard_fg, hard_bg = labels == cv2.GC_FGD, labels == cv2.GC_BGD
    flat = fg.ravel()
    fg_model, bg_model = Gmm(x[flat], components), Gmm(x[~flat], components)
    fg_ll = fg_model.component_log_likelihoods(x)
    bg_ll = bg_model.component_log_likelihoods(x)
    for i in range(iterations):
        if i > 0:
            flat = fg.ravel()
            if flat.sum() < 2 or (~flat).sum() < 2:
                break
            # GrabCut's step: each pixel to its best component of its side's mixture (the
            # likelihoods the last cut used), then the mixtures refitted.
            fg_model.refit(x[flat], fg_ll[flat])
            bg_model.refit(x[~flat], bg_ll[~flat])
            fg_ll = fg_model.component_log_likelihoods(x)
            bg_ll = bg_model.component_log_likelihoods(x)
        cost_fg = -_log_sum_exp(fg_ll).reshape(h, w)
        cost_bg = -_log_sum_exp(bg_ll).reshape(h, w)
        # Costs are relative: shift both so the smaller one is 0 (max-flow needs ≥ 0).
        low = np.minimum(cost_fg, cost_bg)
        cost_fg = np.where(hard_bg, _HARD, np.where(hard_fg, 0.0, cost_fg - low))
        cost_bg = np.where(hard_fg, _HARD, np.where(hard_bg, 0.0, cost_bg - low))
        fg = cut(cost_fg, cost_bg)
    undecided = labels >= cv2.GC_PR_BGD
    labels[undecided & fg] = cv2.GC_PR_FGD
    labels[undecided & ~fg] = cv2.GC_PR_BGD
