"""Reading a whole number: which ink is which digit, where touching digits are cut, which marks
are strays, and how sure each reading is.

    from model.numbers import default_reader, find_digits
    segments, logits, whole, digit = find_digits(image, classifier, default_reader(classifier.device))

    segmentation.py  the search: group the ink, propose cuts, read every candidate, best path
    cuts.py          candidate cut paths through touching digits (profile, contours, drop-fall)
    marks.py         stray marks: underlines, and small pieces a digit may do without
    priors.py        the features of a step of the search (energy, width, height, cost of a cut)
    whole_digit.py   the second, small network: is a piece of ink one whole digit?
    learned.py       the learned data: path weights, digit widths, energy medians (a JSON file)
    verdict.py       number, a guess, or not a digit: the score and its thresholds (a JSON file)
    reader.py        NumberReader: the check and the learned data, loaded once
    training/        how the check and the path weights are learned (dev dependencies)

numpy, Pillow, scipy and torch inference only; training/ is imported by train.py, never by the app.
"""

from .learned import DEFAULT_PATH_WEIGHTS, PathWeights, load_path_weights, save_path_weights
from .reader import NumberReader, default_reader, load_reader
from .segmentation import Search, Segment, Step, best_path, find_digits, search

__all__ = [
    "DEFAULT_PATH_WEIGHTS",
    "NumberReader",
    "PathWeights",
    "Search",
    "Segment",
    "Step",
    "best_path",
    "default_reader",
    "find_digits",
    "load_path_weights",
    "load_reader",
    "save_path_weights",
    "search",
]
