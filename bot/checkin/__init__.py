"""Check-ins: answering the weekly prompt, pulses, edits, history."""
