"""Benchmarks: the reference server against localstripe, driven by wrk on loopback.

``python -m benchmarks run`` (or ``tox -e bench``); see benchmarks/README.md.
A tool, not a test: nothing here asserts a time.
"""
