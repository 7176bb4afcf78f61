"""Count the arithmetic of a training step from the layer shapes, and this CPU's peak.

Used by benchmarks/profile_step.py and benchmarks/cpu_levers.py. A multiply-add (MAC) is two
floating-point operations (FLOPs). Only convolutions, transposed convolutions and linear layers
are counted: BatchNorm, activations, the losses and Adam are a few operations per element, well
under 1 % of the step here.
"""
from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

from ganlab.speed import usable_cores

COUNTED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


def layer_macs(model: nn.Module, example: torch.Tensor) -> list[tuple[str, int]]:
    """(name, multiply-adds per image) of each counted layer of ``model``, in forward order.

    A Conv2d does (in_channels / groups) * kh * kw MACs per output element; a ConvTranspose2d
    scatters each *input* element into out_channels / groups * kh * kw outputs; a Linear does
    in_features * out_features per row. Measured with forward hooks on one pass over ``example``.
    """
    found = []

    def hook(module, inputs, output):
        x = inputs[0]
        per_image = x.size(0)
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            macs = output[0].numel() * module.in_channels // module.groups * kh * kw
        elif isinstance(module, nn.ConvTranspose2d):
            kh, kw = module.kernel_size
            macs = x[0].numel() * module.out_channels // module.groups * kh * kw
        else:
            macs = x.numel() // per_image * module.out_features
        found.append((names[module], macs))

    names = {module: name for name, module in model.named_modules()}
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, COUNTED)]
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            was_training = model.training
            model.eval()
            model(example)
            model.train(was_training)
    finally:
        for handle in handles:
            handle.remove()
    return found


def dcgan_step_macs(G: nn.Module, D: nn.Module, noise_dim: int) -> dict:
    """Multiply-adds per real image of the course's step (ganlab's ``train_step``), by part.

    A layer's backward costs its forward twice over: once for the weight gradient, once for the
    input gradient, except where the input needs none (the noise, the real images, the detached
    fakes). The D move: G forward (detached), then D forward and backward on the fakes and on the
    real images. The G move: G forward on fresh noise, D forward, D backward (weights and input),
    G backward. ``reuse_fakes`` is the same without the second G forward (PyTorch's tutorial).
    """
    g_layers = layer_macs(G, torch.zeros(2, noise_dim))
    d_layers = layer_macs(D, torch.zeros(2, 1, 28, 28))
    F_G, F_D = sum(m for _, m in g_layers), sum(m for _, m in d_layers)
    G_first, D_first = g_layers[0][1], d_layers[0][1]
    d_move = F_G + 2 * (F_D + F_D + (F_D - D_first))
    g_move = F_G + F_D + 2 * F_D + F_G + (F_G - G_first)
    return {"G_forward": F_G, "D_forward": F_D, "D_move": d_move, "G_move": g_move,
            "step": d_move + g_move, "reuse_fakes_step": d_move + g_move - F_G,
            "G_layers": g_layers, "D_layers": d_layers}


def cpu_description() -> dict:
    """What /proc/cpuinfo and lscpu-like sources say of this CPU: model, vendor, family, GHz, flags."""
    info = {"model": "unknown", "vendor": "unknown", "family": 0, "ghz": 0.0, "flags": set()}
    path = Path("/proc/cpuinfo")
    if not path.is_file():
        return info
    text = path.read_text()
    for key, pattern in (("model", r"model name\s*:\s*(.+)"), ("vendor", r"vendor_id\s*:\s*(.+)")):
        match = re.search(pattern, text)
        if match:
            info[key] = match.group(1).strip()
    family = re.search(r"cpu family\s*:\s*(\d+)", text)
    info["family"] = int(family.group(1)) if family else 0
    mhz = re.search(r"cpu MHz\s*:\s*([\d.]+)", text)
    info["ghz"] = float(mhz.group(1)) / 1000 if mhz else 0.0
    flags = re.search(r"flags\s*:\s*(.+)", text)
    info["flags"] = set(flags.group(1).split()) if flags else set()
    return info


def fp32_flop_per_cycle(info: dict) -> tuple[int, str]:
    """FP32 FLOPs one core can retire per cycle with fused multiply-adds, and why.

    Two FMA pipes per core on every x86 core of the last decade; what differs is their width.
    AMD Zen 2-4 (family 23 and 25) have 256-bit pipes (Zen 4 runs AVX-512 as two 256-bit halves):
    2 pipes x 8 lanes x 2 = 32. Zen 5 (family 26) and Intel server cores with AVX-512: 512-bit,
    64. AVX2 with FMA elsewhere: 32. Without FMA: 16 (a multiply and an add per 256-bit lane pair).
    """
    flags, vendor, family = info["flags"], info["vendor"], info["family"]
    if vendor == "AuthenticAMD" and family in (23, 25):
        return 32, f"AMD family {family} (Zen 2-4): 2 FMA pipes x 256 bits = 2 x 8 fp32 lanes x 2"
    if "avx512f" in flags:
        return 64, "AVX-512 with 2 FMA pipes x 512 bits = 2 x 16 fp32 lanes x 2"
    if "fma" in flags:
        return 32, "AVX2 FMA: 2 pipes x 8 fp32 lanes x 2"
    return 16, "no FMA: 8 lanes x (1 multiply + 1 add)"


def theoretical_peak_gflops(cores: int | None = None) -> tuple[float, str]:
    """cores x GHz x FP32 FLOP/cycle, with the derivation as text."""
    info = cpu_description()
    per_cycle, why = fp32_flop_per_cycle(info)
    cores = cores or usable_cores()
    peak = cores * info["ghz"] * per_cycle
    return peak, (f"{cores} cores x {info['ghz']:.2f} GHz x {per_cycle} FLOP/cycle ({why}); "
                  f"CPU: {info['model']}")


def measured_matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """fp32 GFLOP/s of torch's best case, a large square matrix product (MKL/oneDNN sgemm)."""
    import time

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)  # warm-up: threads started, code paged in
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9
