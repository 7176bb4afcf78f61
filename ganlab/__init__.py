"""ganlab: the shared code of the DCGAN teaching notebooks (MNIST digits, PyTorch).

This face re-exports what the notebooks use; each name's docstring says which notebook
teaches it.
"""
from .checkpoint import discriminator_from_checkpoint, generator_from_checkpoint, load_checkpoint, save_checkpoint
from .config import Config, quick_mode, resolve_device
from .dashboard import LiveDashboard, progress_animation, save_progress_gif
from .data import (CLASS_NAMES, DatasetNotFoundError, DeviceBatches, dataset_root, load_dataset, make_batches,
                   make_loader, make_transform)
from .diagnose import diagnose
from .explorer import interpolation_strip, latent_explorer, nearest_real, show_nearest_real
from .history import History
from .losses import fake_loss, real_loss
from .classifier import Classifier, load_classifier, train_classifier
from .metrics import (QualityTracker, class_histogram, evaluate, frechet_distance, kl_from_uniform, mean_confidence,
                      modes_covered, reference)
from .models import Discriminator, Generator, disc_block, gen_block, generate, weights_init
from .train import TrainingDiverged, best_checkpoint_path, make_optimizers, train, train_step
from .viz import plot_history, plot_losses, plot_quality, save_grid, show_progress, show_tensor_images

__version__ = "0.1.0"

__all__ = [
    "CLASS_NAMES", "Classifier", "Config", "DatasetNotFoundError", "DeviceBatches", "Discriminator",
    "Generator", "History", "LiveDashboard", "QualityTracker", "TrainingDiverged", "best_checkpoint_path",
    "class_histogram", "dataset_root", "diagnose", "disc_block", "discriminator_from_checkpoint", "evaluate",
    "fake_loss", "frechet_distance", "gen_block", "generate", "generator_from_checkpoint",
    "interpolation_strip", "kl_from_uniform", "latent_explorer", "load_checkpoint", "load_classifier",
    "load_dataset", "make_batches", "make_loader", "make_optimizers", "make_transform", "mean_confidence",
    "modes_covered", "nearest_real", "plot_history", "plot_losses", "plot_quality", "progress_animation",
    "quick_mode", "real_loss", "reference", "resolve_device", "save_checkpoint", "save_grid",
    "save_progress_gif", "show_nearest_real", "show_progress", "show_tensor_images", "train",
    "train_classifier", "train_step", "weights_init",
]
