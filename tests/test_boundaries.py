"""The house rules: which code may import what, checked on the real import graph.

python -m pytest tests/test_boundaries.py

- importing the app loads neither torchvision nor matplotlib (training-only packages), nor any
  training code (model/training, model/numbers/training) or drawing generator (model/synth);
- nothing under model/ imports gradio;
- nothing imports app.py or train.py;
- the product (model/, ui/, app.py, train.py) never imports bench/ or harness/: what training and
  the benchmarks share lives below both, in model/synth.
"""

from __future__ import annotations

import ast
import re

import pytest

from harness.server import ROOT

PACKAGES = ("model", "ui", "bench", "harness", "tests", "examples")
PRODUCT = ("model", "ui", "app.py", "train.py")
NOT_IN_THE_APP = ("model.training", "model.numbers.training", "model.synth")


def python_files() -> list:
    files = [ROOT / "app.py", ROOT / "train.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def imported_modules(path) -> set[str]:
    """Every module a file imports, absolute names (relative imports resolved)."""
    tree = ast.parse(path.read_text(), str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.add(name)
            found |= {f"{name}.{alias.name}" for alias in node.names}
    return found


def test_the_app_loads_no_training_only_package(fresh_app_import):
    # in a fresh interpreter (tests/conftest.py): what importing app.py and making its page
    # really pull in, the weights and Gradio included
    loaded = fresh_app_import["modules"]
    assert "model" in loaded  # the check saw the app's own imports
    training_only = [m for m in loaded if m.split(".")[0] != "model" or m.startswith(NOT_IN_THE_APP)]
    assert training_only == []


@pytest.mark.parametrize("path", [p for p in python_files() if "model" in p.relative_to(ROOT).parts[:1]])
def test_model_never_imports_gradio(path):
    assert not any(m.split(".")[0] in ("gradio", "gradio_client") for m in imported_modules(path))


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_imports_the_app_or_the_training_command(path):
    assert not {"app", "train"} & {m.split(".")[0] for m in imported_modules(path)}


def product_files() -> list:
    files = []
    for part in PRODUCT:
        path = ROOT / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


@pytest.mark.parametrize("path", product_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_product_never_imports_the_benchmarks_or_the_harness(path):
    assert not {"bench", "harness"} & {m.split(".")[0] for m in imported_modules(path)}


def test_no_line_of_the_product_imports_bench_or_harness():
    # the grep of the house rules, line by line: an import inside a function counts too
    pattern = re.compile(r"^\s*(from|import) (bench|harness)\b")
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in product_files()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.match(line)
    ]
    assert found == []
