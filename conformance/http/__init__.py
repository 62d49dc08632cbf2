"""Talking to a target: the Target, the guarded transport, rate limits, wire limits, redaction, evidence."""
