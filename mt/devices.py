"""Where a torch model runs: the device check shared by the translation engines and the e5 segmenter."""
from __future__ import annotations

from .errors import ConfigError


def resolve_device(device: str, where: str = "translate.device") -> str:
    """"auto" -> "cuda" when torch sees a GPU, else "cpu"; explicit values are checked (``where``: the config key)."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device '{device}' requested but no CUDA GPU is visible", where=where,
                          fix="use device = \"auto\" or \"cpu\"")
    if device != "cpu" and not device.startswith("cuda"):
        raise ConfigError(f"unknown device '{device}'", where=where,
                          fix="use \"auto\", \"cpu\", \"cuda\" or \"cuda:N\"")
    return device


def cpu_has_bf16() -> bool:
    """True when this CPU runs bfloat16 matmuls natively (oneDNN: AVX512-BF16 or AMX)."""
    import torch

    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):      # a torch build without oneDNN
        return False
