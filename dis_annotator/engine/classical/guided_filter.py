"""Fast colour guided filter (He, Sun & Tang 2010/2015).

The filter output is locally a linear function of the guide image, so a soft mask
filtered with the photo as guide snaps to the photo's edges. Coefficients are computed
on a ``subsample``-times smaller grid and upsampled (the "fast guided filter"), which
keeps a 10 MP region well under a second on two cores.

It runs on every box's refined mask (~1 MP at full resolution), so the arithmetic is
written for speed without changing a bit of the result (docs/adr/0160): every step
runs on contiguous planes (numpy and OpenCV are several times slower on the strided
channels of an H×W×3 array) and in place where a temporary is not needed, in the same
order of operations as the textbook form.
"""

from __future__ import annotations

import cv2
import numpy as np

# (i, j) of the guide's second moments g_i·g_j, upper triangle of the 3×3 covariance.
_PAIRS = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))


def _box(x: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)


def _sub_prod(a: np.ndarray, x: np.ndarray, y: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """``a - x * y`` into ``a``."""
    np.multiply(x, y, out=tmp)
    a -= tmp
    return a


def guided_filter(
    guide: np.ndarray, src: np.ndarray, radius: int, eps: float, subsample: int = 1
) -> np.ndarray:
    """Filter ``src`` (H×W float32) with the colour ``guide`` (H×W×3, float32 in [0, 1]).

    ``radius`` is in full-resolution pixels; ``eps`` regularises flat regions (larger =
    smoother). Returns H×W float32.
    """
    h, w = src.shape
    s = max(1, int(subsample))
    r = max(1, int(round(radius / s)))
    if s > 1:
        small = (max(1, w // s), max(1, h // s))
        g = cv2.resize(guide, small, interpolation=cv2.INTER_AREA)
        p = cv2.resize(src, small, interpolation=cv2.INTER_AREA)
    else:
        g, p = guide, src
    gs = [np.ascontiguousarray(g[:, :, c], dtype=np.float32) for c in range(3)]
    p = np.ascontiguousarray(p, dtype=np.float32)
    tmp = np.empty_like(p)

    mean_g = [_box(x, r) for x in gs]
    mean_p = _box(p, r)
    cov_gp = []
    for c in range(3):
        cov_gp.append(_sub_prod(_box(np.multiply(gs[c], p, out=tmp), r), mean_g[c], mean_p, tmp))
    # Symmetric 3×3 covariance of the guide in each window, + eps·I.
    var = {}
    for i, j in _PAIRS:
        var[i, j] = _sub_prod(_box(np.multiply(gs[i], gs[j], out=tmp), r), mean_g[i], mean_g[j], tmp)
        if i == j:
            var[i, j] += np.float32(eps)
    a00, a01, a02 = var[0, 0], var[0, 1], var[0, 2]
    a11, a12, a22 = var[1, 1], var[1, 2], var[2, 2]

    def cofactor(x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        out = x * y
        return _sub_prod(out, u, v, tmp)

    # Closed-form inverse of the symmetric 3×3 matrix, per pixel.
    i00 = cofactor(a11, a22, a12, a12)
    i01 = cofactor(a02, a12, a01, a22)
    i02 = cofactor(a01, a12, a02, a11)
    i11 = cofactor(a00, a22, a02, a02)
    i12 = cofactor(a01, a02, a00, a12)
    i22 = cofactor(a00, a11, a01, a01)
    det = a00 * i00
    det += np.multiply(a01, i01, out=tmp)
    det += np.multiply(a02, i02, out=tmp)
    det[np.abs(det) < 1e-12] = 1e-12
    c0, c1, c2 = cov_gp

    def solve(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        out = x * c0
        out += np.multiply(y, c1, out=tmp)
        out += np.multiply(z, c2, out=tmp)
        out /= det
        return out

    ax = solve(i00, i01, i02)
    ay = solve(i01, i11, i12)
    az = solve(i02, i12, i22)
    b = mean_p
    _sub_prod(b, ax, mean_g[0], tmp)
    _sub_prod(b, ay, mean_g[1], tmp)
    _sub_prod(b, az, mean_g[2], tmp)

    coeffs = [_box(c, r) for c in (ax, ay, az, b)]
    if s > 1:
        coeffs = [cv2.resize(c, (w, h), interpolation=cv2.INTER_LINEAR) for c in coeffs]
    gf = gs if s == 1 else [guide[:, :, c].astype(np.float32) for c in range(3)]
    out = coeffs[0] * gf[0]
    out += np.multiply(coeffs[1], gf[1], out=coeffs[1])
    out += np.multiply(coeffs[2], gf[2], out=coeffs[2])
    out += coeffs[3]
    return out
