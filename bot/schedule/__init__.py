"""The calendar (pure) and the tick that orchestrates the features."""
