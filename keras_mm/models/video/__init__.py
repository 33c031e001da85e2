"""A video tower: a per-frame image encoder and a temporal transformer; clip preprocessing."""
