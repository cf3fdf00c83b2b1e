"""The extractor: which commitments an article speaks of, at which stage."""

from services.extractor import native as _native

EXTRACTOR_VERSION = "1.1.0"  # 1.1: reports read by their parts, task lists, figures

# The rule modules from a fresh mypyc build when there is one (native.py), else as source.
_native.install()
