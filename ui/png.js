// An 8-bit grey PNG of a drawing's pixels, as a data URL, made synchronously: greyPngDataUrl.
// The pad sends every frame this way (ui/pad.js): the canvas's own PNG (toDataURL) is RGBA, four
// times the bytes for the same grey pixels, and the server inflates every frame it reads. The
// browser's CompressionStream made the same PNG smaller but handed its bytes back over several
// tasks, and at pen-up that wait showed in the answer's time (docs/experiments.md). A drawing is
// runs of white and rows like the row above, so deflate's matches at distance 1 and at one row
// back, with its fixed Huffman codes, compress it well enough in well under a millisecond.

// greyPngDataUrl(grey, width, height): grey is a Uint8Array of width * height bytes, row by row.
function greyPngDataUrl(grey, width, height) {
  const rows = new Uint8Array((width + 1) * height); // each row: its filter (0, none), its bytes
  for (let y = 0; y < height; y++) rows.set(grey.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const header = new Uint8Array(13);
  new DataView(header.buffer).setUint32(0, width);
  new DataView(header.buffer).setUint32(4, height);
  header[8] = 8; // bit depth; then colour type 0 (grey), and 0s: deflate, row filters, no interlace
  const chunks = [PNG_SIGNATURE, pngChunk("IHDR", header), pngChunk("IDAT", zlibDeflate(rows, width + 1))];
  chunks.push(pngChunk("IEND", new Uint8Array(0)));
  const png = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (png.set(c, at), at + c.length), 0);
  let text = "";
  for (let i = 0; i < png.length; i += 0x8000) text += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return "data:image/png;base64," + btoa(text);
}

const PNG_SIGNATURE = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  for (let k = 0; k < 8; k++) n = n & 1 ? 0xedb88320 ^ (n >>> 1) : n >>> 1;
  return n >>> 0;
});

// One PNG chunk: length, type, data, and the CRC-32 of type and data.
function pngChunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  let crc = 0xffffffff;
  for (let i = 4; i < 8 + data.length; i++) crc = CRC_TABLE[(crc ^ out[i]) & 0xff] ^ (crc >>> 8);
  view.setUint32(8 + data.length, (crc ^ 0xffffffff) >>> 0);
  return out;
}

// deflate's tables (RFC 1951, 3.2.5): each length and distance code's base and extra bits
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const bitsReversed = (code, bits) => {
  let r = 0;
  for (let i = 0; i < bits; i++) r |= ((code >> i) & 1) << (bits - 1 - i);
  return r;
};
// the fixed literal/length code (3.2.6) as [code with its bits reversed, bits]: deflate packs
// bits from the least significant, Huffman codes from their most significant bit
const FIXED_CODE = Array.from({ length: 288 }, (_, s) => {
  const [code, bits] =
    s < 144 ? [0x30 + s, 8] : s < 256 ? [0x190 + s - 144, 9] : s < 280 ? [s - 256, 7] : [0xc0 + s - 280, 8];
  return [bitsReversed(code, bits), bits];
});

// `bytes` as a zlib stream (RFC 1950) of one fixed-code deflate block; `row` is the distance to
// the byte above (a row's length); matches are looked for there and at distance 1.
function zlibDeflate(bytes, row) {
  const out = new Uint8Array(Math.ceil((bytes.length * 9) / 8) + 64); // all literals: 9 bits at most
  let o = 0;
  let acc = 0;
  let held = 0;
  const put = (value, bits) => {
    acc |= value << held;
    held += bits;
    for (; held >= 8; held -= 8, acc >>>= 8) out[o++] = acc & 0xff;
  };
  const symbol = (s) => put(FIXED_CODE[s][0], FIXED_CODE[s][1]);
  out[o++] = 0x78; // deflate, 32 KB window
  out[o++] = 0x01; // no dictionary, and the header's check bits
  put(1, 1); // the last block
  put(1, 2); // with the fixed codes
  const n = bytes.length;
  for (let i = 0; i < n; ) {
    const most = Math.min(258, n - i);
    let length = 0;
    let distance = 1;
    if (i >= 1) while (length < most && bytes[i + length] === bytes[i + length - 1]) length++;
    if (i >= row && row <= 32768 && length < most) {
      let l = 0;
      while (l < most && bytes[i + l] === bytes[i + l - row]) l++;
      if (l > length) {
        length = l;
        distance = row;
      }
    }
    if (length < 3) {
      symbol(bytes[i++]);
      continue;
    }
    let c = LENGTH_BASE.length - 1;
    while (LENGTH_BASE[c] > length) c--;
    symbol(257 + c);
    put(length - LENGTH_BASE[c], LENGTH_EXTRA[c]);
    let d = DISTANCE_BASE.length - 1;
    while (DISTANCE_BASE[d] > distance) d--;
    put(bitsReversed(d, 5), 5); // distance codes: fixed 5 bits
    put(distance - DISTANCE_BASE[d], DISTANCE_EXTRA[d]);
    i += length;
  }
  symbol(256); // the block's end
  if (held > 0) put(0, 8 - held);
  let a = 1; // Adler-32 of the bytes, big-endian, closes the stream
  let b = 0;
  for (let i = 0; i < n; ) {
    for (const end = Math.min(n, i + 5552); i < end; i++) b += a += bytes[i];
    a %= 65521;
    b %= 65521;
  }
  for (const byte of [b >> 8, b & 0xff, a >> 8, a & 0xff]) out[o++] = byte;
  return out.subarray(0, o);
}
