"""The CPU path: the same arithmetic as the course's networks, laid out the way a CPU runs it fastest.

Nothing here changes what is computed, only the order of the memory and which kernel does the
multiply-adds, so losses agree with the plain networks to float rounding (tests/test_speed.py).
Measured on a 2-core CPU (benchmarks/cpu_levers.py; the README's speed section and the speed log,
benchmarks/README.md):

* **channels_last** (NHWC memory): oneDNN, PyTorch's CPU convolution library, runs convolutions
  faster when each pixel's channels sit side by side; 1.08x to 1.12x on the whole step.
* **The transposed convolutions as matrix products.** A transposed convolution is one matrix product
  in disguise: each input pixel's channels times the kernel give a patch of output pixels, and the
  patches are added into the output ``stride`` pixels apart. The first layer, whose input is a
  single pixel, is just ``F.linear`` (``PixelConvTranspose2d``); the others are a product and a few
  shifted adds (``PatchConvTranspose2d``). oneDNN reached 28-40 GFLOP/s on the first and last of
  the generator's layers and 147-181 on the middle ones, on an Intel Xeon whose large matrix products
  reach 366: the same parameters (the modules keep their ``state_dict``) and the same multiply-adds,
  1.3x to 3.6x faster per layer there (benchmarks/transposed_layers.py; the speed log, benchmarks/README.md).
  Not measured on the AMD CPU of earlier sessions, where oneDNN ran closer to its matrix products.
* **Adam without the loop.** On a CPU, Adam updates its tensors one after another in Python;
  ``foreach`` (PyTorch's default on a GPU) does each operation on all of them in one call: bit for
  bit the same numbers, 1.05x on the step on the AMD CPU, nothing measurable on the Xeon.

* **Freed memory kept for the next step.** glibc's malloc hands large freed blocks back to the
  operating system and faults them in again, page by page, at the next step; ``keep_freed_memory``
  tells it to keep them (Linux only). No number changes; 1.07x to 1.14x on the step here.

``speed_up(model)`` applies the first two and ``foreach_adam(optimizer)`` the third; ``ganlab.game``
calls them, and ``keep_freed_memory``, for networks trained on a CPU (``Config.speedups``; off, the
course's modules run as written). ``match_threads_to_cores`` keeps torch from starting more threads
than the cores this process may use.
"""
from __future__ import annotations

import ctypes
import os
import platform
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable


def _plain(module: nn.ConvTranspose2d) -> bool:
    """No padding, dilation, groups or output padding: the cases the matrix forms below cover."""
    return (module.padding == (0, 0) and module.dilation == (1, 1) and module.groups == 1
            and module.output_padding == (0, 0) and module.padding_mode == "zeros")


class PixelConvTranspose2d(nn.ConvTranspose2d):
    """A ConvTranspose2d whose input is one pixel, computed as one matrix product.

    On a 1x1 input each output pixel (i, j) is just ``x @ W[:, :, i, j]`` plus the bias: all of
    them at once are ``F.linear`` with the kernel flattened. Other inputs use the usual kernel.
    """

    def forward(self, x, output_size=None):
        if x.dim() != 4 or x.shape[-2:] != (1, 1) or output_size is not None or not _plain(self):
            return super().forward(x, output_size)
        kh, kw = self.kernel_size
        weight = self.weight.permute(0, 2, 3, 1).reshape(self.in_channels, -1)  # (in, kh * kw * out)
        y = F.linear(x.flatten(1), weight.t()).view(-1, kh, kw, self.out_channels)  # (B, kh, kw, out)
        if self.bias is not None:
            y = y + self.bias
        return y.permute(0, 3, 1, 2)  # (B, out, kh, kw), stored channels-last


def _strided(size: int, offset: int, stride: int) -> slice:
    """The output positions an input of ``size`` pixels lands on for kernel tap ``offset``."""
    return slice(offset, offset + (size - 1) * stride + 1, stride)


