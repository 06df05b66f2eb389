"""Property-based tests (hypothesis) of the preprocessing contract.

    python -m pytest tests/test_preprocess_properties.py

For any array it accepts (any shape of 1-4 channels, any dtype, any values: NaN and infinities
included), `preprocess` returns None or a finite (1, 28, 28) float32 tensor in [0, 1]; anything
else raises `ImageError` (a ValueError) and nothing else. Reading a whole drawing (`read_drawing`)
keeps the same promise for each digit it returns.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from model import ImageError, load_classifier, preprocess, read_drawing

DTYPES = [np.uint8, np.uint16, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64, np.bool_]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def accepted_arrays():
    """Image-shaped arrays of every supported dtype with arbitrary contents."""
    shapes = st.one_of(
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=64),
        st.tuples(st.integers(1, 64), st.integers(1, 64), st.sampled_from([1, 2, 3, 4])),
    )
    return st.sampled_from(DTYPES).flatmap(lambda dtype: hnp.arrays(dtype, shapes))


def drawing_arrays():
    """Arrays that hold a few random strokes, so the 'digit found' branch runs too."""

    @st.composite
    def build(draw):
        h, w = draw(st.integers(20, 120)), draw(st.integers(20, 120))
        canvas = np.full((h, w), 255, np.uint8)
        for _ in range(draw(st.integers(1, 4))):
            y0, y1 = sorted(draw(st.lists(st.integers(0, h - 1), min_size=2, max_size=2)))
            x0, x1 = sorted(draw(st.lists(st.integers(0, w - 1), min_size=2, max_size=2)))
            canvas[y0 : y1 + 1, x0 : min(x0 + draw(st.integers(1, 6)), w)] = 0
            canvas[y0 : min(y0 + draw(st.integers(1, 6)), h), x0 : x1 + 1] = 0
        kind = draw(st.sampled_from(["L", "float", "rgba-layer", "inverted"]))
        if kind == "float":
            return canvas.astype(np.float64) / 255
        if kind == "rgba-layer":
            layer = np.zeros((h, w, 4), np.uint8)
            layer[..., 3] = 255 - canvas
            return layer
        if kind == "inverted":
            return 255 - canvas
        return canvas

    return build()


def check_output(x) -> None:
    if x is None:
        return
    assert isinstance(x, torch.Tensor)
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32
    assert torch.isfinite(x).all()
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0


@SETTINGS
@given(accepted_arrays())
def test_any_accepted_array_gives_none_or_a_valid_tensor(array):
    check_output(preprocess(array))


@functools.cache
def _classifier():
    return load_classifier(device="cpu")


@settings(SETTINGS, max_examples=20)  # every example runs the classifier on each candidate
@given(drawing_arrays())
def test_drawings_give_valid_tensors_and_digits(array):
    x = preprocess(array)
    check_output(x)
    for crop in read_drawing(array, _classifier()).digits:
        assert crop.image.shape == (28, 28) and np.isfinite(crop.image).all()
        assert crop.image.min() >= 0 and crop.image.max() <= 1
        left, top, right, bottom = crop.box
        assert 0 <= left < right <= array.shape[1] and 0 <= top < bottom <= array.shape[0]


@SETTINGS
@given(
    st.one_of(
        hnp.arrays(np.uint8, hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=8)).filter(
            lambda a: a.shape[2] > 4
        ),
        hnp.arrays(np.uint8, hnp.array_shapes(min_dims=4, max_dims=5, min_side=1, max_side=4)),
        hnp.arrays(np.uint8, hnp.array_shapes(min_dims=1, max_dims=1, min_side=1, max_side=8)),
        hnp.arrays(np.complex64, (4, 4)),
        st.builds(lambda n: np.zeros((0, n), np.uint8), st.integers(0, 5)),
        st.text(max_size=5),
        st.integers(),
        st.none(),
        st.lists(st.integers(0, 255), max_size=5),
    )
)
def test_anything_else_raises_image_error_only(bad):
    try:
        preprocess(bad)
    except ImageError:
        return
    raise AssertionError(f"accepted {type(bad).__name__} {getattr(bad, 'shape', '')}")


@SETTINGS
@given(
    st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I", "I;16", "F", "YCbCr", "HSV", "LAB"]),
    st.integers(1, 60),
    st.integers(1, 60),
    st.integers(0, 2**32 - 1),
)
def test_any_pil_mode_gives_none_or_a_valid_tensor(mode, w, h, seed):
    noise = np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)
    image = Image.fromarray(noise, "L").convert(mode)
    check_output(preprocess(image))
