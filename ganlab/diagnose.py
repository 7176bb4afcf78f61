"""Read a run's History for the signs of trouble, in plain words: the course's three, and the clinic's bugs.

Each rule reads the per-epoch means (and, where the History has them, the fixed-noise samples and
the quality scores) and returns one sentence, or nothing:

* divergence: a loss became NaN/inf or very large: the updates blew up;
* a negative G loss: a cross-entropy cannot be negative, so G minimises log(1 - D(G(z))), the
  saturating minimax loss (``ganlab.clinic``'s "saturating_loss");
* squashed verdicts: D(G(z)) never below 0.5 and D(x) never above 0.73, D's loss never below 0.50
  and G's never above ln 2, the two verdicts centred near 0.62 rather than 0.5: the bounds of
  sigmoid(sigmoid(x)), a sigmoid before BCEWithLogitsLoss ("double_sigmoid");
* G rewarded for being caught: G's loss lower than -log D(G(z)) allows, while D rejects the fakes:
  G is trained with the fake label ("fake_label_for_G");
* imbalance: the discriminator wins outright (D loss near 0, or D(G(z)) near 0) while the
  generator's loss keeps climbing: G gets no useful gradient ("strong_D", at its worst);
* identical samples: the fixed-noise samples are nearly the same picture whatever the noise
  (a generator that ignores its input: "no_batchnorm_G", or a total collapse);
* mode collapse: the generator's loss drops sharply in one epoch while the discriminator's stays
  flat; when the History has quality scores (``train(track=...)``), also classes lost (fewer covered
  than before), or their mix growing more uneven (KL from uniform rising) in each of the last epochs.

They are hints, not proofs: look at the samples (and ``ganlab.metrics.evaluate``) as well. Some bugs
leave no sign in a History at all (notebooks/next/gan_clinic says which, and what reveals them).
A WGAN's critic reports no cross-entropies: only the rules that do not read them apply.
"""
from __future__ import annotations

import math

#: D loss below this, or mean D(G(z)) below ``D_FAKE_LOW``, means the discriminator is winning.
D_LOSS_LOW = 0.1
D_FAKE_LOW = 0.05
#: Epoch-on-epoch rises of the G loss, in a row, that count as "climbing".
CLIMB_EPOCHS = 3
#: A G loss falling by more than this fraction in one epoch is a sharp drop...
G_DROP = 0.4
#: ...if the D loss moved by less than this fraction meanwhile ("flat").
D_FLAT = 0.1
#: Any loss above this is taken as divergence.
LOSS_HIGH = 10.0
#: Fewer classes than this in the last epoch is collapse (a healthy MNIST run covers 10), if the run
#: covered more before, or has had ``MIN_EPOCHS`` scored epochs (early epochs cover few: not collapse).
MODES_LOW = 8
MIN_EPOCHS = 5
#: KL from uniform above this, after rising in each of the last ``CLIMB_EPOCHS`` epochs, is collapse under way
#: (a healthy 20-epoch MNIST run ends near 0.01).
KL_HIGH = 0.1
#: The bounds of the mean of sigmoid(sigmoid(x)): above 1/2, below sigmoid(1); and of its cross-entropies.
SIGMOID_OF_1 = 1 / (1 + math.exp(-1))
SQUASHED_D_LOSS = (math.log(1 + math.exp(-1)) + math.log(2)) / 2  # 0.503: real half at best + fake half at best
LN2 = math.log(2)
#: Epochs of squashed verdicts before they are called a double sigmoid (a healthy D leaves the band in one),
#: and the least mean of D(x) and D(G(z)) over them: a D unsure of both says 0.5; sigmoid(sigmoid(0)) is 0.62.
SQUASHED_EPOCHS = 3
SQUASHED_MIDDLE = 0.56
#: How far (in nats) G's loss must sit below -log D(G(z)), and in how many epochs, to call it rewarded for losing.
CAUGHT_MARGIN = 0.02
CAUGHT_EPOCHS = 2
#: The fixed-noise samples differ by less than this (mean over pixels of their spread, 0-255) when all alike.
SAMPLES_ALIKE = 3.0


