"""Spiking networks. Every network here follows one contract, so the LightningModule, the analysis
tools and the benchmarks can treat them alike:

* Built only through `hydra.utils.instantiate` from a `conf/model/<name>.yaml` whose `_target_` is the
  network class. The YAML receives, by interpolation, `num_classes: ${dataset.num_classes}`,
  `img_size: ${dataset.img_size}`, `in_channels: ${dataset.in_channels}` and, for spiking nets,
  `neuron: ${neuron}` (a `functools.partial` of a multi-step spikingjelly node, or of an SPK block).
  Networks create each spiking layer by calling `neuron()` with no arguments.
* `forward(x)` takes the direct-encoded input `[T, B, C, H, W]` and returns logits `[T, B, classes]`
  (the loss averages them over T). Stateless layers fold T into the batch; neuron state is reset by the
  caller (`spikingjelly.activation_based.functional.reset_net`) after every batch.
* `head_name`: class attribute naming the classifier submodule (re-initialised by `model.reset_head`).
"""