class _PatchesAdded(torch.autograd.Function):
    """A transposed convolution (no bias) as one matrix product and a few shifted adds, channels last.

    Forward: every input pixel's channels times the kernel give a kh x kw patch of output pixels
    (one product for the whole batch: (B*H*W, in) @ (in, kh*kw*out)); the patches are then added
    into the output, tap by tap, ``stride`` pixels apart. Backward reads the same patches back out of
    the output's gradient (one strided copy) and runs the two products of a linear layer's backward.
    Differentiable once (no gradient of a gradient through it: WGAN-GP's penalty goes through the critic
    only). Not made for autocast, which ganlab does not use on a CPU: under it the output stays in the
    input's dtype.
    """

    @staticmethod
    def forward(ctx, x, weight, stride):
        b, c, h, w = x.shape
        _, out, kh, kw = weight.shape
        sh, sw = stride
        pixels = x.permute(0, 2, 3, 1).reshape(b * h * w, c)  # a view when x is channels_last
        kernel = weight.permute(0, 2, 3, 1).reshape(c, kh * kw * out)  # a view when weight is channels_last
        patches = (pixels @ kernel).view(b, h, w, kh, kw, out)
        # When the kernel is at least as wide as the stride, the taps i < sh, j < sw tile the top-left
        # (h * sh) x (w * sw) pixels exactly once, and each is the first tap, in the order below, to reach
        # its pixels: copying those patches instead of adding them to zeros gives the same numbers,
        # without writing the zeros first. Elsewhere (and everywhere, for a stride wider than the
        # kernel) the output starts at zero.
        first_taps_tile = kh >= sh and kw >= sw
        height, width = (h - 1) * sh + kh, (w - 1) * sw + kw
        if first_taps_tile:
            y = x.new_empty(b, height, width, out)
            y[:, h * sh:].zero_()
            y[:, :h * sh, w * sw:].zero_()
        else:
            y = x.new_zeros(b, height, width, out)
        for i in range(kh):
            for j in range(kw):
                target = y[:, _strided(h, i, sh), _strided(w, j, sw)]
                if first_taps_tile and i < sh and j < sw:
                    target.copy_(patches[:, :, :, i, j])
                else:
                    target.add_(patches[:, :, :, i, j])
        ctx.save_for_backward(pixels, kernel)
        ctx.sizes = (b, c, h, w, out, kh, kw, sh, sw)
        return y  # (B, H_out, W_out, out): the module turns it into NCHW's order (a view, outside the Function)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_y):
        pixels, kernel = ctx.saved_tensors
        b, c, h, w, out, kh, kw, sh, sw = ctx.sizes
        # Patch (y, x)'s tap (i, j) sits at output pixel (y * sh + i, x * sw + j): one strided view of the
        # gradient holds every patch, and one copy lays them out for the products (bit for bit what a
        # loop over the taps, slice by slice, copies; 2-3x faster here).
        s_b, s_h, s_w, s_c = grad_y.stride()
        grad_patches = grad_y.as_strided((b, h, w, kh, kw, out), (s_b, sh * s_h, sw * s_w, s_h, s_w, s_c))
        grad_patches = grad_patches.reshape(b * h * w, kh * kw * out)
        grad_x = grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_x = (grad_patches @ kernel.t()).view(b, h, w, c).permute(0, 3, 1, 2)
        if ctx.needs_input_grad[1]:
            grad_weight = (pixels.t() @ grad_patches).view(c, kh, kw, out).permute(0, 3, 1, 2)
        return grad_x, grad_weight, None


class PatchConvTranspose2d(nn.ConvTranspose2d):
    """A ConvTranspose2d computed as one matrix product, then its patches added into the output.

    Each input pixel times the kernel gives a kh x kw patch per output channel; adding the patches
    ``stride`` pixels apart is what the transposed convolution does, with the same multiply-adds
    (``_PatchesAdded``). Other inputs (padding, groups, ...) use the usual kernel.
    """

    def forward(self, x, output_size=None):
        if x.dim() != 4 or output_size is not None or not _plain(self):
            return super().forward(x, output_size)
        y = _PatchesAdded.apply(x, self.weight, self.stride)  # (B, H_out, W_out, out), a new tensor
        if self.bias is not None:
            y.add_(self.bias)  # in place: the same sums as adding it after, without another output to allocate
        return y.permute(0, 3, 1, 2)  # NCHW order, channels-last memory


