"""How the number reader learns: the whole-digit check and the path weights (dev dependencies).

    python train.py --whole-digit     # whole_digit.py -> weights/whole_digit.safetensors
    python train.py --path-weights    # path_weights.py -> weights/path_weights.json
    python train.py --verdict         # verdict.py -> weights/verdict.json (the not-a-digit thresholds)

    pairs.py           touching pairs of training digits and straight cuts of them, cached
    cut_candidates.py  the search's own cut pieces of touching pairs, labelled, cached
    whole_digit.py     trains the check on drawn digits against those
    path_weights.py    learns the path score from numbers the number writer (model/synth) writes
    verdict.py         chooses the verdict's thresholds on the tune non-digits and held-out digits

Both learn from the first HELD_OUT_FROM training digits or the rest, never the test digits:
the check's samples come from the first 55,000, the numbers for the path weights and for
`bench.multidigit --validate` from the last 5,000, which neither network has seen.
"""

HELD_OUT_FROM = 55_000
