"""Event streams on a stream processor: the monitor's rules on Apache Flink (``guard.stream.flink``).

``guard.stream.options`` holds what the command line needs without the flink extra installed.
"""
