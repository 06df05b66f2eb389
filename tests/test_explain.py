"""Looking inside the network: explain() and the "Look inside" panel.

python -m pytest tests/test_explain.py -q
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import torch

from model import Explanation, explain, load_classifier, preprocess
from model import weights as weights_io
from model.synth.sketches import Placement, draw_digit
from ui.inside import inside_html

CSS = Path(__file__).resolve().parent.parent / "ui" / "inside.css"


@pytest.fixture(scope="module")
def clf():
    return load_classifier(device="cpu")


def drawn(digit: int, rotation: float = 0.0) -> torch.Tensor:
    """A hand-drawn digit as the app would read it: (1, 28, 28) in [0, 1]."""
    return preprocess(draw_digit(digit, Placement((400, 400), (200, 200), 260, rotation, 24)))


@pytest.fixture(scope="module")
def digits() -> dict[int, torch.Tensor]:
    return {d: drawn(d, rotation=(-1) ** d * 6) for d in range(10)}


def logit_change(clf, x: torch.Tensor) -> np.ndarray:
    """The oracle for completeness: logits(x) - logits(black), straight from the network."""
    with torch.no_grad():
        return (clf.network(x[None]) - clf.network(torch.zeros(1, 1, 28, 28)))[0].numpy()


def test_every_layer_is_reported_and_the_reading_is_the_networks(clf, digits):
    e = explain(clf, digits[3])
    assert isinstance(e, Explanation)
    assert [a.shape for a in e.activations] == [(200,), (150,), (100,), (80,), (10,)]
    assert all((a >= 0).all() for a in e.activations[:-1])  # after ReLU
    probs = clf.predict_proba(digits[3][None])[0]
    np.testing.assert_allclose(e.probabilities, probs.numpy(), atol=1e-5)
    assert e.top == 3 and e.runner_up == int(torch.argsort(probs)[-2])
    assert e.attribution.shape == e.runner_up_attribution.shape == (28, 28)
    assert 1 <= len(e.units) <= 6 and len(e.unit_contributions) == len(e.units)
    weights = clf.network.layers[0].weight.detach().numpy().reshape(200, 28, 28)
    np.testing.assert_array_equal(e.unit_images, weights[list(e.units)])
    # the leading units fire, and are listed strongest first
    assert all(e.activations[0][u] > 0 for u in e.units)
    assert list(e.unit_contributions) == sorted(e.unit_contributions, reverse=True)


def test_the_same_drawing_gives_the_same_explanation_whatever_its_type(clf, digits):
    x = digits[5]
    a, b = explain(clf, x), explain(clf, x.numpy()[0])  # tensor (1, 28, 28), array (28, 28)
    for field in ("attribution", "runner_up_attribution", "image"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    for u, v in zip(a.activations, b.activations):
        np.testing.assert_array_equal(u, v)
    assert (a.top, a.runner_up, a.units) == (b.top, b.runner_up, b.units)


@pytest.mark.parametrize("digit", range(10))
def test_attributions_add_up_to_the_logits_change_from_black(clf, digits, digit):
    """Completeness: the pixels' attributions sum to logit(drawing) - logit(black), within 1%,
    for the answer and for the runner-up."""
    e = explain(clf, digits[digit])
    change = logit_change(clf, digits[digit])
    assert e.attribution.sum() == pytest.approx(change[e.top], rel=0.01, abs=1e-3)
    assert e.runner_up_attribution.sum() == pytest.approx(change[e.runner_up], rel=0.01, abs=1e-3)
    # only inked pixels can push (the baseline is black), and the answer's pixels push it up overall
    assert np.all(e.attribution[digits[digit][0].numpy() == 0] == 0)
    assert e.attribution.sum() > 0


def test_a_one_and_a_zero_light_different_first_layer_units(clf):
    one, zero = explain(clf, drawn(1)), explain(clf, drawn(0))
    assert (one.top, zero.top) == (1, 0)
    assert not set(one.units) & set(zero.units)
    firing_one, firing_zero = (
        set(np.flatnonzero(one.activations[0])),
        set(np.flatnonzero(zero.activations[0])),
    )
    assert len(firing_one & firing_zero) < 0.5 * len(firing_one | firing_zero)


@pytest.mark.parametrize(
    ("x", "error", "message"),
    [
        (torch.rand(1, 28, 27), ValueError, r"shape \(1, 28, 28\)"),
        (torch.rand(2, 1, 28, 28), ValueError, "shape"),
        (torch.full((1, 28, 28), float("nan")), ValueError, "NaN"),
        (np.full((28, 28), np.inf), ValueError, "infinite"),
        (np.full((28, 28), 255, np.uint8), ValueError, r"\[0, 1\]"),
        (-torch.rand(1, 28, 28), ValueError, r"\[0, 1\]"),
        ([[0.0] * 28] * 28, TypeError, "Tensor or numpy array"),
        ("a drawing", TypeError, "Tensor or numpy array"),
        (np.full((28, 28), "x"), TypeError, "numbers"),
    ],
)
def test_bad_input_is_refused_with_a_message(clf, x, error, message):
    with pytest.raises(error, match=message):
        explain(clf, x)


def test_callers_grad_mode_and_the_shared_network_are_left_alone(clf, digits):
    expected = explain(clf, digits[7])
    params = list(clf.network.parameters())
    flags = [p.requires_grad for p in params]
    for context in (torch.inference_mode, torch.no_grad):
        with context():
            e = explain(clf, digits[7])
            assert not torch.is_grad_enabled()
        np.testing.assert_array_equal(e.attribution, expected.attribution)
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
    assert all(p.grad is None for p in params)
    assert [p.requires_grad for p in params] == flags


def test_explanations_in_several_threads_at_once_agree(clf, digits):
    xs = [digits[d] for d in (2, 8)] * 4
    expected = [explain(clf, x).attribution for x in xs]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda x: explain(clf, x).attribution, xs))
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


# The panel. A small tree of the HTML, to ask what a visitor (or a browser test) would find.
class Element:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs, self.children, self.text = tag, attrs, [], ""

    def find(self, testid: str) -> Element | None:
        if self.attrs.get("data-testid") == testid:
            return self
        return next((f for c in self.children if (f := c.find(testid)) is not None), None)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


class _TreeBuilder(HTMLParser):
    VOID = frozenset({"img", "br"})  # elements without a closing tag

    def __init__(self) -> None:
        super().__init__()
        self.root = Element("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].text += data


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def cells(tree: Element, testid: str) -> list[Element]:
    """The cells of a layer's row, or of the gallery's grid, in order."""
    section = tree.find(testid)
    return (
        section.children[1].children[0].children
        if testid == "inside-gallery"
        else section.children[1].children
    )


def test_panel_has_its_hooks_and_ten_labelled_outputs(clf, digits):
    html = inside_html(explain(clf, digits[4]))
    tree = parse(html)
    assert tree.find("inside") is not None
    for k, n in enumerate((200, 150, 100, 80), start=1):
        assert len(cells(tree, f"inside-layer-{k}")) == n
    outputs = [el for el in tree.find("inside-layer-5").walk() if "data-digit" in el.attrs]
    assert [el.text for el in outputs] == [str(d) for d in range(10)]
    assert [el.attrs["data-digit"] for el in outputs] == [str(d) for d in range(10)]
    assert [el.text for el in outputs if "top" in el.attrs["class"].split()] == ["4"]
    attribution = tree.find("inside-attribution")
    assert len([el for el in attribution.walk() if el.tag == "img"]) == 2
    assert "Why a 4?" in html and "Why not a" in html
    assert len(cells(tree, "inside-gallery")) == 200


def test_units_keep_their_places_and_light_up_with_their_activation(clf, digits):
    """Cell j of a row is unit j in every frame (never sorted), lit when that unit fires."""
    for digit in (1, 6):
        e = explain(clf, digits[digit])
        tree = parse(inside_html(e))
        lit = [j for j, c in enumerate(cells(tree, "inside-layer-2")) if c.attrs["class"] != "a0"]
        strong = set(np.flatnonzero(e.activations[1] > 0.05 * e.activations[1].max()))
        assert strong <= set(lit) <= set(np.flatnonzero(e.activations[1] > 0))
        gallery = cells(tree, "inside-gallery")
        assert [j for j, c in enumerate(gallery) if c.attrs["class"] == "top"] == sorted(e.units)
        assert {j for j, c in enumerate(gallery) if c.attrs["class"]} == set(np.flatnonzero(e.activations[0]))


def test_panel_changes_with_the_drawing(clf):
    one, zero = inside_html(explain(clf, drawn(1))), inside_html(explain(clf, drawn(0)))
    assert one != zero
    assert "Why a 1?" in one and "Why a 0?" in zero
    lit = [[c.attrs["class"] for c in cells(parse(html), "inside-layer-1")] for html in (one, zero)]
    assert lit[0] != lit[1]


def test_panel_is_small_self_contained_and_styled(clf, digits):
    htmls = [inside_html(explain(clf, digits[d])) for d in (0, 9)]
    for html in htmls:
        assert len(html.encode()) < 60_000
        urls = re.findall(r"(?:src=\"|url\()([^\")]+)", html)
        assert urls and all(u.startswith("data:image/png;base64,") for u in urls)
    # every class the panel uses is styled in ui/inside.css
    css = CSS.read_text()
    classes = {c for html in htmls for c in re.findall(r'class="([^"]*)"', html) for c in c.split()}
    assert classes and all(re.search(rf"\.{c}(?![\w-])", css) for c in classes), classes


def lit_rows(html: str) -> list[list[str]]:
    """The classes of every hidden layer's cells, row by row."""
    return [[c.attrs["class"] for c in cells(parse(html), f"inside-layer-{k}")] for k in range(1, 5)]


