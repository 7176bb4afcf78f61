"""Read a run's loss history for the signs of trouble the course lists, in plain words.

Three signs, each a rule of thumb on the per-epoch means in a ``History``:

* imbalance: the discriminator wins outright (D loss near 0, or D(G(z)) near 0) while the
  generator's loss keeps climbing: G gets no useful gradient and stops improving;
* mode collapse: the generator's loss drops sharply in one epoch while the discriminator's
  stays flat: G found a few images that fool D and makes only those; when the History has
  quality scores (``train(track=...)``), also classes lost (fewer covered than before), or
  their mix growing more uneven (KL from uniform rising) in each of the last epochs;
* divergence: a loss became NaN/inf or very large: the updates blew up.

They are hints, not proofs: look at the samples (and ``ganlab.metrics.evaluate``) as well.
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


def _divergence(d_loss, g_loss) -> str | None:
    for epoch, (d, g) in enumerate(zip(d_loss, g_loss), start=1):
        for name, value in (("D", d), ("G", g)):
            if not math.isfinite(value) or value > LOSS_HIGH:
                return (f"Divergence: the {name} loss is {value:.3g} in epoch {epoch}, so the updates "
                        f"blew up; try a smaller learning rate (Config.lr=2e-4) and restart from scratch.")
    return None


def _imbalance(d_loss, g_loss, d_fake) -> str | None:
    rises = 0
    for i in range(1, len(g_loss)):
        rises = rises + 1 if g_loss[i] > g_loss[i - 1] else 0
        if rises >= CLIMB_EPOCHS and (d_loss[i] < D_LOSS_LOW or d_fake[i] < D_FAKE_LOW):
            return (f"Imbalance: by epoch {i + 1} the discriminator wins outright (D loss {d_loss[i]:.3f}, "
                    f"D(G(z)) {d_fake[i]:.3f}) while the G loss rose {rises} epochs in a row; try a smaller "
                    f"learning rate, label smoothing (Config.label_smoothing=0.1) or a weaker discriminator.")
    return None


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

    ``history`` is a ``History`` (or anything with ``d_loss``, ``g_loss``, ``d_real`` and
    ``d_fake`` lists of per-epoch floats; ``modes`` and ``kl_uniform`` are read when present).
    Each warning says what it saw and what to try. Taught in notebook 07.
    """
    d_loss, g_loss = list(history.d_loss), list(history.g_loss)
    d_fake = list(history.d_fake)
    if not len(d_loss) == len(g_loss) == len(d_fake):
        raise ValueError(f"history lists differ in length: d_loss {len(d_loss)}, g_loss {len(g_loss)}, "
                         f"d_fake {len(d_fake)}.")
    diverged = _divergence(d_loss, g_loss)
    if diverged:  # once the numbers are inf/NaN the other rules read nonsense
        return [diverged]
    by_classes = _classes_collapse(list(getattr(history, "modes", [])), list(getattr(history, "kl_uniform", [])))
    return [w for w in (_imbalance(d_loss, g_loss, d_fake), _mode_collapse(d_loss, g_loss), by_classes) if w]