def speed_up(model: nn.Module) -> nn.Module:
    """Put ``model`` in channels_last memory and give its transposed convolutions the matrix forms.

    In place; returns ``model``. Parameters, their names and the state_dict are unchanged, so a
    checkpoint loads into a plain network and back. The first transposed convolution (the one the
    noise enters as a single pixel) becomes a ``PixelConvTranspose2d``, every later one a
    ``PatchConvTranspose2d`` (those with padding, dilation, groups or output padding keep the usual kernel).
    """
    transposed = [m for m in model.modules() if isinstance(m, nn.ConvTranspose2d) and _plain(m)]
    for index, module in enumerate(transposed):
        if type(module) is not nn.ConvTranspose2d:  # already given its form (speed_up called twice)
            continue
        module.__class__ = PixelConvTranspose2d if index == 0 else PatchConvTranspose2d
    return model.to(memory_format=torch.channels_last)


def foreach_adam(optimizer: torch.optim.Optimizer) -> torch.optim.Optimizer:
    """Have ``optimizer`` (Adam, or any optimizer with a ``foreach`` option) update all its tensors
    per operation in one call instead of looping over them; returns it. Read at every step, so it
    applies from the next one; the numbers are bit for bit those of the loop (tests/test_speed.py)."""
    for group in optimizer.param_groups:
        if "foreach" in group:
            group["foreach"] = True
    return optimizer


def cpu_quota(cpu_max="/sys/fs/cgroup/cpu.max") -> int | None:
    """The CPUs a cgroup (a container, a CI job) lets this process use, if it sets a limit."""
    try:
        quota, period = Path(cpu_max).read_text().split()[:2]
    except (OSError, ValueError):
        return None
    return None if quota == "max" else max(1, int(int(quota) / int(period)))


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity, within any container quota."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = cpu_quota()
    return min(cores, quota) if quota else cores


def match_threads_to_cores() -> int:
    """Lower torch's thread count to ``usable_cores()`` if it is higher; return the count in use.

    torch starts one thread per core it sees, and inside a container it can see more cores than
    it may use: threads then wait for each other. Never raises the count (a learner's own
    ``torch.set_num_threads`` stays).
    """
    cores = usable_cores()
    if torch.get_num_threads() > cores:
        torch.set_num_threads(cores)
    return torch.get_num_threads()


#: glibc's ``mallopt`` parameter numbers (malloc.h) and the values ``keep_freed_memory`` sets.
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
MMAP_THRESHOLD_MAX = 32 * 2**20  # the largest glibc accepts on a 64-bit machine
TOP_PAD = 256 * 2**20


def keep_freed_memory() -> bool:
    """Have glibc's malloc keep the memory a training step frees, for the next step to reuse.

    Each step allocates and frees the same few hundred megabytes of activations and gradients.
    By default glibc gives large blocks back to the operating system as soon as they are freed,
    and takes them back at the next step, one page fault per 4 KB page (the OS zeroes each page):
    about 6,000 faults a step here; without them the step ran 1.07x to 1.14x faster
    (benchmarks/malloc_lever.py). Set once, for the whole process:
    blocks up to 32 MB come from the heap, and the heap is not trimmed. Nothing computed changes,
    only where the memory comes from; the process keeps its peak memory until it ends. Returns
    whether it applied: on Linux with glibc (not macOS or Windows, nor where another allocator
    such as Colab's tcmalloc is preloaded, which already keeps freed memory).
    """
    if "malloc" in os.environ.get("LD_PRELOAD", "") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    settings = ((M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX), (M_TRIM_THRESHOLD, 2**31 - 1), (M_TOP_PAD, TOP_PAD))
    applied = [mallopt(param, value) == 1 for param, value in settings]  # a list: try every one, even after a refusal
    return all(applied)
