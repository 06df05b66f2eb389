"""Draw-a-digit model: the MLP and its weights, drawings turned into MNIST-style digits, training.

Public contract (stable; the app, programs and outside benchmarks rely on it):

    from model import load_classifier, preprocess, read_drawing
    clf = load_classifier()                  # shipped weights on the best device
    x = preprocess(image)                    # PIL image / numpy array -> (1, 28, 28) or None
    probs = clf.predict_proba(x[None])       # (N, 1, 28, 28) in [0, 1] -> (N, 10)
    reading = read_drawing(image, clf)       # every digit of a drawing, read: reading.number
    e = explain(clf, x)                      # look inside: activations, attributions, units

The package has three rooms, and the app needs only the first two:
- the network and its weights: `network`, `weights`, `classifier` (torch, safetensors), and
  `whole_digit`, the small second network that tells reading numbers which pieces are digits;
- `drawing/`: any image -> ink -> digits -> 28x28 (numpy, Pillow, scipy; no torch training);
- `training/`: MNIST, augmentation, the training loop, evaluation, checkpoints, the report
  (needs the dev dependencies: torchvision, matplotlib, tqdm). Import it as `model.training`.
"""

from .classifier import Classifier, load_classifier, pick_device
from .drawing.image_io import ImageError, open_image
from .drawing.preprocess import preprocess
from .drawing.segment import DigitCrop, segment_digits
from .explanation import Explanation, explain
from .network import MLP, MLPConfig
from .reading import DigitReading, Reading, read_drawing
from .weights import WeightsError

__all__ = [
    "MLP",
    "Classifier",
    "DigitCrop",
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
    "segment_digits",
]
