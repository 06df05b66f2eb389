"""train.py end to end on a tiny MNIST-format dataset: CLI, outputs, reproducibility, resume.

python -m pytest tests/test_training.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import train
from model import load_classifier
from model.data import load_mnist
from model.weights import read_metadata

ROOT = Path(__file__).resolve().parent.parent
FAST = ["--epochs", "3", "--batch-size", "32", "--quiet", "--lr", "3e-3", "--no-download"]


def flags(**options) -> list[str]:
    """train.py arguments from keywords: flags(data_dir=d, quiet=True) -> ["--data-dir", d, "--quiet"]."""
    args = []
    for name, value in options.items():
        args.append("--" + name.replace("_", "-"))
        if value is not True:
            args.append(str(value))
    return args


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "train.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_training_from_the_command_line_writes_weights_and_report(tiny_mnist, tmp_path):
    out = tmp_path / "w" / "mlp.safetensors"
    result = run_cli(
        "--data-dir",
        str(tiny_mnist),
        "--out",
        str(out),
        "--checkpoint",
        str(tmp_path / "ck.safetensors"),
        *FAST,
    )
    assert result.returncode == 0, result.stderr
    assert "Test accuracy:" in result.stdout

    report = out.parent / "report"
    for name in ("metrics.json", "curves.png", "confusion.png", "mistakes.png"):
        assert (report / name).stat().st_size > 0, name
    metrics = json.loads((report / "metrics.json").read_text())
    assert len(metrics["history"]) == 3
    assert len(metrics["confusion_matrix"]) == 10 and sum(map(sum, metrics["confusion_matrix"])) == 100
    # the clean hand-made digits are easy: even 3 short epochs learn them
    assert metrics["test_accuracy"] > 0.5

    meta = read_metadata(out)
    assert float(meta["test_accuracy"]) == pytest.approx(metrics["test_accuracy"], abs=1e-6)
    assert json.loads(meta["training"])["epochs"] == 3
    assert meta["torch_version"] == torch.__version__ and meta["dataset"] == "MNIST"
    # the run finished, so there is nothing to resume
    assert not (tmp_path / "ck.safetensors").exists()
    # what was written is what the app loads
    clf = load_classifier(out, device="cpu")
    test_x, _ = load_mnist(tiny_mnist, train=False, download=False)
    probs = clf.predict_proba(test_x[:5].unsqueeze(1).float() / 255)
    assert probs.shape == (5, 10) and torch.allclose(probs.sum(1), torch.ones(5))


def test_help_shows_every_option_with_its_default():
    result = run_cli("--help")
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
    assert f"(default: {train.parse_args([]).epochs})" in text


def test_missing_data_says_where_to_point_data_dir(tmp_path):
    result = run_cli(
        "--data-dir", str(tmp_path / "nothing"), "--no-download", "--out", str(tmp_path / "w.st")
    )
    assert result.returncode == 2
    assert "train-images-idx3-ubyte" in result.stderr and "--data-dir" in result.stderr
    assert "Traceback" not in result.stderr


def test_same_seed_gives_the_same_weights(tiny_mnist, tmp_path):
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run / "mlp.safetensors"
        code = train.main(
            flags(
                data_dir=tiny_mnist,
                out=out,
                seed=7,
                epochs=1,
                batch_size=64,
                quiet=True,
                no_download=True,
                device="cpu",
                checkpoint=tmp_path / run / "ck.safetensors",
            )
        )
        assert code == 0
        outs.append(load_file(out))
    assert outs[0].keys() == outs[1].keys()
    assert all(torch.equal(outs[0][k], outs[1][k]) for k in outs[0])


def test_interrupted_run_keeps_old_weights_and_resumes_to_the_same_result(tiny_mnist, tmp_path, monkeypatch):
    common = flags(
        data_dir=tiny_mnist, seed=3, epochs=2, batch_size=64, quiet=True, no_download=True, device="cpu"
    )
    # an uninterrupted reference run
    ref = tmp_path / "ref.safetensors"
    assert train.main([*common, "--out", str(ref), "--checkpoint", str(tmp_path / "ref-ck.safetensors")]) == 0

    out, ck = tmp_path / "mlp.safetensors", tmp_path / "ck.safetensors"
    out.write_bytes(b"previous weights")
    original_evaluate = train.evaluate
    calls = {"n": 0}

    def evaluate_then_ctrl_c(*args, **kwargs):  # Ctrl-C arrives during epoch 2
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original_evaluate(*args, **kwargs)

    monkeypatch.setattr(train, "evaluate", evaluate_then_ctrl_c)
    assert train.main([*common, "--out", str(out), "--checkpoint", str(ck)]) == 130
    assert out.read_bytes() == b"previous weights"  # nothing half-written, nothing lost
    assert ck.exists()

    monkeypatch.setattr(train, "evaluate", original_evaluate)
    assert train.main([*common, "--out", str(out), "--checkpoint", str(ck), "--resume"]) == 0
    resumed, reference = load_file(out), load_file(ref)
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path, capsys):
    code = train.main(["--resume", "--checkpoint", str(tmp_path / "none.safetensors"), "--quiet"])
    assert code == 2
    assert "No checkpoint" in capsys.readouterr().err
