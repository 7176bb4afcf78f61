import math

import pytest
import torch

from ganlab.losses import fake_loss, real_loss


def test_real_loss_of_zero_logits_is_ln2():
    assert real_loss(torch.zeros(8, 1)).item() == pytest.approx(math.log(2))
    assert fake_loss(torch.zeros(8, 1)).item() == pytest.approx(math.log(2))


def test_losses_of_a_hand_computed_batch():
    logits = torch.tensor([[2.0], [-1.0], [0.5]])
    p = torch.sigmoid(logits).squeeze()
    expected_real = -(torch.log(p)).mean()
    expected_fake = -(torch.log(1 - p)).mean()
    assert real_loss(logits).item() == pytest.approx(expected_real.item(), rel=1e-6)
    assert fake_loss(logits).item() == pytest.approx(expected_fake.item(), rel=1e-6)
    # D loss averages the two sides; G loss is real_loss on D's verdict for fakes.
    d_loss = (fake_loss(logits) + real_loss(logits)) / 2
    assert d_loss.item() == pytest.approx((expected_real + expected_fake).item() / 2, rel=1e-6)


def test_the_course_bce_example():
    # labels 1, 1, 0 and predictions 0.9, 0.1, 0.3: -(ln 0.9 + ln 0.1 + ln 0.7) / 3 (notebook 06)
    probs = torch.tensor([0.9, 0.1, 0.3])
    logits = torch.log(probs / (1 - probs))
    total = real_loss(logits[:2]) * 2 + fake_loss(logits[2:])
    assert (total / 3).item() == pytest.approx(0.9215, abs=1e-4)


def test_label_smoothing_moves_only_the_real_target():
    logits = torch.tensor([[3.0]])
    p = torch.sigmoid(logits).item()
    smoothed = -(0.9 * math.log(p) + 0.1 * math.log(1 - p))
    assert real_loss(logits, smoothing=0.1).item() == pytest.approx(smoothed, rel=1e-6)
    assert real_loss(logits).item() == pytest.approx(-math.log(p), rel=1e-6)
