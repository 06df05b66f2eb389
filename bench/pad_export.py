"""What making a frame costs in the browser: the canvas's own PNG against the pad's grey PNG.

    python -m bench.pad_export              # 200 frames each, alternating
    python -m bench.pad_export --frames 500

ui/pad.js sends each frame as an 8-bit grey PNG it makes itself (`exportPng`: the export
canvas's pixels, deflated by ui/png.js), not the canvas's RGBA `toDataURL("image/png")`: a
quarter of the bytes for the server to inflate, at some cost in the page. Headless Debian
Chromium runs the pad's own functions (taken from ui/pad.js as they are, and ui/png.js whole) on
a digit's stroke drawn on the 320x160 export canvas, and times both ways of making the frame,
alternating, from the canvas cleared to the data URL. The first 20 of each are warm-up.
"""

from __future__ import annotations

import argparse
import re

import numpy as np

from bench.common import ROOT, markdown_table, write
from harness.browser import chromium
from ui.pad import BRUSH, CANVAS, EXPORT

# the pad's functions that make a frame, and the constants they use
FUNCTIONS = ("paint", "exportPng")

TIMER = """
window.timeFrames = (n) => {
  const canvasPng = [], greyPngs = [];
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    exportCtx.fillStyle = "#fff";
    exportCtx.fillRect(0, 0, EW, EH);
    paint(exportCtx, EW / W, "#000", strokes);
    const a = exportCanvas.toDataURL("image/png");
    canvasPng.push(performance.now() - t);
    t = performance.now();
    const b = exportPng();
    greyPngs.push(performance.now() - t);
    if (!b.startsWith("data:image/png;base64,") || b === a) throw new Error("no grey PNG made");
  }
  const grey = exportPng();
  return { canvasPng, greyPngs, sizes: [grey.length, exportCanvas.toDataURL("image/png").length] };
};
"""


def pad_functions() -> str:
    """The frame-making code of ui/pad.js, as it is there (fails loudly if it moved), and the
    PNG encoder it calls (ui/png.js)."""
    source = (ROOT / "ui" / "pad.js").read_text()
    parts = [(ROOT / "ui" / "png.js").read_text()]
    for name in FUNCTIONS:
        found = re.search(rf"^(async )?function {name}\(.*?^}}\n", source, re.S | re.M)
        parts.append(found.group(0) if found else _missing(name))
    return "\n".join(parts)


def _missing(name: str) -> str:
    raise SystemExit(f"bench.pad_export: {name} is no longer in ui/pad.js; update FUNCTIONS")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=200)
    args = p.parse_args()
    # a 3 drawn as the pad keeps strokes: points in the 640x320 logical canvas
    t = np.linspace(0, 1, 80)
    stroke = np.stack([320 + 70 * np.sin(2 * np.pi * 1.5 * t) * (0.6 + 0.4 * t), 70 + 180 * t], axis=1)
    setup = (
        f"const W = {CANVAS[0]}, H = {CANVAS[1]}, EW = {EXPORT[0]}, EH = {EXPORT[1]}, BRUSH = {BRUSH};\n"
        "const exportCanvas = document.createElement('canvas');\n"
        "exportCanvas.width = EW; exportCanvas.height = EH;\n"
        "const exportCtx = exportCanvas.getContext('2d', { willReadFrequently: true });\n"
        f"const strokes = [{stroke.round(1).tolist()}];\n"
    )
    with chromium() as browser:
        page = browser.new_page()
        page.set_content("<html><body></body></html>")
        page.add_script_tag(content=setup + pad_functions() + TIMER)
        result = page.evaluate(f"timeFrames({args.frames + 20})")
        page.close()
    canvas_ms, grey_ms = (np.asarray(result[k][20:]) for k in ("canvasPng", "greyPngs"))
    grey_chars, canvas_chars = result["sizes"]
    rows = [
        [name, f"{np.median(ms):.2f}", f"{np.percentile(ms, 95):.2f}", chars]
        for name, ms, chars in (
            ("the canvas's PNG (`toDataURL`, RGBA)", canvas_ms, canvas_chars),
            ("the pad's grey PNG (`exportPng`: pixels + ui/png.js)", grey_ms, grey_chars),
        )
    ]
    header = ["a frame of a drawn digit, 320x160", "median ms", "p95 ms", "data URL characters"]
    table = markdown_table(header, rows)
    data = {
        "frames": args.frames,
        "canvas_png": {"median_ms": float(np.median(canvas_ms)), "chars": canvas_chars},
        "grey_png": {"median_ms": float(np.median(grey_ms)), "chars": grey_chars},
    }
    command = "python -m bench.pad_export" + (f" --frames {args.frames}" if args.frames != 200 else "")
    write("pad_export", data, table, command)


if __name__ == "__main__":
    main()
