"""Training end to end on a tiny MNIST-format dataset: train.py's command line, and the
model.training library behind it (outputs, reproducibility, interruption and resume).

python -m pytest tests/test_training.py
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from harness.python_run import run_python
from model import load_classifier
from model import weights as weights_io
from model.training import ConfigError, TrainConfig, start, train
from model.training.data import load_mnist
from model.weights import read_metadata


def flags(**options) -> list[str]:
    """train.py arguments from keywords: flags(data_dir=d, quiet=True) -> ["--data-dir", d, "--quiet"]."""
    args = []
    for name, value in options.items():
        args.append("--" + name.replace("_", "-"))
        if value is not True:
            args.append(str(value))
    return args


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return run_python(["train.py", *args])  # forked from the suite's warm interpreter


@pytest.fixture(scope="module")
def refusals(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """train.py's command lines that stop before training."""
    folder = tmp_path_factory.mktemp("cli")
    commands = {
        "help": ["--help"],
        "missing data": flags(data_dir=folder / "nothing", no_download=True, out=folder / "w.st"),
        "out of range": flags(epochs=0, out=folder / "w.st"),
        "no checkpoint": flags(resume=True, checkpoint=folder / "none.safetensors", quiet=True),
    }
    return {name: run_cli(*args) for name, args in commands.items()}


@pytest.mark.slow
def test_training_from_the_command_line_writes_weights_and_report(tiny_mnist, tmp_path, drawn_cache):
    out = tmp_path / "w" / "mlp.safetensors"
    result = run_cli(
        *flags(data_dir=tiny_mnist, out=out, checkpoint=tmp_path / "ck.safetensors", no_download=True),
        *flags(epochs=3, batch_size=32, lr=3e-3, cache_dir=drawn_cache, quiet=True),
    )
    assert result.returncode == 0, result.stderr
    assert "Test accuracy:" in result.stdout

    report = out.parent / "report"
    for name in ("metrics.json", "curves.png", "confusion.png", "mistakes.png", "first_layer.png"):
        assert (report / name).stat().st_size > 0, name
    metrics = json.loads((report / "metrics.json").read_text())
    assert len(metrics["history"]) == 3
    assert len(metrics["confusion_matrix"]) == 10 and sum(map(sum, metrics["confusion_matrix"])) == 100
    # the clean hand-made digits are easy: even 3 short epochs learn them
    assert metrics["test_accuracy"] > 0.5

    meta = read_metadata(out)
    assert float(meta["test_accuracy"]) == pytest.approx(metrics["test_accuracy"], abs=1e-6)
    training = json.loads(meta["training"])
    assert training["epochs"] == 3
    # what the digits were drawn with is in the header; the drawings were cached
    assert training["drawn_share"] == 0.33 and training["pad"]["height_px"] == [40.0, 150.0]
    assert len(list(drawn_cache.glob("drawn-*.safetensors"))) == 1  # (the session's, shared)
    assert meta["torch_version"] == torch.__version__ and meta["dataset"] == "MNIST"
    # the run finished, so there is nothing to resume
    assert not (tmp_path / "ck.safetensors").exists()
    # what was written is what the app loads
    clf = load_classifier(out, device="cpu")
    test_x, _ = load_mnist(tiny_mnist, train=False, download=False)
    probs = clf.predict_proba(test_x[:5].unsqueeze(1).float() / 255)
    assert probs.shape == (5, 10) and torch.allclose(probs.sum(1), torch.ones(5))


def test_help_shows_every_option_with_its_default(refusals):
    result = refusals["help"]
    assert result.returncode == 0
    for option in (
        "--data-dir",
        "--epochs",
        "--batch-size",
        "--lr",
        "--seed",
        "--device",
        "--out",
        "--no-augment",
        "--resume",
    ):
        assert option in result.stdout
    text = " ".join(result.stdout.split())  # argparse wraps lines to the terminal width
    assert "(default: ./data)" in text
    assert "--epochs EPOCHS passes over the 60,000 training images (default: 150)" in text


def test_missing_data_says_where_to_point_data_dir(refusals):
    result = refusals["missing data"]
    assert result.returncode == 2
    assert "train-images-idx3-ubyte" in result.stderr and "--data-dir" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_out_of_range_are_one_line_errors(refusals):
    result = refusals["out of range"]
    assert result.returncode == 2
    assert result.stderr.startswith("error: epochs") and "Traceback" not in result.stderr
    with pytest.raises(ConfigError, match="learning rate"):
        TrainConfig(lr=0)


def tiny_config(data_dir: Path, folder: Path, cache: Path | None = None, **changes) -> TrainConfig:
    settings = dict(
        data_dir=str(data_dir),
        download=False,
        epochs=2,
        batch_size=64,
        seed=3,
        device="cpu",
        out=str(folder / "mlp.safetensors"),
        checkpoint=str(folder / "ck.safetensors"),
        cache_dir=str(cache or folder / "cache"),
    )
    return TrainConfig(**{**settings, **changes})


@pytest.mark.slow  # a training run
def test_same_seed_gives_the_same_weights_and_another_seed_does_not(tiny_mnist, tmp_path, drawn_cache):
    runs = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        result = train(tiny_config(tiny_mnist, tmp_path / name, drawn_cache, seed=seed, epochs=1), log=None)
        runs[name] = load_file(result.weights_path)
    assert runs["a"].keys() == runs["b"].keys()
    assert all(torch.equal(runs["a"][k], runs["b"][k]) for k in runs["a"])
    assert not all(torch.equal(runs["a"][k], runs["c"][k]) for k in runs["a"])


@pytest.fixture(scope="module")
def tiny_run(tiny_mnist, drawn_cache, tmp_path_factory):
    """One run of tiny_config's recipe to its end, for the tests that only read what it wrote."""
    config = tiny_config(tiny_mnist, tmp_path_factory.mktemp("tiny-run"), drawn_cache)
    return config, train(config, log=None)


