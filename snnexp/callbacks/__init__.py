"""Lightning callbacks of snnexp."""
