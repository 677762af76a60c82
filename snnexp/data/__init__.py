"""LightningDataModules: the embedded digits default, CIFAR-10/100, ImageNet folders, synthetic."""
