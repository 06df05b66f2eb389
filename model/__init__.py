"""Draw-a-digit model: the MLP, its weights, MNIST data and augmentation, and preprocessing.

Public contract (stable; other code and outside benchmarks rely on it):

    from model import load_classifier, preprocess
    clf = load_classifier()                  # shipped weights on the best device
    x = preprocess(image)                    # PIL image / numpy array -> (1, 28, 28) or None
    probs = clf.predict_proba(x[None])       # (N, 1, 28, 28) in [0, 1] -> (N, 10)
"""

from .classifier import Classifier, load_classifier, pick_device
from .network import MLP, MLPConfig
from .preprocess import ImageError, preprocess
from .weights import WeightsError

__all__ = [
    "MLP",
    "Classifier",
    "ImageError",
    "MLPConfig",
    "WeightsError",
    "load_classifier",
    "pick_device",
    "preprocess",
]
