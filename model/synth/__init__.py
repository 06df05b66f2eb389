"""Drawings made up for training, the benchmarks and the tests.

    sketches.py   one digit as a visitor draws it: its centre line redrawn with a round brush on
                  canvases in the styles a drawing app or a scan produces (and hand-made digits)
    numbers.py    the number writer: digits side by side as one handwritten number, apart,
                  touching, joined, tucked or with a stray mark (MIX: the benchmark's mix)
    nondigits.py  letters no one writes as a digit, symbols and doodles, as strokes:
                  `for d in drawings("tune", per_kind=100): ...`

Below both training and the benchmarks: bench/, harness/ and tests/ import it, it imports none of
them. Needs scikit-image (a dev dependency) to trace digits; the app never imports it.
"""
