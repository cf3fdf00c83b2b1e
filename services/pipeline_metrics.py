"""Pipeline metrics shared by the consumers: counters and a latency histogram."""

from prometheus_client import Counter, Histogram

EVENTS_CONSUMED = Counter(
    "luqiao_events_consumed_total", "Messages handled by a service", ["service", "topic"]
)
DEADLETTERS = Counter(
    "luqiao_deadletters_total", "Messages sent to the dead-letter topic", ["service", "reason"]
)
HANDLER_SECONDS = Histogram(
    "luqiao_handler_seconds",
    "Time to handle one message",
    ["service", "handler"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
