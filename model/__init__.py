"""Draw-a-digit model: the MLP and its weights, drawings turned into MNIST-style digits, training.

Public contract (stable; the app, programs and outside benchmarks rely on it):

    from model import load_classifier, preprocess, read_drawing
    clf = load_classifier()                  # shipped weights on the best device
    x = preprocess(image)                    # PIL image / numpy array -> (1, 28, 28) or None
    probs = clf.predict_proba(x[None])       # (N, 1, 28, 28) in [0, 1] -> (N, 10)
    reading = read_drawing(image, clf)       # every digit of a drawing, read: reading.number
    reading.verdict                          # "number" (a fact), "unsure" (a guess), "not_a_digit", "empty"
    reading.digits[i].not_a_digit            # this piece of a number does not look like a digit
    reading.to_dict()                        # the JSON /read_image answers: "number", "verdict", "digits"
    e = explain(clf, x)                      # look inside: activations, attributions, units

`number` is always the digits read, whatever the verdict, so a program can still see the guess.
The verdict's thresholds are data (weights/verdict.json, written by `python train.py --verdict`).

The package has these rooms, and the app needs only the first three:
- the network and its weights: `network`, `weights`, `classifier` (torch, safetensors);
- `drawing/`: any image -> ink -> digits -> 28x28 (numpy, Pillow, scipy; no torch training);
- `numbers/`: reading a whole number (segmentation, cuts, marks, the path score, the whole-digit
  check, the verdict), with its learned data in weights/ and its own training in `numbers/training/`;
- `training/`: MNIST, augmentation, the training loop, evaluation, checkpoints, the report
  (needs the dev dependencies: torchvision, matplotlib, tqdm). Import it as `model.training`;
- `synth/`: drawings made from MNIST digits (sketch-style digits, handwritten numbers) and drawings
  that are not digits (letters, symbols, doodles), that training and the benchmarks share.
"""

from .classifier import Classifier, load_classifier, pick_device
from .drawing.image_io import ImageError, open_image
from .drawing.preprocess import preprocess
from .explanation import Explanation, explain
from .network import MLP, MLPConfig
from .reading import DigitReading, Reading, read_drawing
from .weights import WeightsError

__all__ = [
    "MLP",
    "Classifier",
    "DigitReading",
    "Explanation",
    "ImageError",
    "MLPConfig",
    "Reading",
    "WeightsError",
    "explain",
    "load_classifier",
    "open_image",
    "pick_device",
    "preprocess",
    "read_drawing",
]
