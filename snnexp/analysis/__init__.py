"""What the papers report beside accuracy, for any network of `snnexp.models` (issue 5).

* `firing`        firing rates per layer and per stage (spiking MLP Fig. 4, MS-ResNet Fig. 3) + bar plot
* `opcount`       #Add (SynOps), #Mult, energy at 0.9 pJ/add and 4.6 pJ/MAC vs the ReLU twin's MACs
                  (spiking MLP Table 4, MS-ResNet Table V), with spikingjelly's op counters
* `mfi`           BN folding with an output-equality check; binary-input (MFI) check of every Linear/Conv
* `token_weights` axial token-mixing weight pictures (spiking MLP Fig. 5)
Entry points: `python -m snnexp.analyze <ckpt>`, the `FiringRateMonitor` callback
(`callbacks=firing_rate`), `python -m snnexp.bench` (`make bench`).
"""
