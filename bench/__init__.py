"""Benchmarks: how fast the services are, each figure against a baseline measured in the
same run. Not tests (nothing here asserts); run with `make bench` or `python -m bench`."""
