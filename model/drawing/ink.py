"""Find the ink in any image: a sketchpad value, a scan or a photo of a handwritten digit.

    ink = find_ink(image)    # PIL image or numpy array -> 8-bit "L" image, 0 = background

Whatever the image's mode, size or polarity (dark ink on light paper, light ink on a dark
canvas, strokes on a transparent layer), the result is the same: ink strength 1-255 on a
background of exact zeros. Uneven lighting (a phone photo of paper) is levelled out first.

Speed matters (this runs after every stroke), so full-size work is left to Pillow's C routines:
one conversion to grey and one lookup-table pass; anything statistical is done on a histogram or
a thumbnail. Anything that is not an image we can read raises `ImageError`.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from .image_io import ImageError, check_size

# Bigger images are first shrunk by an integer factor, to at most WORK_SIDE pixels on the short
# side and WORK_LONG on the long one: a digit ends up 20 px tall anyway, and work on a smaller
# image is what keeps a reading near 2 ms (measured: 256 reads drawn digits as well as 320 and
# 512, small digits on 2000 px canvases included, and an 800x800 canvas a millisecond sooner).
# The long side may be longer so that the gaps between the digits of a number written across a
# wide canvas survive the shrinking.
WORK_SIDE = 256
WORK_LONG = 1024
# Ink weaker than this share of a typical stroke is paper texture, JPEG noise or shading.
NOISE_FLOOR = 0.2
# The strongest ink must differ from the background by this share of full scale to count.
MIN_CONTRAST = 0.25
_HIGH_DEPTH = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")


def find_ink(image: Image.Image | np.ndarray) -> Image.Image:
    """8-bit "L" image of ink strength: 0 on the background, up to 255 on the strokes."""
    gray, alpha = _gray_and_alpha(image)
    if alpha is not None and alpha.getextrema()[0] < 255:
        if _border_level(alpha) < 0.5:
            # Strokes on a transparent layer: the ink is wherever something was painted.
            return _stretch(alpha, np.arange(256, dtype=np.float32) / 255)
        gray = Image.composite(gray, Image.new("L", gray.size, 255), alpha)  # onto white paper
    return _ink_from_gray(gray)


def working_factor(width: int, height: int) -> int:
    """The integer factor an image of this size is shrunk by before its ink is looked at."""
    return max(1, -(-min(width, height) // WORK_SIDE), -(-max(width, height) // WORK_LONG))


def in_drawing_pixels(
    box: tuple[int, int, int, int], image: Image.Image | np.ndarray
) -> tuple[int, int, int, int]:
    """A box (left, top, right, bottom) found at working size, in `image`'s own pixels."""
    width, height = (image.shape[1], image.shape[0]) if isinstance(image, np.ndarray) else image.size
    factor = working_factor(width, height)
    left, top, right, bottom = (v * factor for v in box)
    return left, top, min(right, width), min(bottom, height)


def _gray_and_alpha(image: Image.Image | np.ndarray) -> tuple[Image.Image, Image.Image | None]:
    """8-bit grey and alpha (None when the image has no transparency) at working size."""
    if isinstance(image, np.ndarray):
        image = _array_to_image(image)
    elif not isinstance(image, Image.Image):
        raise ImageError(f"expected an image (PIL image or numpy array), got {type(image).__name__}")
    w, h = image.size
    if w < 1 or h < 1:
        raise ImageError("the image is empty (0 pixels)")
    check_size(w, h)
    factor = working_factor(w, h)
    if image.mode in _HIGH_DEPTH:
        image = _array_to_image(np.asarray(image))
    if image.mode == "L":
        gray, alpha = image, None  # the app's pad sends 8-bit grey (ui/pad.js): no copy needed
    elif image.mode == "1":
        gray, alpha = image.convert("L"), None
    elif image.mode in ("LA", "La", "PA", "RGBA", "RGBa") or "transparency" in image.info:
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")  # a canvas's own PNG: no copy
        gray, alpha = rgba.convert("L"), rgba.getchannel("A")
    else:  # RGB, P, CMYK, YCbCr, LAB, HSV, ...
        gray, alpha = _to_gray(image), None
    if factor > 1:  # area averaging: thin strokes get fainter, not lost
        gray = gray.reduce(factor)
        alpha = alpha.reduce(factor) if alpha is not None else None
    return gray, alpha