@pytest.mark.slow  # a training run
def test_interrupted_run_keeps_old_weights_and_resumes_to_the_same_result(
    tiny_mnist, tmp_path, drawn_cache, tiny_run
):
    _, reference = tiny_run  # the same recipe, run without a break

    config = tiny_config(tiny_mnist, tmp_path / "run", drawn_cache)
    out, ck = Path(config.out), Path(config.checkpoint)
    out.parent.mkdir()
    out.write_bytes(b"previous weights")
    checks = []

    def ctrl_c_in_epoch_two(record: dict) -> None:
        checks.append(record)
        if len(checks) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, on_eval=ctrl_c_in_epoch_two, log=None)
    assert out.read_bytes() == b"previous weights"  # nothing half-written, nothing lost
    assert ck.exists()

    # the command line resumes with the checkpoint's recipe, whatever its own flags say
    result = run_cli(
        *flags(data_dir=tiny_mnist, out=out, checkpoint=ck, resume=True, epochs=9, seed=1),
        *flags(cache_dir=config.cache_dir),
    )
    assert result.returncode == 0, result.stderr
    assert "Resuming from" in result.stdout and "after epoch 1 of 2" in result.stdout
    resumed, expected = load_file(out), load_file(reference.weights_path)
    assert all(torch.equal(resumed[k], expected[k]) for k in expected)
    assert json.loads(read_metadata(out)["training"])["epochs"] == 2
    assert not ck.exists()


def test_resume_without_a_checkpoint_is_a_clear_error(refusals):
    result = refusals["no checkpoint"]
    assert result.returncode == 2
    assert "No checkpoint" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow  # a training run
def test_the_library_reports_progress_and_writes_the_first_layer_grid(tiny_mnist, tmp_path, drawn_cache):
    seen = []
    config = tiny_config(
        tiny_mnist, tmp_path, drawn_cache, evals_per_epoch=2, batch_size=50
    )  # 6 steps an epoch
    result = train(config, on_eval=seen.append, log=None)
    assert [r["epoch"] for r in seen] == [0.5, 1.0, 1.5, 2.0]
    assert result.history == seen
    assert (result.report_dir / "first_layer.png").stat().st_size > 0


def test_only_the_training_digits_are_drawn_and_no_share_draws_nothing(tiny_mnist, tmp_path, monkeypatch):
    from model.training import loop

    drawn, real = [], loop.load_drawn

    def spy(images, *args, **kwargs):
        drawn.append(images)
        return real(images, *args, **kwargs)

    monkeypatch.setattr(loop, "load_drawn", spy)
    run = start(tiny_config(tiny_mnist, tmp_path, drawn_variants=3), log=None)
    train_x, _ = load_mnist(tiny_mnist, train=True, download=False)
    assert len(drawn) == 1 and torch.equal(drawn[0], train_x)  # the 300 training digits, never the test ones
    assert run.train_data[0].shape == (300, 4, 28, 28) and torch.equal(run.train_data[0][:, 0], train_x)

    drawn.clear()
    run = start(tiny_config(tiny_mnist, tmp_path / "scans", drawn_share=0.0), log=None)
    assert not drawn and run.train_data[0].shape == (300, 28, 28)  # the scans-only recipe, as before


def test_what_a_whole_digit_scores_is_the_median_energy_of_the_digits_read_right():
    from model.training.evaluate import Evaluation

    labels = torch.tensor([0, 0, 0, 1, 1, 2])
    predictions = torch.tensor([0, 0, 5, 1, 1, 7])  # a 0 and the 2 read wrong
    energies = torch.tensor([10.0, 12.0, 1.0, 20.0, 22.0, 30.0])
    medians = Evaluation(predictions, labels, torch.ones(6), energies=energies).digit_energy(n_classes=3)
    assert medians[:2] == [10.0, 20.0]  # torch's median of two is the lower one; the miss is left out
    assert medians[2] != medians[2]  # NaN: no 2 was read right


@pytest.mark.slow  # a training run
def test_trained_weights_carry_what_a_whole_digit_scores_and_how_strongly_layers_fire(
    tiny_mnist, tmp_path, tiny_run
):
    from model.numbers import load_path_weights
    from model.training.scales import measure_layer_scales

    learned = load_path_weights()

    config, result = tiny_run
    clf = load_classifier(result.weights_path, device="cpu")
    # the "Look inside" panel's brightness: each hidden layer's 99th percentile on the test digits
    test_images, _ = load_mnist(tiny_mnist, train=False, download=False)
    measured_scales = measure_layer_scales(clf.network, test_images)
    assert len(measured_scales) == len(config.hidden) and all(s > 0 for s in measured_scales)
    assert clf.layer_scales == pytest.approx(measured_scales, abs=0.006)  # written to 2 decimals
    energy = clf.digit_energy
    assert energy is not None and len(energy) == 10
    measured = [e for e in energy if e == e]  # NaN: none of that digit read right in so short a run
    assert len(measured) >= 5 and all(0 < e < 100 for e in measured)
    medians = learned.digit_medians(energy)  # what reading numbers with these weights will expect
    assert [m for m, e in zip(medians, energy) if e == e] == measured and medians != learned.digit_energy
    assert all(m == d for m, e, d in zip(medians, energy, learned.digit_energy) if e != e)
    # a weights file without it (an older one) reads numbers with the number reader's own values
    network = load_classifier(result.weights_path, device="cpu").network
    weights_io.save(network, tmp_path / "old.safetensors")
    old = load_classifier(tmp_path / "old.safetensors", device="cpu")
    assert old.digit_energy is None and old.layer_scales is None