def _divergence(d_loss, g_loss, cross_entropy: bool) -> str | None:
    for epoch, (d, g) in enumerate(zip(d_loss, g_loss), start=1):
        for name, value in (("D", d), ("G", g)):
            if not math.isfinite(value) or (cross_entropy and value > LOSS_HIGH):
                return (f"Divergence: the {name} loss is {value:.3g} in epoch {epoch}, so the updates "
                        f"blew up; try a smaller learning rate (Config.lr=2e-4) and restart from scratch.")
    return None


def _negative_g_loss(g_loss) -> str | None:
    for epoch, g in enumerate(g_loss, start=1):
        if g < 0:
            return (f"The G loss is negative ({g:.3f} in epoch {epoch}), which a cross-entropy cannot be: G minimises "
                    f"log(1 - D(G(z))), the saturating minimax loss, whose gradient vanishes while D wins. Use the "
                    f"non-saturating loss, G_loss = real_loss(D(G(noise))).")
    return None


def _squashed_verdicts(d_loss, g_loss, d_real, d_fake) -> str | None:
    if len(d_loss) < SQUASHED_EPOCHS:
        return None
    inside = (min(d_fake) >= 0.5 and max(d_real) <= SIGMOID_OF_1 + 1e-3 and min(d_loss) >= SQUASHED_D_LOSS - 1e-3
              and max(g_loss) <= LN2 + 1e-3)
    middle = sum(r + f for r, f in zip(d_real, d_fake)) / (2 * len(d_real))  # 0.5 for a D that weighs both sides
    if not inside or middle < SQUASHED_MIDDLE:
        return None
    return (f"D's verdicts never left (0.50, {SIGMOID_OF_1:.2f}) in {len(d_loss)} epochs (D(G(z)) never below 0.5, "
            f"G loss never above ln 2): the bounds of sigmoid(sigmoid(x)). D probably ends in a sigmoid and "
            f"BCEWithLogitsLoss applies another; remove D's nn.Sigmoid().")


def _rewarded_for_being_caught(g_loss, d_fake) -> str | None:
    caught = [epoch for epoch, (g, p) in enumerate(zip(g_loss, d_fake), start=1)
              if 0 < p < 0.5 and 0 <= g < -math.log(p) - CAUGHT_MARGIN]  # a negative G loss has its own rule
    if len(caught) < CAUGHT_EPOCHS:
        return None
    epoch = caught[-1]
    return (f"G's loss ({g_loss[epoch - 1]:.3f} in epoch {epoch}) is lower than -log D(G(z)) = "
            f"{-math.log(d_fake[epoch - 1]):.3f} allows while D rejects the fakes: G is trained with the fake label, "
            f"to be caught. Its loss must be real_loss(D(G(noise))), not fake_loss.")


def _imbalance(d_loss, g_loss, d_fake) -> str | None:
    rises = 0
    for i in range(1, len(g_loss)):
        rises = rises + 1 if g_loss[i] > g_loss[i - 1] else 0
        if rises >= CLIMB_EPOCHS and (d_loss[i] < D_LOSS_LOW or d_fake[i] < D_FAKE_LOW):
            return (f"Imbalance: by epoch {i + 1} the discriminator wins outright (D loss {d_loss[i]:.3f}, "
                    f"D(G(z)) {d_fake[i]:.3f}) while the G loss rose {rises} epochs in a row; try a smaller "
                    f"learning rate, label smoothing (Config.label_smoothing=0.1) or a weaker discriminator.")
    return None


def _samples_alike(samples) -> str | None:
    if not samples or len(samples[-1]) < 2:
        return None
    spread = samples[-1].float().std(dim=0).mean().item()  # per pixel, across the fixed-noise samples
    if spread >= SAMPLES_ALIKE:
        return None
    return (f"The fixed-noise samples of the last epoch are nearly all the same picture (their pixels differ by "
            f"{spread:.1f} of 255 on average): G ignores its noise. Check that G's blocks have their BatchNorm, and "
            f"that the noise reaches G (noise_dim, not a constant).")


