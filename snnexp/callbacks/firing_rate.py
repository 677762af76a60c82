"""Firing rates per layer and per stage during validation and test (spiking MLP paper Fig. 4)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.loggers import WandbLogger

from snnexp.analysis.firing import STAGE_PATTERN, FiringRateRecorder, plot_rates, stage_rates


class FiringRateMonitor(pl.Callback):
    """Logs `firing_stage/<stage>` (and `firing/<layer>` with `per_layer`) for val and test epochs;
    the test epoch's rates also go to `<run>/analysis/firing_rates_test.{csv,png}` and to W&B."""

    def __init__(self, per_layer: bool = False, stage_pattern: str = STAGE_PATTERN):
        self.per_layer, self.stage_pattern = per_layer, stage_pattern
        self.recorder: FiringRateRecorder | None = None

    def _start(self, pl_module) -> None:
        self.recorder = FiringRateRecorder(pl_module.net)

    def _end(self, trainer, pl_module, stage: str) -> dict[str, float]:
        if self.recorder is None:
            return {}
        rates = self.recorder.rates()
        self.recorder.close()
        self.recorder = None
        stages = stage_rates(rates, self.stage_pattern)
        logged = {f"firing_stage/{k}": v for k, v in stages.items()}
        if self.per_layer:
            logged.update({f"firing/{k}": v for k, v in rates.items()})
        if logged and not trainer.sanity_checking:
            pl_module.log_dict(logged, sync_dist=True)
        return rates

    def on_validation_epoch_start(self, trainer, pl_module):
        self._start(pl_module)

    def on_validation_epoch_end(self, trainer, pl_module):
        self._end(trainer, pl_module, "val")

    def on_test_epoch_start(self, trainer, pl_module):
        self._start(pl_module)

    def on_test_epoch_end(self, trainer, pl_module):
        rates = self._end(trainer, pl_module, "test")
        if not rates or not trainer.is_global_zero:
            return
        out = Path(trainer.default_root_dir) / "analysis"
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "firing_rates_test.csv", "w", newline="") as f:
            csv.writer(f).writerows([("layer", "rate"), *rates.items()])
        png = plot_rates(rates, out / "firing_rates_test.png", "firing rate per layer (test)")
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image("firing_rate/test", [str(png)])
