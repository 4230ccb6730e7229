"""Block Kit builders: pure functions from plain data to blocks and views."""
