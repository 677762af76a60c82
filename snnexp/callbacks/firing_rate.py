"""Firing rates per layer and per stage during validation and test (spiking MLP paper Fig. 4;
MS-ResNet Fig. 3), via `snnexp.analysis.firing`.

Hooks are attached only for the validation/test epochs (never on training batches) and reduce each
spike tensor to two numbers, detached. At each epoch end the callback logs `firing_stage/<stage>`
(neuron-weighted, see `analysis.firing`) and, with `per_layer`, `firing/<layer>` through `pl_module.log`
(synchronised across ranks), and rank zero writes `firing_rates_<val|test>.csv` (layer, stage rates)
and `.png` into `out_dir` (default `<trainer.default_root_dir>/analysis`), overwritten every validation
epoch, and sends the PNG to W&B (`WandbLogger.log_image`) when such a logger is present.
Networks without spiking nodes log nothing. Sanity-check epochs are not logged.
"""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl

from snnexp.analysis.firing import STAGE_PATTERN, FiringRateRecorder, plot_rates, write_csv


class FiringRateMonitor(pl.Callback):
    """Args:
        per_layer: also log every layer's rate (`firing/<layer>`; many keys for deep nets).
        stage_pattern: regex over module names whose first group names the stage.
        out_dir: where CSV/PNG go (default `<default_root_dir>/analysis`).
        plot: write the PNG (and send it to W&B); `val_plot_every_n_epochs` thins the validation plots.
    """

    def __init__(self, per_layer: bool = False, stage_pattern: str = STAGE_PATTERN, out_dir: str | None = None,
                 plot: bool = True, val_plot_every_n_epochs: int = 1):
        self.per_layer, self.stage_pattern = per_layer, stage_pattern
        self.out_dir, self.plot, self.val_every = out_dir, plot, max(1, int(val_plot_every_n_epochs))
        self.recorder: FiringRateRecorder | None = None
        self.last: dict[str, dict[str, float]] = {}

    def _start(self, pl_module) -> None:
        self._close()
        self.recorder = FiringRateRecorder(pl_module.net)

    def _close(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None

    def _end(self, trainer, pl_module, stage: str) -> None:
        if self.recorder is None:
            return
        rates, stages = self.recorder.rates(), self.recorder.stage_rates(self.stage_pattern)
        self._close()
        if not rates or trainer.sanity_checking:
            return
        self.last[stage] = rates
        logged = {f"firing_stage/{k}": v for k, v in stages.items()}
        if self.per_layer:
            logged.update({f"firing/{k}": v for k, v in rates.items()})
        pl_module.log_dict(logged, sync_dist=True)
        if stage == "val" and trainer.current_epoch % self.val_every:
            return
        if trainer.is_global_zero:
            self._write(trainer, rates, stages, stage)

    def _write(self, trainer, rates, stages, stage) -> None:
        out = Path(self.out_dir) if self.out_dir else Path(trainer.default_root_dir) / "analysis"
        write_csv(rates, out / f"firing_rates_{stage}.csv")
        write_csv(stages, out / f"firing_rates_{stage}_stages.csv", key="stage")
        if not self.plot:
            return
        png = plot_rates(rates, out / f"firing_rates_{stage}.png",
                         f"firing rate per layer ({stage}, epoch {trainer.current_epoch})", self.stage_pattern)
        from pytorch_lightning.loggers import WandbLogger

        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(f"firing_rate/{stage}", [str(png)], step=trainer.global_step)

    def on_validation_epoch_start(self, trainer, pl_module):
        self._start(pl_module)

    def on_validation_epoch_end(self, trainer, pl_module):
        self._end(trainer, pl_module, "val")

    def on_test_epoch_start(self, trainer, pl_module):
        self._start(pl_module)

    def on_test_epoch_end(self, trainer, pl_module):
        self._end(trainer, pl_module, "test")

    def on_exception(self, trainer, pl_module, exception):
        self._close()
