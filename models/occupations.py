"""Occupations of informal workers the city enrols, with their hazard class.

The classes rank how likely work is to end in an accident or death (the risk
JKK and JKM insure): Kendari's programme put fishers, online motorbike-taxi
drivers and construction workers first, and docs/domain.md ranks "fishers and
construction workers above tailors". Class 3 is the most hazardous. This is
the city's judgement, kept in one table so it can be argued with.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType

__all__ = ["HAZARD_CLASS", "Occupation"]


class Occupation(StrEnum):
    """What the worker does for a living (the application's ``occupation``)."""

    FISHER = "fisher"
    CONSTRUCTION_WORKER = "construction_worker"
    OJEK_DRIVER = "ojek_driver"
    PARKING_ATTENDANT = "parking_attendant"
    STREET_VENDOR = "street_vendor"
    FOOD_SELLER = "food_seller"
    FARMER = "farmer"
    TAILOR = "tailor"
    ARTIST = "artist"
    OTHER = "other"


HAZARD_CLASS: MappingProxyType[Occupation, int] = MappingProxyType(
    {
        # at sea, at height, or on the road all day
        Occupation.FISHER: 3,
        Occupation.CONSTRUCTION_WORKER: 3,
        Occupation.OJEK_DRIVER: 3,
        # working in traffic or outdoors, irregular income
        Occupation.PARKING_ATTENDANT: 2,
        Occupation.STREET_VENDOR: 2,
        Occupation.FOOD_SELLER: 2,
        Occupation.FARMER: 2,
        # indoors, low physical risk
        Occupation.TAILOR: 1,
        Occupation.ARTIST: 1,
        Occupation.OTHER: 1,
    }
)
"""Hazard class per occupation: 3 highest, 1 lowest."""
