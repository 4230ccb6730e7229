"""`forget me` and what privacy needs beyond the features."""
