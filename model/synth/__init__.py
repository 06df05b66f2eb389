"""Drawing generators shared by training and the benchmarks: strokes made up, not scanned.

from model.synth.nondigits import drawings
for d in drawings("tune", per_kind=100): ...     # letters, symbols, doodles as strokes
"""
