import pytest
import torch
from torch import nn

from ganlab.models import Discriminator, Generator, disc_block, gen_block, weights_init


def count(model):
    return sum(p.numel() for p in model.parameters())


def test_discriminator_shapes_at_every_block():
    D = Discriminator()
    x = torch.randn(5, 1, 28, 28)
    shapes = []
    for block in (D.block_1, D.block_2, D.block_3):
        x = block(x)
        shapes.append(tuple(x.shape))
    assert shapes == [(5, 16, 13, 13), (5, 32, 5, 5), (5, 64, 1, 1)]
    assert D(torch.randn(5, 1, 28, 28)).shape == (5, 1)


def test_generator_shapes_at_every_block():
    G = Generator(64)
    x = torch.randn(5, 64).view(-1, 64, 1, 1)
    shapes = []
    for block in (G.block_1, G.block_2, G.block_3, G.block_4):
        x = block(x)
        shapes.append(tuple(x.shape))
    assert shapes == [(5, 256, 3, 3), (5, 128, 6, 6), (5, 64, 13, 13), (5, 1, 28, 28)]


def test_generator_output_is_in_tanh_range_and_takes_other_noise_sizes():
    out = Generator(10)(torch.randn(7, 10) * 100)
    assert out.shape == (7, 1, 28, 28)
    assert out.min() >= -1 and out.max() <= 1


def test_parameter_counts():
    # Conv/BN/Linear weights and biases, worked out by hand: see notebooks 04 and 05.
    assert count(Discriminator()) == (1*16*9 + 16 + 32) + (16*32*25 + 32 + 64) + (32*64*25 + 64 + 128) + 65
    assert count(Discriminator()) == 64_545
    assert count(Generator(64)) == (64*256*9 + 256 + 512) + (256*128*16 + 128 + 256) \
        + (128*64*9 + 64 + 128) + (64*1*16 + 1)
    assert count(Generator(64)) == 747_841


def test_blocks_are_the_course_layers():
    assert [type(m) for m in disc_block(1, 16, 3, 2)] == [nn.Conv2d, nn.BatchNorm2d, nn.LeakyReLU]
    assert disc_block(1, 16, 3, 2)[2].negative_slope == 0.2
    assert [type(m) for m in gen_block(4, 8, 3, 2)] == [nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU]
    assert [type(m) for m in gen_block(4, 1, 4, 2, final_block=True)] == [nn.ConvTranspose2d, nn.Tanh]


def test_weights_init_statistics():
    torch.manual_seed(0)
    G = Generator(64).apply(weights_init)
    conv = G.block_2[0].weight  # 524,288 numbers: tight statistics
    assert conv.mean().item() == pytest.approx(0, abs=1e-3)
    assert conv.std().item() == pytest.approx(0.02, rel=0.02)
    bn_weights = torch.cat([G.block_1[1].weight, G.block_2[1].weight, G.block_3[1].weight])
    assert bn_weights.mean().item() == pytest.approx(0.0, abs=0.01)  # the course's BatchNorm scales
    assert bn_weights.std().item() == pytest.approx(0.02, rel=0.25)
    assert torch.all(G.block_1[1].bias == 0)
    D = Discriminator().apply(weights_init)
    assert D.block_3[0].weight.std().item() == pytest.approx(0.02, rel=0.05)


def test_weights_init_can_draw_the_tutorial_batchnorm_scales():
    import functools
    torch.manual_seed(0)
    G = Generator(64).apply(functools.partial(weights_init, bn_gamma_mean=1.0))
    bn_weights = torch.cat([G.block_1[1].weight, G.block_2[1].weight, G.block_3[1].weight])
    assert bn_weights.mean().item() == pytest.approx(1.0, abs=0.01)
    assert bn_weights.std().item() == pytest.approx(0.02, rel=0.25)


def test_generate_uses_running_statistics_and_restores_the_mode():
    from ganlab.models import generate
    torch.manual_seed(0)
    G = Generator(8).apply(weights_init)
    noise = torch.randn(4, 8)
    out = generate(G, noise)
    assert G.training and out.shape == (4, 1, 28, 28) and not out.requires_grad
    torch.testing.assert_close(out, G.eval()(noise).detach())