def _to_gray(image: Image.Image) -> Image.Image:
    """Luminance of an image in any colour mode Pillow reads."""
    if image.mode == "LAB":
        return image.getchannel("L")  # Pillow converts LAB to nothing; its L band is lightness
    try:
        return image.convert("L")
    except ValueError:
        try:
            return image.convert("RGB").convert("L")  # e.g. HSV
        except ValueError:
            raise ImageError(f"images in {image.mode} mode are not supported") from None


def _array_to_image(array: np.ndarray) -> Image.Image:
    """A numpy image of any common layout and dtype as an 8-bit PIL image (L, LA, RGB, RGBA)."""
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)):
        raise ImageError(f"an image array must be (H, W) or (H, W, 1-4 channels), got shape {a.shape}")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ImageError(f"the image is empty (shape {a.shape})")
    check_size(a.shape[1], a.shape[0])
    if a.dtype != np.uint8:
        a = (_to_unit_float(a) * 255 + 0.5).astype(np.uint8)
    mode = {2: "L"}.get(a.ndim) or {2: "LA", 3: "RGB", 4: "RGBA"}[a.shape[2]]
    return Image.fromarray(np.ascontiguousarray(a), mode=mode)


def _to_unit_float(a: np.ndarray) -> np.ndarray:
    """Any numeric dtype -> float32 in [0, 1].

    8- and 16-bit integers keep their scale; floats in [0, 1] are taken as they are. Anything
    else (scientific floats, odd integer ranges) is stretched between its 0.5th and 99.5th
    percentiles, so a few extreme values cannot flatten the picture. NaN becomes the median
    (background, most likely), +-inf the brightest or darkest value.
    """
    if a.dtype == bool:
        return a.astype(np.float32)
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise ImageError(f"unsupported pixel type {a.dtype}")
    with np.errstate(over="ignore"):  # float64 beyond float32's range becomes inf, handled below
        f = a.astype(np.float32)
    finite = np.isfinite(f)
    if not finite.all():
        if not finite.any():
            return np.zeros(a.shape, np.float32)
        values = f[finite]
        f = np.nan_to_num(
            f, nan=float(np.median(values)), posinf=float(values.max()), neginf=float(values.min())
        )
    lo, hi = float(f.min()), float(f.max())
    if np.issubdtype(a.dtype, np.integer) and lo >= 0 and hi <= 255 and a.dtype.itemsize == 1:
        return f / 255
    if np.issubdtype(a.dtype, np.integer) and lo >= 0 and hi <= 65535:
        return f / (255 if hi <= 255 else 65535)
    if np.issubdtype(a.dtype, np.floating) and lo >= 0 and hi <= 1:
        return f
    lo, hi = (float(v) for v in np.percentile(f, [0.5, 99.5]))
    if hi <= lo:
        lo, hi = float(f.min()), float(f.max())
    if hi <= lo:
        return np.zeros_like(f)
    # in float64: near float32's limits, f - lo alone would overflow
    return np.clip((f.astype(np.float64) - lo) / (hi - lo), 0, 1).astype(np.float32)