def without_cell_classes(html: str) -> str:
    return re.sub(r'<i class="a\d"></i>', "<i></i>", html)


def test_layers_are_lit_on_the_scales_the_weights_file_carries(clf, digits, tmp_path):
    """Brightness comes from the weights file's layer_scales: the same weights with other scales
    draw the same panel, lit differently; a file without them still draws it, each layer's
    strongest unit in the frame at full brightness."""
    assert clf.layer_scales is not None and len(clf.layer_scales) == 4  # the shipped file has them
    shipped = inside_html(explain(clf, digits[8]))
    halved = [s / 2 for s in clf.layer_scales]
    weights_io.save(clf.network, tmp_path / "halved.safetensors", layer_scales=halved)
    brighter = load_classifier(tmp_path / "halved.safetensors", device="cpu")
    assert brighter.layer_scales == pytest.approx(halved, abs=0.006)
    html = inside_html(explain(brighter, digits[8]))
    assert without_cell_classes(html) == without_cell_classes(shipped)  # the same drawing
    for row, shipped_row in zip(lit_rows(html), lit_rows(shipped)):
        assert row != shipped_row and sum(map(level, row)) > sum(map(level, shipped_row))

    weights_io.save(clf.network, tmp_path / "old.safetensors")  # as trained before layer_scales
    old = load_classifier(tmp_path / "old.safetensors", device="cpu")
    assert old.layer_scales is None
    html = inside_html(explain(old, digits[8]))
    assert without_cell_classes(html) == without_cell_classes(shipped)
    assert all(max(map(level, row)) == 9 for row in lit_rows(html))


def level(cell_class: str) -> int:
    return int(cell_class[1:])


def test_no_digit_gives_a_hint():
    html = inside_html(None)
    assert parse(html).find("inside") is not None and "Draw a digit" in html
