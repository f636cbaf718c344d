"""Configuration and Kafka plumbing that every Jaring process shares (the bottom layer).

Settings read from ``JARING_*`` variables, Kafka client security built once
from them, topic creation, and reading and writing topics for tools and
tests. It imports nothing of Jaring but the pure core (``models``); the
worker (``streams``), the API (``api``), the dashboard (``dashboard``) and the
tools (``jaring``) stand on it.
"""
