"""The CPU path (ganlab.speed): the same arithmetic as the course's layers, only faster."""
import copy
import platform
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from ganlab import Config, Discriminator, Generator, weights_init
from ganlab.checkpoint import save_checkpoint
from ganlab.data import DeviceBatches
from ganlab.game import DCGAN
from ganlab.games import generator_from_checkpoint
from ganlab.history import History
from ganlab.speed import (
    PatchConvTranspose2d,
    PixelConvTranspose2d,
    cpu_quota,
    keep_freed_memory,
    match_threads_to_cores,
    speed_up,
    usable_cores,
)

ROOT = Path(__file__).resolve().parent.parent


def _same_forward_and_backward(plain: nn.ConvTranspose2d, fast_class, x: torch.Tensor):
    fast = copy.deepcopy(plain)
    fast.__class__ = fast_class
    x_plain, x_fast = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    out_plain, out_fast = plain(x_plain), fast(x_fast)
    torch.testing.assert_close(out_fast, out_plain, rtol=1e-5, atol=1e-5)
    grad = torch.randn_like(out_plain)
    out_plain.backward(grad)
    out_fast.backward(grad)
    torch.testing.assert_close(x_fast.grad, x_plain.grad, rtol=1e-5, atol=1e-5)
    for name, p in plain.named_parameters():
        torch.testing.assert_close(dict(fast.named_parameters())[name].grad, p.grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("in_ch, out_ch, kernel, stride", [(64, 256, 3, 2), (8, 5, 4, 1), (3, 2, (2, 3), (2, 1))])
def test_a_single_pixel_transposed_conv_as_a_matrix_product_matches_the_layer(in_ch, out_ch, kernel, stride):
    torch.manual_seed(0)
    _same_forward_and_backward(nn.ConvTranspose2d(in_ch, out_ch, kernel, stride), PixelConvTranspose2d,
                               torch.randn(6, in_ch, 1, 1))


@pytest.mark.parametrize("in_ch, out_ch, kernel, stride, size", [(64, 1, 4, 2, 13), (256, 128, 4, 1, 3),
                                                                 (128, 64, 3, 2, 6), (16, 3, 3, 1, 5),
                                                                 (8, 2, (4, 3), (2, 3), 7), (4, 3, 2, 3, 4)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_a_transposed_conv_as_product_and_patches_added_matches_the_layer(in_ch, out_ch, kernel, stride, size,
                                                                          channels_last):
    """The course's three later layers, odd kernels and strides, and a stride wider than the kernel
    (patches with gaps between them), from inputs in either memory layout."""
    torch.manual_seed(0)
    x = torch.randn(5, in_ch, size, size + 1)
    if channels_last:
        x = x.to(memory_format=torch.channels_last)
    _same_forward_and_backward(nn.ConvTranspose2d(in_ch, out_ch, kernel, stride), PatchConvTranspose2d, x)


def test_the_patch_form_matches_in_double_precision_and_without_bias_or_input_gradient():
    """In float64 the two forms agree to 1e-12 (only the order of the sums differs); with no bias,
    and with an input that needs no gradient (only the weight gets one), they still agree."""
    torch.manual_seed(0)
    plain = nn.ConvTranspose2d(32, 16, 4, 2, bias=False).double()
    fast = copy.deepcopy(plain)
    fast.__class__ = PatchConvTranspose2d
    x = torch.randn(3, 32, 5, 5, dtype=torch.float64)
    out_plain, out_fast = plain(x), fast(x)
    torch.testing.assert_close(out_fast, out_plain, rtol=0, atol=1e-12)
    grad = torch.randn_like(out_plain)
    out_plain.backward(grad)
    out_fast.backward(grad)
    torch.testing.assert_close(fast.weight.grad, plain.weight.grad, rtol=0, atol=1e-12)


def test_the_patch_forms_output_can_be_changed_in_place_as_the_usual_layers_can():
    """Without a bias the layer's output is the Function's own result: an in-place ReLU after it (a
    learner's ``nn.ReLU(inplace=True)``) must work, and give the plain layer's numbers."""
    torch.manual_seed(0)
    plain = nn.ConvTranspose2d(8, 4, 3, 2, bias=False)
    fast = copy.deepcopy(plain)
    fast.__class__ = PatchConvTranspose2d
    x = torch.randn(2, 8, 5, 5)
    x_plain, x_fast = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    out_plain, out_fast = torch.relu_(plain(x_plain)), torch.relu_(fast(x_fast))
    torch.testing.assert_close(out_fast, out_plain, rtol=1e-5, atol=1e-5)
    out_plain.sum().backward()
    out_fast.sum().backward()
    torch.testing.assert_close(x_fast.grad, x_plain.grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("in_ch, out_ch, kernel, stride, size", [(64, 1, 4, 2, 13), (256, 128, 4, 1, 3),
                                                                 (128, 64, 3, 2, 6), (8, 2, (4, 3), (2, 3), 7),
                                                                 (4, 3, 2, 3, 4), (4, 3, (3, 1), (2, 2), 5)])
def test_the_forward_copies_the_first_taps_to_exactly_the_numbers_of_adding_every_tap_to_zeros(
        in_ch, out_ch, kernel, stride, size):
    """The forward copies the taps that tile the output's top-left block instead of adding them to
    zeros, and adds the bias in place: bit for bit zeros plus every patch in the same order, plus the
    bias, whether the kernel covers the stride, is wider, or leaves gaps (where nothing is copied);
    the bias's gradient is exactly the output gradient summed over batch and pixels."""
    torch.manual_seed(0)
    layer = nn.ConvTranspose2d(in_ch, out_ch, kernel, stride).to(memory_format=torch.channels_last)
    layer.__class__ = PatchConvTranspose2d
    x = torch.randn(3, in_ch, size, size + 1).to(memory_format=torch.channels_last)
    b, c, h, w = x.shape
    _, o, kh, kw = layer.weight.shape
    sh, sw = layer.stride
    weight, bias = layer.weight.detach(), layer.bias.detach()
    patches = (x.permute(0, 2, 3, 1).reshape(b * h * w, c)
               @ weight.permute(0, 2, 3, 1).reshape(c, kh * kw * o)).view(b, h, w, kh, kw, o)
    expected = torch.zeros(b, (h - 1) * sh + kh, (w - 1) * sw + kw, o)
    for i in range(kh):
        for j in range(kw):
            expected[:, i:i + (h - 1) * sh + 1:sh, j:j + (w - 1) * sw + 1:sw] += patches[:, :, :, i, j]
    out = layer(x)
    assert torch.equal(out.permute(0, 2, 3, 1), expected + bias)
    grad = torch.randn_like(out)
    out.backward(grad)
    assert torch.equal(layer.bias.grad, grad.sum((0, 2, 3)))


def _patches_of(grad_y: torch.Tensor, h: int, w: int, kh: int, kw: int, sh: int, sw: int) -> torch.Tensor:
    """The output gradient's kh x kw patches, tap by tap: what the patch form's backward must read."""
    b, out = grad_y.shape[0], grad_y.shape[-1]
    patches = grad_y.new_empty(b, h, w, kh, kw, out)
    for i in range(kh):
        for j in range(kw):
            patches[:, :, :, i, j] = grad_y[:, i:i + (h - 1) * sh + 1:sh, j:j + (w - 1) * sw + 1:sw]
    return patches.view(b * h * w, kh * kw * out)


@pytest.mark.parametrize("layout", ["channels_last", "contiguous", "offset_slice", "every_other_channel", "expanded"])
def test_the_backward_reads_the_patches_of_any_gradient_layout_bit_for_bit(layout):
    """The backward reads every patch out of the gradient in one strided copy: whatever the gradient's
    strides or storage offset, the input's and the weight's gradients are exactly those of the patches
    read tap by tap and the same two products."""
    torch.manual_seed(0)
    layer = nn.ConvTranspose2d(6, 4, (3, 2), (2, 3), bias=False).to(memory_format=torch.channels_last)
    layer.__class__ = PatchConvTranspose2d
    x = torch.randn(3, 6, 5, 4).to(memory_format=torch.channels_last).requires_grad_(True)
    out = layer(x)
    shape = out.shape
    b_, o_, h_, w_ = shape
    grad = {"channels_last": torch.randn(shape).to(memory_format=torch.channels_last),
            "contiguous": torch.randn(shape),
            "offset_slice": torch.randn(2, *shape)[1],
            "every_other_channel": torch.randn(b_, 2 * o_, h_, w_)[:, 1::2],
            "expanded": torch.randn(1, o_, 1, w_).expand(shape)}[layout]  # zero strides, values still varying
    out.backward(grad)
    b, c, h, w = x.shape
    _, o, kh, kw = layer.weight.shape
    patches = _patches_of(grad.permute(0, 2, 3, 1), h, w, kh, kw, *layer.stride)
    pixels = x.detach().permute(0, 2, 3, 1).reshape(b * h * w, c)
    kernel = layer.weight.detach().permute(0, 2, 3, 1).reshape(c, kh * kw * o)
    assert torch.equal(x.grad, (patches @ kernel.t()).view(b, h, w, c).permute(0, 3, 1, 2))
    assert torch.equal(layer.weight.grad, (pixels.t() @ patches).view(c, kh, kw, o).permute(0, 3, 1, 2))


def test_inputs_the_matrix_forms_do_not_cover_use_the_usual_kernel():
    torch.manual_seed(0)
    padded = nn.ConvTranspose2d(4, 2, 3, 2, padding=1)
    _same_forward_and_backward(padded, PatchConvTranspose2d, torch.randn(2, 4, 5, 5))
    _same_forward_and_backward(nn.ConvTranspose2d(4, 2, 3, 2), PixelConvTranspose2d, torch.randn(2, 4, 3, 3))


def test_speed_up_swaps_every_generator_layer_and_keeps_every_parameter():
    torch.manual_seed(0)
    G = Generator(64).apply(weights_init)
    before = {k: v.clone() for k, v in G.state_dict().items()}
    speed_up(G)
    assert type(G.block_1[0]) is PixelConvTranspose2d
    assert all(type(getattr(G, f"block_{i}")[0]) is PatchConvTranspose2d for i in (2, 3, 4))
    assert G.block_2[0].weight.is_contiguous(memory_format=torch.channels_last)
    after = G.state_dict()
    assert list(after) == list(before) and all(torch.equal(before[k], after[k]) for k in before)
    speed_up(G)  # twice changes nothing more
    assert type(G.block_1[0]) is PixelConvTranspose2d and type(G.block_2[0]) is PatchConvTranspose2d
    D = speed_up(Discriminator().apply(weights_init))  # no transposed convolutions: layout only
    assert all(type(m) is not PixelConvTranspose2d for m in D.modules())


def test_a_sped_up_generator_draws_what_the_plain_one_draws():
    torch.manual_seed(0)
    G = Generator(64).apply(weights_init).eval()
    fast = speed_up(copy.deepcopy(G))
    noise = torch.randn(50, 64)
    with torch.no_grad():
        torch.testing.assert_close(fast(noise), G(noise), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bn_gamma_mean, flipped", [(1.0, 1e-2), (0.0, 5e-2)])
def test_training_with_speedups_gives_the_course_layers_numbers_to_float_rounding(mnist_sample, bn_gamma_mean, flipped):
    """Same seed, same batches, speedups off and on. The sums run in another order, so the last
    digits differ: the first step's losses agree to 1e-5. Adam's first update is lr times the
    *sign* of each gradient, so a gradient within rounding of 0 (tiny gradients; a bias just before a
    BatchNorm has one of exactly 0 in theory) can flip and move its weight by 2 * lr: after one step the
    weights agree to 1e-5 but for such a few (0.1 % on an AMD Zen 4, 0.26 % on an Intel Xeon, the
    plain kernels against either form of the fast ones; a wrong kernel in one of the large layers
    moves most of its weights, and every layer's form is checked alone by the tests above). Those
    few moved weights shift the second step's losses by up to 2e-5 on the Xeon, so later steps are
    only compared loosely. From the course's BatchNorm init (today's default) the first step's gradients
    are far smaller (notebook 06: about 200 times at G's first layer), so more of them sit within rounding
    of 0: 2.5 % of the weights flipped on the Intel Xeon, so that start gets its own, looser bound."""
    sample = mnist_sample(256)
    runs = []
    for speedups in (False, True):
        cfg = Config(device="cpu", batch_size=64, speedups=speedups, bn_gamma_mean=bn_gamma_mean)
        game = DCGAN(cfg)
        torch.manual_seed(5)
        stats, weights = [], []
        for x, y in DeviceBatches.from_config(cfg, sample):
            stats.append(game.step(x, y))
            weights.append(torch.cat([p.detach().flatten() for p in (*game.G.parameters(), *game.D.parameters())]))
        runs.append((torch.stack(stats), weights))
    (plain_stats, plain_weights), (fast_stats, fast_weights) = runs
    torch.testing.assert_close(fast_stats[0], plain_stats[0], rtol=0, atol=1e-5)
    torch.testing.assert_close(fast_stats, plain_stats, rtol=0, atol=2e-3)  # 4 steps: still close
    difference = (fast_weights[0] - plain_weights[0]).abs()
    lr = Config().lr
    assert difference.max() <= 2 * lr + 1e-5
    assert (difference > 1e-5).float().mean() < flipped


def test_only_the_cpu_gets_the_speedups_and_the_switch_turns_them_off():
    plain = DCGAN(Config(device="cpu", speedups=False))
    assert all(type(m) is nn.ConvTranspose2d for m in plain.G.modules() if isinstance(m, nn.ConvTranspose2d))
    fast = DCGAN(Config(device="cpu"))
    assert type(fast.G.block_1[0]) is PixelConvTranspose2d


def test_a_checkpoint_of_a_sped_up_run_loads_into_the_plain_network_and_back(tmp_path):
    cfg = Config(device="cpu")
    game = DCGAN(cfg)
    path = save_checkpoint(tmp_path / "c.pt", cfg=cfg, history=History(), epoch=0, **game.parts())
    plain = Generator(64)
    plain.load_state_dict(torch.load(path, weights_only=True)["G"])
    G, _ = generator_from_checkpoint(path)
    assert type(G.block_1[0]) is PixelConvTranspose2d
    noise = torch.randn(8, 64)
    with torch.no_grad():
        torch.testing.assert_close(G(noise), game.G.eval()(noise), rtol=0, atol=0)
        torch.testing.assert_close(plain.eval()(noise), G(noise), rtol=1e-5, atol=1e-5)


def test_cpu_quota_reads_the_cgroup_limit(tmp_path):
    limit = tmp_path / "cpu.max"
    limit.write_text("150000 100000\n")
    assert cpu_quota(limit) == 1
    limit.write_text("400000 100000\n")
    assert cpu_quota(limit) == 4
    limit.write_text("max 100000\n")
    assert cpu_quota(limit) is None
    assert cpu_quota(tmp_path / "missing") is None
    assert 1 <= usable_cores()


ALLOCATE_AND_FREE = """
import resource, sys, torch
from ganlab.speed import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
def step():  # like a training step: many blocks alive at once, all freed at the end
    blocks = [torch.ones(5 * 2**18) for _ in range(40)]  # 40 x 5 MB, every page touched
    del blocks
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_kept_freed_memory_is_reused_without_page_faults():
    def faults(mode):
        out = subprocess.run([sys.executable, "-c", ALLOCATE_AND_FREE, mode], capture_output=True, text=True,
                             check=True, cwd=ROOT).stdout.split()
        return out[0], int(out[1])

    _, by_default = faults("plain")
    kept, after = faults("keep")
    assert by_default > 20_000  # glibc gave the 200 MB back and faulted it in again, page by page (up to 51,200 a step)
    assert kept == "True" and after * 20 < by_default  # kept: the same 2 GB allocated with almost no faults


def test_freed_memory_is_left_alone_without_glibc_or_under_another_allocator(monkeypatch):
    import ganlab.speed

    monkeypatch.setattr(ganlab.speed.platform, "libc_ver", lambda: ("", ""))
    assert keep_freed_memory() is False
    monkeypatch.setattr(ganlab.speed.platform, "libc_ver", lambda: ("glibc", "2.36"))
    monkeypatch.setenv("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4")  # as Colab runs Python
    assert keep_freed_memory() is False


def test_every_malloc_setting_is_tried_even_after_one_is_refused(monkeypatch):
    import ganlab.speed

    calls = []

    class FakeLibc:
        @staticmethod
        def mallopt(param, value):
            calls.append(param)
            return 0 if len(calls) == 1 else 1  # glibc returns 1 on success; refuse the first

    monkeypatch.setattr(ganlab.speed.platform, "libc_ver", lambda: ("glibc", "2.36"))
    monkeypatch.delenv("LD_PRELOAD", raising=False)
    monkeypatch.setattr(ganlab.speed.ctypes, "CDLL", lambda name: FakeLibc())
    assert keep_freed_memory() is False
    assert calls == [ganlab.speed.M_MMAP_THRESHOLD, ganlab.speed.M_TRIM_THRESHOLD, ganlab.speed.M_TOP_PAD]


def test_threads_are_lowered_to_the_usable_cores_never_raised(monkeypatch):
    import ganlab.speed

    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        monkeypatch.setattr(ganlab.speed, "usable_cores", lambda: 1)
        assert match_threads_to_cores() == 1 and torch.get_num_threads() == 1
        monkeypatch.setattr(ganlab.speed, "usable_cores", lambda: 8)
        assert match_threads_to_cores() == 1  # a learner's own lower setting stays
    finally:
        torch.set_num_threads(threads)


def test_the_flop_count_of_the_course_networks_matches_the_hand_count():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from flops import dcgan_step_macs

    macs = dcgan_step_macs(Generator(64), Discriminator(), 64)
    by_hand_G = 64 * 256 * 9 + 9 * 128 * 16 * 256 + 36 * 64 * 9 * 128 + 169 * 1 * 16 * 64
    by_hand_D = 169 * 16 * 9 * 1 + 25 * 32 * 25 * 16 + 1 * 64 * 25 * 32 + 64
    assert macs["G_forward"] == by_hand_G == 7_693_312
    assert macs["D_forward"] == by_hand_D
    F_G, F_D = by_hand_G, by_hand_D
    assert macs["step"] == 4 * F_G - 64 * 256 * 9 + 9 * F_D - 2 * 169 * 16 * 9
    assert macs["reuse_fakes_step"] == macs["step"] - F_G
