import pytest
import torch

from ganlab.config import Config, resolve_device


def test_defaults_follow_the_course_with_the_sound_lr():
    cfg = Config()
    assert (cfg.batch_size, cfg.noise_dim, cfg.epochs) == (128, 64, 20)
    assert (cfg.lr, cfg.beta_1, cfg.beta_2) == (2e-4, 0.5, 0.99)
    assert cfg.rotation == 0 and cfg.dataset == "mnist" and cfg.device == "auto"
    assert "0.002" in Config.__doc__ and "rotation" in Config.__doc__
    assert cfg.normalize and cfg.bn_gamma_mean == 0.0 and cfg.ema_decay == 0.999  # the recipe study's switches


def test_only_the_dcgan_samples_an_average_by_default_and_a_given_decay_wins():
    assert {model: Config.for_model(model, data_dir="x").ema_decay for model in ("dcgan", "cdcgan", "wgan-gp", "mlp",
            "dcgan64")} == {"dcgan": 0.999, "cdcgan": 0.0, "wgan-gp": 0.0, "mlp": 0.0, "dcgan64": 0.0}
    assert Config(ema_decay=0.0).ema_decay == 0.0 and Config(model="cdcgan", ema_decay=0.99).ema_decay == 0.99
    assert Config.from_dict(Config().to_dict()) == Config()  # a saved Config keeps the decay it ran with
    older = {k: v for k, v in Config().to_dict().items() if k != "ema_decay"}
    assert Config.from_dict(older).ema_decay == 0.0  # saved before the field existed: it sampled its last weights


def test_the_dcgans_start_batchnorm_as_the_course_does_the_others_not_and_a_given_mean_wins():
    assert {model: Config.for_model(model, data_dir="x").bn_gamma_mean for model in ("dcgan", "cdcgan", "wgan-gp",
            "mlp", "dcgan64")} == {"dcgan": 0.0, "cdcgan": 0.0, "wgan-gp": 1.0, "mlp": 1.0, "dcgan64": 1.0}
    assert Config(bn_gamma_mean=1.0).bn_gamma_mean == 1.0
    assert Config(model="mlp", bn_gamma_mean=0.0).bn_gamma_mean == 0.0
    tutorial = Config(bn_gamma_mean=1.0)
    assert Config.from_dict(tutorial.to_dict()) == tutorial  # a saved Config keeps the init it trained with
    older = {k: v for k, v in Config().to_dict().items() if k != "bn_gamma_mean"}
    assert Config.from_dict(older).bn_gamma_mean == 1.0  # saved before the field existed: it started at N(1, 0.02)
    from ganlab.config import FAMILY_RECIPE
    assert FAMILY_RECIPE == {"ema_decay": 0.0, "bn_gamma_mean": 1.0}  # the family's recipe, one place


@pytest.mark.parametrize("field, value, words", [
    ("batch_size", 0, "batch_size must be a positive whole number"),
    ("noise_dim", -3, "noise_dim must be a positive whole number"),
    ("epochs", 2.5, "epochs must be a positive whole number"),
    ("lr", 0.0, "lr must be between 0 and 1"),
    ("lr", 1.5, "lr must be between 0 and 1"),
    ("beta_1", 1.0, "beta_1 must be in [0, 1)"),
    ("beta_2", -0.1, "beta_2 must be in [0, 1)"),
    ("dataset", "cifar", "one of mnist, fashion, folder; got 'cifar'"),
    ("device", "tpu", "one of auto, cuda, mps, cpu"),
    ("rotation", -5, "rotation must be between 0 and 180"),
    ("label_smoothing", 0.7, "label_smoothing must be in [0, 0.5)"),
    ("ema_decay", 1.0, "ema_decay must be in [0, 1)"),
    ("bn_gamma_mean", 5.0, "bn_gamma_mean must be between -1 and 2"),
    ("lr", "0.001", "lr must be a number, got '0.001' (a str)"),
    ("rotation", None, "rotation must be a number, got None"),
    ("normalize", "False", "normalize must be True or False, got 'False' (a str)"),
    ("batches_on_device", 1, "batches_on_device must be True or False"),
    ("seed", 1.5, "seed must be a whole number, got 1.5"),
    ("seed", True, "seed must be a whole number, got True"),
])
def test_bad_values_raise_one_clear_sentence(field, value, words):
    with pytest.raises(ValueError) as info:
        Config(**{field: value})
    message = str(info.value)
    assert words in message
    assert "\n" not in message


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_without_gpu_says_how_to_enable_one():
    with pytest.raises(ValueError, match="Runtime > Change runtime type > GPU"):
        Config(device="cuda")


def test_auto_device_resolves_to_something_present():
    assert resolve_device("auto") in ("cuda", "mps", "cpu")
    assert resolve_device("cpu") == "cpu"
    assert Config(device="cpu").torch_device == torch.device("cpu")


def test_dict_round_trip_and_unknown_fields():
    cfg = Config(epochs=3, dataset="fashion", rotation=20)
    assert Config.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="Unknown Config fields"):
        Config.from_dict({**cfg.to_dict(), "colour": "red"})


def test_a_config_saved_before_the_rename_of_fast_still_loads():
    saved = {**Config().to_dict(), "fast": False}
    del saved["batches_on_device"]
    assert Config.from_dict(saved).batches_on_device is False


def test_pixel_range_follows_normalize():
    assert Config().pixel_range == (-1.0, 1.0) and Config(normalize=False).pixel_range == (0.0, 1.0)
