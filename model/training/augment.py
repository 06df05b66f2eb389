"""Random per-sample augmentation of digit batches, done on tensors so it is fast on a CPU and
runs unchanged on a GPU.

    augment = Augment(AugmentConfig())
    x = augment(x, generator)        # (B, 1, 28, 28) in [0, 1] -> same shape, new random digits

Every sample gets its own random stroke thickness change, affine map (rotation, scale, aspect,
shear, translation) and smooth elastic distortion (Simard et al. 2003), folded into a single
sampling grid so each batch is resampled once. (torchvision's v2 transforms would draw one random
transform for a whole batch tensor, hence this module.)
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    """Strength of each distortion; every range is symmetric around 'no change'."""

    # Tuned on this MLP: stronger distortion underfits it (tried: these values x1.43 gave the same
    # MNIST accuracy and a lower one on drawn digits).
    rotate_deg: float = 8.0  # rotation, uniform in +-rotate_deg
    scale: float = 0.08  # zoom, uniform in 1 +- scale
    aspect: float = 0.08  # width relative to height, log-uniform in 1 +- aspect
    shear: float = 0.18  # horizontal shear factor, uniform in +-shear (slanted writing)
    translate_px: float = 1.0  # shift, uniform in +-translate_px (input is centred by mass)
    elastic_px: float = 1.0  # std of the smooth elastic displacement, in pixels
    elastic_grid: int = 4  # control points per side of the elastic field (lower = smoother)
    thicken: float = 0.6  # stroke width change, uniform in [-thin, thicken]; 1 = one 3x3 dilation
    thin: float = 0.3  # (thinning is milder: a full erosion wipes out MNIST's thinnest strokes)

    def scaled(self, factor: float) -> AugmentConfig:
        """The same recipe at `factor` times the strength (0 gives the identity)."""
        return replace(
            self,
            rotate_deg=self.rotate_deg * factor,
            scale=self.scale * factor,
            aspect=self.aspect * factor,
            shear=self.shear * factor,
            translate_px=self.translate_px * factor,
            elastic_px=self.elastic_px * factor,
            thicken=self.thicken * factor,
            thin=self.thin * factor,
        )

    def to_dict(self) -> dict:
        return asdict(self)


class Augment:
    """Callable that distorts a batch; all randomness comes from the given generator."""

    def __init__(self, config: AugmentConfig | None = None) -> None:
        self.config = config or AugmentConfig()

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != 1:
            raise ValueError(f"expected (B, 1, H, W), got {tuple(x.shape)}")
        c = self.config
        u = torch.rand(x.shape[0], generator=generator, device=_gen_device(generator)).to(x.device)
        x = change_thickness(x, u * (c.thicken + c.thin) - c.thin)  # uniform in [-thin, thicken]
        grid = self._affine_grid(x, generator) + self._elastic_field(x, generator)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return x.clamp_(0.0, 1.0)

    def _uniform(self, x: torch.Tensor, half_width: float, generator) -> torch.Tensor:
        """(B,) uniform in [-half_width, half_width] on x's device."""
        u = torch.rand(x.shape[0], generator=generator, device=_gen_device(generator))
        return ((u * 2 - 1) * half_width).to(x.device)

    def _affine_grid(self, x: torch.Tensor, generator) -> torch.Tensor:
        c = self.config
        _, _, h, w = x.shape
        angle = self._uniform(x, math.radians(c.rotate_deg), generator)
        zoom = 1 + self._uniform(x, c.scale, generator)
        aspect = torch.exp(self._uniform(x, math.log1p(c.aspect), generator))
        shear = self._uniform(x, c.shear, generator)
        # shift in grid units: the grid spans [-1, 1] over w (or h) pixels
        tx = self._uniform(x, c.translate_px, generator) * 2 / w
        ty = self._uniform(x, c.translate_px, generator) * 2 / h
        cos, sin = torch.cos(angle), torch.sin(angle)
        sx, sy = zoom * aspect.sqrt(), zoom / aspect.sqrt()
        # The grid's matrix is rotation @ shear @ scale. It maps output to input coordinates, i.e.
        # it is the inverse of what happens to the digit; with symmetric random ranges alike.
        gy, gx = _base_grid(h, w, x.device)  # (H, W) each, pixel centres in [-1, 1]

        def row(a, b_, t):  # a*gx + b*gy + t, per sample -> (B, H, W)
            return a.view(-1, 1, 1) * gx + b_.view(-1, 1, 1) * gy + t.view(-1, 1, 1)

        grid_x = row(cos * sx, (cos * shear - sin) * sy, tx)
        grid_y = row(sin * sx, (sin * shear + cos) * sy, ty)
        return torch.stack([grid_x, grid_y], dim=-1)  # (B, H, W, 2)

    def _elastic_field(self, x: torch.Tensor, generator) -> torch.Tensor:
        """(B, H, W, 2) smooth random displacement in grid units."""
        c = self.config
        b, _, h, w = x.shape
        if c.elastic_px == 0:
            return torch.zeros(b, h, w, 2, device=x.device)
        coarse = torch.randn(
            b, 2, c.elastic_grid, c.elastic_grid, generator=generator, device=_gen_device(generator)
        ).to(x.device)
        # bicubic upsampling as two small matrix products (F.interpolate is slow on the CPU)
        field = _cubic_upsampler(c.elastic_grid, h, x.device) @ coarse
        field = field @ _cubic_upsampler(c.elastic_grid, w, x.device).T  # (B, 2, H, W)
        field = field * c.elastic_px * torch.tensor([2 / w, 2 / h], device=x.device).view(1, 2, 1, 1)
        return field.permute(0, 2, 3, 1)


