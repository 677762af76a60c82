"""What the papers report beside accuracy: firing rates, operation counts and energy, MFI checks."""