def _mode_collapse(d_loss, g_loss) -> str | None:
    for i in range(1, len(g_loss)):
        g_before, d_before = g_loss[i - 1], d_loss[i - 1]
        if (g_before > 0 and g_loss[i] < (1 - G_DROP) * g_before
                and abs(d_loss[i] - d_before) <= D_FLAT * abs(d_before)):
            return (f"Possible mode collapse: in epoch {i + 1} the G loss fell from {g_before:.3f} to "
                    f"{g_loss[i]:.3f} while the D loss stayed flat ({d_before:.3f} -> {d_loss[i]:.3f}); "
                    f"check the samples for a few repeated shapes, and try a smaller learning rate or restarting "
                    f"with another seed.")
    return None


def _classes_collapse(modes, kl) -> str | None:
    """Judge the scored epochs only (NaN marks an unscored one); the latest trend counts."""
    scored = [(epoch, m, k) for epoch, (m, k) in enumerate(zip(modes, kl), start=1) if not math.isnan(m)]
    if not scored:
        return None
    peak_epoch, peak, _ = max(scored, key=lambda row: row[1])
    last_epoch, last, last_kl = scored[-1]
    if peak >= MODES_LOW > last:
        return (f"Mode collapse: the samples covered {peak:.0f} of 10 classes in epoch {peak_epoch} but only "
                f"{last:.0f} in epoch {last_epoch} (KL from uniform {last_kl:.2f}); keep the best checkpoint "
                f"(keep_best=True), and try a smaller learning rate, label smoothing or another seed.")
    if len(scored) >= MIN_EPOCHS and last < MODES_LOW:
        return (f"Mode collapse: after {len(scored)} scored epochs the samples cover only {last:.0f} of 10 "
                f"classes; look at the samples, and try a smaller learning rate or another seed.")
    rises = 0
    for (_, _, before), (_, _, after) in zip(scored, scored[1:]):
        rises = rises + 1 if after > before else 0
    if rises >= CLIMB_EPOCHS and last_kl > KL_HIGH:
        first_kl = scored[-1 - rises][2]
        return (f"Possible mode collapse: the classes drawn grew more uneven in the last {rises} epochs "
                f"(KL from uniform {first_kl:.2f} -> {last_kl:.2f} by epoch {last_epoch}), so some are fading "
                f"out of the samples; keep the best checkpoint (keep_best=True) or stop (patience=3).")
    return None


def diagnose(history) -> list[str]:
    """Return one plain-language warning per sign of trouble seen in ``history``; [] if none.

    ``history`` is a ``History`` (or anything with ``d_loss``, ``g_loss``, ``d_real`` and ``d_fake``
    lists of per-epoch floats; ``samples``, ``modes``, ``kl_uniform`` and ``extras`` are read when
    present). Each warning says what it saw and what to try. Taught in notebook 07 and
    notebooks/next/gan_clinic.
    """
    d_loss, g_loss = list(history.d_loss), list(history.g_loss)
    d_real, d_fake = list(getattr(history, "d_real", [0.5] * len(d_loss))), list(history.d_fake)
    if not len(d_loss) == len(g_loss) == len(d_fake) == len(d_real):
        raise ValueError(f"history lists differ in length: d_loss {len(d_loss)}, g_loss {len(g_loss)}, "
                         f"d_real {len(d_real)}, d_fake {len(d_fake)}.")
    cross_entropy = "wasserstein" not in getattr(history, "extras", {})  # a critic reports raw scores
    diverged = _divergence(d_loss, g_loss, cross_entropy)
    if diverged:  # once the numbers are inf/NaN the other rules read nonsense
        return [diverged]
    by_samples = _samples_alike(list(getattr(history, "samples", [])))
    by_classes = _classes_collapse(list(getattr(history, "modes", [])), list(getattr(history, "kl_uniform", [])))
    if not cross_entropy:
        return [w for w in (by_samples, by_classes) if w]
    found = [_negative_g_loss(g_loss), _squashed_verdicts(d_loss, g_loss, d_real, d_fake),
             _rewarded_for_being_caught(g_loss, d_fake), _imbalance(d_loss, g_loss, d_fake), by_samples,
             _mode_collapse(d_loss, g_loss), by_classes]
    return [w for w in found if w]
