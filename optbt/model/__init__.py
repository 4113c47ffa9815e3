"""The model: what every other wing talks about — instruments, legs, trades, expiry and
strike rules, and the error hierarchy.

Plain data and pure functions only. May import: nothing of optbt (the standard library only).
"""