def _ink_from_gray(gray: Image.Image) -> Image.Image:
    """Ink as the difference from the paper or canvas colour, whatever the polarity."""
    hist = np.asarray(gray.histogram(), dtype=np.float64)
    level = _border_level(gray)
    dark_background = level < 0.5
    # Most pixels at the border's level: a flat background (any drawing app), so one lookup
    # table does it all. Otherwise look for uneven light on a thumbnail first.
    at_level = hist[max(0, round(255 * level) - 4) : round(255 * level) + 5].sum()
    surface = None
    if at_level < 0.5 * hist.sum():
        thumb = np.asarray(_thumbnail(gray), dtype=np.float32) / 255
        surface = _paper_surface(thumb, dark_background)
    if surface is None:
        g = np.arange(256, dtype=np.float32) / 255
        ink = (g - level) / max(1 - level, 0.05) if dark_background else (level - g) / max(level, 0.05)
        return _stretch(gray, np.clip(ink, 0, 1), hist)
    # uneven light: divide by the paper's own brightness, pixel by pixel
    paper = np.asarray(Image.fromarray(surface).resize(gray.size, Image.Resampling.BILINEAR))
    g = np.asarray(gray, dtype=np.float32) / 255
    ink = (
        (g - paper) / np.maximum(1 - paper, 0.05)
        if dark_background
        else (paper - g) / np.maximum(paper, 0.05)
    )
    ink_image = Image.fromarray((np.clip(ink, 0, 1) * 255).astype(np.uint8))
    return _stretch(ink_image, np.arange(256, dtype=np.float32) / 255)


def _border_level(gray: Image.Image) -> float:
    """Median grey (0-1) of the image's outer frame of pixels: the paper or canvas colour."""
    a = np.asarray(gray)  # one copy of a working-size image is cheaper than four crops
    frame = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    # np.median's own value (the mean of the two middle ones when they are an even number),
    # without its checks and dispatch, which cost more than the partition itself
    middle = len(frame) // 2
    if len(frame) % 2:
        return float(np.partition(frame, middle)[middle]) / 255
    low, high = np.partition(frame, [middle - 1, middle])[middle - 1 : middle + 1]
    return (float(low) + float(high)) / 2 / 255


def _paper_surface(thumb: np.ndarray, dark_background: bool) -> np.ndarray | None:
    """Smooth brightness of the paper, from a thumbnail, or None when it is flat.

    A max filter (min, for a dark background) wipes out the strokes and leaves the paper.
    """
    wipe = ndimage.minimum_filter if dark_background else ndimage.maximum_filter
    paper = ndimage.gaussian_filter(wipe(thumb, size=7, mode="nearest"), 2, mode="nearest")
    if float(paper.max() - paper.min()) < 0.08:
        return None
    return paper.astype(np.float32)


def _stretch(image: Image.Image, ink_of_level: np.ndarray, hist: np.ndarray | None = None) -> Image.Image:
    """Map grey levels to ink through `ink_of_level` (256 values in [0, 1]), then zero out faint
    noise and stretch so a typical stroke reaches full strength; one table lookup in all.

    The statistics come from the image's histogram, so they cost nothing at full size.
    """
    if hist is None:
        hist = np.asarray(image.histogram(), dtype=np.float64)
    ink = ink_of_level.astype(np.float64)
    counts = np.bincount(np.round(ink * 255).astype(int), weights=hist, minlength=256)
    present = np.flatnonzero(counts)
    peak = present[-1] / 255 if present.size else 0.0
    if peak < MIN_CONTRAST:  # nothing stands out from the background: blank paper or canvas
        return Image.new("L", image.size, 0)
    # the median strength of the strong ink (above half the peak) is a typical stroke
    strong = counts.copy()
    strong[: int(np.ceil(peak * 255 / 2))] = 0
    cumulative = np.cumsum(strong)
    top = np.searchsorted(cumulative, cumulative[-1] / 2) / 255
    floor = NOISE_FLOOR * top
    table = np.clip((ink - floor) / max(top - floor, 1e-6), 0, 1)
    table = np.round(table * 255).astype(np.uint8)
    return image.point(table.tolist())


def _thumbnail(image: Image.Image, side: int = 64) -> Image.Image:
    factor = max(1, max(image.size) // side)
    return image.reduce(factor) if factor > 1 else image
