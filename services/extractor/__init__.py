"""The extractor: which commitments an article speaks of, at which stage."""

EXTRACTOR_VERSION = "1.1.0"  # 1.1: reports read by their parts, task lists, figures
