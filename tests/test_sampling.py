import pytest
import torch

from ganlab.sampling import SIGNED, from_signed, seeded_noise, to_signed


def test_seeded_noise_is_the_same_for_the_same_seed_and_differs_otherwise():
    assert torch.equal(seeded_noise(3, 16, 5), seeded_noise(3, 16, 5))
    assert not torch.equal(seeded_noise(3, 16, 5), seeded_noise(3, 16, 6))
    assert seeded_noise(3, 16, 5).shape == (3, 16)
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    seeded_noise(3, 16, 5)
    assert torch.equal(torch.rand(1), before)  # the global random stream is left alone


@pytest.mark.parametrize("pixel_range", [(0.0, 1.0), (0, 255), (-1.0, 1.0)])
def test_to_signed_and_from_signed_are_inverse_and_hit_the_ends(pixel_range):
    low, high = pixel_range
    x = torch.tensor([float(low), (low + high) / 2, float(high)])
    assert to_signed(x, pixel_range).tolist() == pytest.approx([-1.0, 0.0, 1.0])
    assert from_signed(to_signed(x, pixel_range), pixel_range).tolist() == pytest.approx(x.tolist())


def test_to_signed_matches_totensor_then_normalize_on_bytes_exactly():
    from torchvision import transforms as T
    pixels = torch.arange(256, dtype=torch.uint8).view(1, 16, 16)
    expected = T.Normalize((0.5,), (0.5,))(pixels.float() / 255)
    assert torch.equal(to_signed(pixels, (0, 255)), expected)


def test_images_already_in_tanh_range_pass_through_untouched():
    x = torch.randn(4, 1, 28, 28).tanh()
    assert to_signed(x, SIGNED) is x
