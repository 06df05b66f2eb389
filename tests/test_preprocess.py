"""Preprocessing: any drawing or photo -> the MNIST-style 28x28 input.

python -m pytest tests/test_preprocess.py
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import ndimage

from model import ImageError, preprocess
from model.drawing.blobs import CONNECT_LEVEL, find_blobs
from model.drawing.mnist_style import CENTRE
from model.synth.sketches import STYLES, Placement, draw_digit

REFERENCE = Placement((400, 400), (200, 200), 260, 0, 22)


def similarity(a: torch.Tensor, b: torch.Tensor) -> float:
    """Cosine similarity of two 28x28 images, blind to sub-pixel differences: both are blurred a
    little (sigma 1 px) and shifts of up to a pixel are allowed (centring rounds to whole pixels).
    Two different digits score far lower (see test_similarity_tells_digits_apart)."""
    a = torch.from_numpy(ndimage.gaussian_filter(a.view(28, 28).numpy(), 1.0))
    b = torch.from_numpy(ndimage.gaussian_filter(b.view(28, 28).numpy(), 1.0))
    best = -1.0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            shifted = torch.roll(b, (dy, dx), (0, 1))
            best = max(best, float((a * shifted).sum() / (a.norm() * shifted.norm())))
    return best


def centre_of_mass(x: torch.Tensor) -> tuple[float, float]:
    img = x.view(28, 28)
    idx = torch.arange(28, dtype=torch.float32)
    return float(img.sum(1) @ idx / img.sum()), float(img.sum(0) @ idx / img.sum())


def check_mnist_style(x: torch.Tensor) -> None:
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32
    assert float(x.min()) >= 0 and float(x.max()) <= 1 and float(x.max()) > 0.9
    rows, cols = torch.nonzero(x[0] > 0, as_tuple=True)
    # the digit's box: 20 px on its longer side (MNIST), centred by mass
    assert max(int(rows.max() - rows.min()) + 1, int(cols.max() - cols.min()) + 1) in (19, 20, 21)
    cy, cx = centre_of_mass(x)
    assert abs(cy - CENTRE) <= 0.5 and abs(cx - CENTRE) <= 0.5


def test_similarity_tells_digits_apart():
    drawn = {d: preprocess(draw_digit(d, REFERENCE)) for d in range(10)}
    worst = max(similarity(drawn[a], drawn[b]) for a in range(10) for b in range(10) if a != b)
    assert worst < 0.9


@pytest.mark.parametrize("digit", [1, 2, 4, 7, 8])
@pytest.mark.parametrize(
    "variant",
    [
        Placement((800, 800), (90, 90), 110, 0, 9),  # small, in a corner
        Placement((1024, 1024), (512, 512), 900, 0, 70),  # huge
        Placement((400, 400), (200, 200), 260, 0, 40),  # thick brush
        Placement((400, 400), (200, 200), 260, 0, 6),  # thin brush
        Placement((900, 300), (700, 150), 220, 0, 18),  # wide canvas, off to one side
        Placement((300, 700), (150, 200), 200, 0, 16),  # tall canvas
    ],
    ids=["small-corner", "huge", "thick", "thin", "wide-canvas", "tall-canvas"],
)
def test_position_size_and_brush_barely_matter(digit, variant):
    reference = preprocess(draw_digit(digit, REFERENCE))
    x = preprocess(draw_digit(digit, variant))
    check_mnist_style(x)
    assert similarity(x, reference) > 0.95  # two different digits score below 0.9


@pytest.mark.parametrize("style", STYLES)
def test_every_canvas_style_and_polarity_gives_the_same_digit(style):
    reference = preprocess(draw_digit(5, REFERENCE, "white"))
    x = preprocess(draw_digit(5, REFERENCE, style))
    check_mnist_style(x)
    assert similarity(x, reference) > 0.99


def modes_of(image: Image.Image) -> dict[str, object]:
    """The same drawing in every image mode and array layout the contract accepts."""
    gray = image.convert("L")
    ink = 255 - np.asarray(gray)
    rgba = np.zeros(gray.size[::-1] + (4,), np.uint8)
    rgba[..., 3] = ink  # black strokes on a transparent layer
    return {
        "RGBA-opaque": image.convert("RGBA"),
        "RGBA-transparent": Image.fromarray(rgba, "RGBA"),
        "RGB": image.convert("RGB"),
        "L": gray,
        "LA": Image.fromarray(rgba, "RGBA").convert("LA"),
        "P": image.convert("P"),
        "1": gray.point(lambda v: 255 if v > 128 else 0).convert("1"),
        "I;16": Image.fromarray(np.asarray(gray).astype(np.uint16) * 257),
        "I": gray.convert("I"),
        "F": gray.convert("F"),
        "CMYK": image.convert("CMYK"),
        "array-uint8-HW": np.asarray(gray),
        "array-uint8-HW1": np.asarray(gray)[:, :, None],
        "array-uint8-RGB": np.asarray(image.convert("RGB")),
        "array-uint8-RGBA": np.asarray(image.convert("RGBA")),
        "array-uint16": np.asarray(gray).astype(np.uint16) * 257,
        "array-float01": np.asarray(gray, np.float32) / 255,
        "array-float255": np.asarray(gray, np.float64),
        # scientific floats up to float32's limits: stretched, with no overflow on the way
        "array-float-extreme": (np.asarray(gray, np.float64) / 255 * 6e38 - 3e38).astype(np.float32),
        "array-bool-ink": ink > 128,
    }


@pytest.mark.filterwarnings("error")  # a warning on the way is a sign of numbers gone wrong
def test_every_image_mode_and_array_kind_reads_alike():
    drawing = draw_digit(3, REFERENCE, "white")
    reference = preprocess(drawing)
    for name, image in modes_of(drawing).items():
        x = preprocess(image)
        assert x is not None, name
        check_mnist_style(x)
        assert similarity(x, reference) > 0.95, name


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGBA", (400, 400), (255, 255, 255, 255)),
        Image.new("RGBA", (400, 400), (0, 0, 0, 0)),
        Image.new("L", (400, 400), 0),
        Image.new("L", (1, 1), 255),
        np.zeros((50, 80), np.uint8),
        np.full((10, 10, 3), 0.5, np.float32),
    ],
    ids=["white", "transparent", "black", "1x1", "array-zeros", "array-grey"],
)
def test_empty_canvases_give_none(image):
    assert preprocess(image) is None


def test_a_stray_dot_is_not_a_digit():
    canvas = np.full((400, 400), 255, np.uint8)
    canvas[200:212, 150:162] = 0  # one tap of the brush
    assert preprocess(canvas) is None


def test_specks_next_to_a_digit_are_ignored():
    clean = np.asarray(draw_digit(7, REFERENCE, "gray"))
    dirty = clean.copy()
    dirty[380:384, 10:14] = 0  # a speck far from the digit would otherwise stretch its box
    assert similarity(preprocess(dirty), preprocess(clean)) > 0.99


def test_uneven_lighting_on_a_photo_is_levelled():
    flat = preprocess(draw_digit(2, REFERENCE, "gray"))
    photo = preprocess(draw_digit(2, REFERENCE, "paper"))
    assert similarity(photo, flat) > 0.97


@pytest.mark.parametrize(
    "bad",
    [None, "a string", np.zeros((4, 4, 5)), np.zeros((2, 2, 2, 2)), np.zeros((0, 5)), np.array([["x"]])],
)
def test_bad_inputs_raise_one_documented_error(bad):
    with pytest.raises(ImageError):
        preprocess(bad)


@pytest.mark.parametrize("seed", range(6))
def test_pieces_are_the_ones_the_whole_canvas_has(seed):
    """Pieces are labelled within the ink's box only (blobs.find_blobs): the same pieces, boxes,
    areas and label map as labelling the whole canvas, ink at the edges included."""
    rng = np.random.default_rng(seed)
    ink = np.zeros((90, 140), np.uint8)
    for _ in range(rng.integers(1, 12)):  # blocks of ink, some of them running off the canvas
        top, left = rng.integers(-5, 85), rng.integers(-5, 135)
        h, w = rng.integers(1, 25, size=2)
        ink[max(top, 0) : top + h, max(left, 0) : left + w] = rng.choice([60, 128, 255])
    blobs, labels = find_blobs(Image.fromarray(ink))
    expected, n = ndimage.label(ink >= CONNECT_LEVEL, structure=np.ones((3, 3), bool))
    assert np.array_equal(labels, expected) and len(blobs) == n
    for b in blobs:
        rows, cols = np.nonzero(expected == b.label)
        assert b.box == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1) and b.area == rows.size


def test_a_blank_canvas_has_no_pieces():
    blobs, labels = find_blobs(Image.new("L", (40, 30), 0))
    assert blobs == [] and labels.shape == (30, 40) and not labels.any()
