import math

import pytest

from ganlab.diagnose import diagnose
from ganlab.history import History


def history(d_loss, g_loss, d_real=None, d_fake=None):
    """A History of these losses; D(G(z)) defaults to exp(-G loss), what a G loss of -log D(G(z)) fits."""
    n = len(d_loss)
    return History(d_loss=list(d_loss), g_loss=list(g_loss), d_real=list(d_real or [0.6] * n),
                   d_fake=list(d_fake or [math.exp(-g) for g in g_loss]), seconds=[1.0] * n)


def test_a_healthy_run_gives_no_warnings():
    # The shape of a real 20-epoch MNIST run at lr 2e-4: G loss rises early, then both settle.
    d = [0.633, 0.578, 0.523, 0.489, 0.503, 0.527, 0.542, 0.549, 0.553, 0.555]
    g = [0.765, 0.849, 0.954, 1.041, 1.051, 1.019, 1.005, 0.994, 0.999, 0.997]
    d_real = [0.54, 0.57, 0.60, 0.62, 0.62, 0.61, 0.61, 0.61, 0.61, 0.61]
    d_fake = [0.47, 0.43, 0.40, 0.38, 0.38, 0.39, 0.39, 0.39, 0.39, 0.39]
    assert diagnose(history(d, g, d_real, d_fake)) == []
    assert diagnose(History()) == []


def test_discriminator_winning_while_g_loss_climbs_is_imbalance():
    d = [0.5, 0.3, 0.15, 0.08, 0.05]
    g = [1.0, 1.5, 2.5, 3.5, 4.5]
    warnings = diagnose(history(d, g, d_fake=[0.4, 0.2, 0.1, 0.04, 0.02]))
    assert len(warnings) == 1 and warnings[0].startswith("Imbalance")
    assert "discriminator" in warnings[0] and "try" in warnings[0]


def test_a_climbing_g_loss_alone_is_not_imbalance():
    assert diagnose(history([0.5] * 5, [1.0, 1.5, 2.0, 2.5, 3.0], d_fake=[0.4] * 5)) == []  # D is not winning
    assert diagnose(history([0.05] * 5, [1.0, 1.5, 2.0, 1.9, 2.1])) == []  # only 2 rises in a row


def test_sharp_g_drop_with_flat_d_loss_is_mode_collapse():
    warnings = diagnose(history([0.60, 0.61, 0.62, 0.62], [1.0, 1.0, 0.5, 0.5]))
    assert len(warnings) == 1 and "mode collapse" in warnings[0] and "epoch 3" in warnings[0]
    assert diagnose(history([0.60, 0.61, 0.30, 0.3], [1.0, 1.0, 0.5, 0.5])) == []  # D moved too


@pytest.mark.parametrize("d, g, words", [
    ([0.5, float("nan")], [1.0, 1.0], "D loss is nan in epoch 2"),
    ([0.5, 0.5], [1.0, float("inf")], "G loss is inf in epoch 2"),
    ([0.5, 0.5, 0.5], [1.0, 12.0, 30.0], "G loss is 12 in epoch 2"),
])
def test_non_finite_or_huge_losses_are_divergence(d, g, words):
    warnings = diagnose(history(d, g))
    assert len(warnings) == 1 and warnings[0].startswith("Divergence") and words in warnings[0]
    assert "smaller learning rate" in warnings[0]


def test_every_warning_is_one_sentence():
    runs = [history([0.5, 0.3, 0.15, 0.08, 0.05], [1.0, 1.5, 2.5, 3.5, 4.5], d_fake=[0.4, 0.2, 0.1, 0.04, 0.02]),
            history([0.6, 0.61], [1.0, 0.5]), history([0.5], [float("nan")])]
    for run in runs:
        for warning in diagnose(run):
            assert warning.endswith(".") and warning.count(". ") == 0 and "\n" not in warning


def test_lists_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        diagnose(History(d_loss=[0.5, 0.5], g_loss=[1.0], d_fake=[0.4, 0.4]))


def tracked(n, modes, kl):
    h = history([0.55] * n, [1.0] * n)
    h.modes, h.kl_uniform = list(modes), list(kl)
    return h


def test_classes_lost_since_an_earlier_epoch_is_mode_collapse():
    warnings = diagnose(tracked(3, [10, 9, 4], [0.01, 0.05, 0.9]))
    assert len(warnings) == 1 and warnings[0].startswith("Mode collapse")
    assert "10 of 10 classes in epoch 1 but only 4 in epoch 3" in warnings[0] and "keep_best=True" in warnings[0]


def test_few_classes_early_in_a_run_is_not_collapse_but_late_it_is():
    assert diagnose(tracked(2, [1, 6], [2.2, 0.5])) == []  # epoch 1 of a healthy lr 2e-4 run covers 1
    warnings = diagnose(tracked(5, [1, 2, 3, 3, 3], [2.2, 1.5, 1.2, 1.2, 1.2]))
    assert len(warnings) == 1 and "after 5 scored epochs the samples cover only 3" in warnings[0]


def test_class_mix_growing_uneven_lately_is_possible_mode_collapse():
    warnings = diagnose(tracked(5, [10] * 5, [0.02, 0.05, 0.09, 0.15, 0.25]))
    assert len(warnings) == 1 and "more uneven in the last 4 epochs" in warnings[0]
    assert "0.02 -> 0.25 by epoch 5" in warnings[0] and "patience=3" in warnings[0]


def test_healthy_or_recovered_tracked_runs_give_no_class_warning():
    assert diagnose(tracked(5, [10] * 5, [0.30, 0.10, 0.05, 0.03, 0.02])) == []  # falling KL: improving
    assert diagnose(tracked(5, [10] * 5, [0.01, 0.02, 0.03, 0.04, 0.05])) == []  # rising but small
    assert diagnose(tracked(6, [10] * 6, [0.02, 0.05, 0.09, 0.15, 0.1, 0.05])) == []  # it recovered


def test_unscored_epochs_are_skipped():
    nan = float("nan")
    assert diagnose(tracked(4, [nan, nan, 10, 10], [nan, nan, 0.02, 0.01])) == []
    assert "covered 10 of 10 classes in epoch 3" in diagnose(tracked(4, [nan, nan, 10, 5], [nan, nan, 0.02, 0.6]))[0]