def pick_views(views: torch.Tensor, share: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """One view of every digit: (N, V, H, W) -> (N, H, W), any dtype, in one indexing step.

    View 0 is the scan; views 1..V-1 are drawings of the same digit (pad.py). Each digit is a
    drawing with probability `share`, then any of them alike, else the scan. Done once an epoch
    on the uint8 set (about 30 ms for 60,000 digits), so batches stay plain slices.
    """
    n, v = views.shape[:2]
    if v == 1:
        return views[:, 0]
    device = _gen_device(generator)
    u = torch.rand(n, generator=generator, device=device).to(views.device)
    drawing = torch.randint(1, v, (n,), generator=generator, device=device).to(views.device)
    view = torch.where(u < share, drawing, torch.zeros_like(drawing))
    return views[torch.arange(n, device=views.device), view]


def change_thickness(x: torch.Tensor, amount: torch.Tensor) -> torch.Tensor:
    """Thicken (amount > 0) or thin (amount < 0) strokes per sample; amount is (B,) in [-1, 1].

    Blends each image towards its grey dilation (3x3 max) or erosion (3x3 min), so fractional
    amounts give sub-pixel width changes, like a slightly wider or narrower pen.
    """
    a = amount.view(-1, 1, 1, 1)
    if not torch.any(a != 0):
        return x
    dilated = _dilate3x3(x)
    eroded = -_dilate3x3(-x)
    target = torch.where(a > 0, dilated, eroded)
    return x + a.abs() * (target - x)


def _dilate3x3(x: torch.Tensor) -> torch.Tensor:
    """3x3 grey dilation as two separable maxima of shifted views (max_pool2d is slow on CPU)."""
    p = F.pad(x, (1, 1, 1, 1))
    rows = torch.maximum(torch.maximum(p[..., :-2], p[..., 1:-1]), p[..., 2:])
    return torch.maximum(torch.maximum(rows[..., :-2, :], rows[..., 1:-1, :]), rows[..., 2:, :])


@functools.cache
def _base_grid(h: int, w: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Identity sampling grid (align_corners=False): y and x of pixel centres, each (H, W)."""
    ys = (torch.arange(h, device=device) * 2 + 1) / h - 1
    xs = (torch.arange(w, device=device) * 2 + 1) / w - 1
    return torch.meshgrid(ys, xs, indexing="ij")


@functools.cache
def _cubic_upsampler(k: int, n: int, device: torch.device) -> torch.Tensor:
    """(n, k) matrix that upsamples k control values to n samples by cubic interpolation."""
    eye = torch.eye(k, device=device).view(k, 1, k, 1)
    return F.interpolate(eye, size=(n, 1), mode="bicubic", align_corners=True).view(k, n).T


def _gen_device(generator: torch.Generator | None) -> torch.device | None:
    return generator.device if generator is not None else None
