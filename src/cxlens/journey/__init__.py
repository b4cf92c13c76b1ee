"""The journey map (stages and touchpoints) as shared vocabulary; path analytics land here later."""

from cxlens.journey.map import JourneyMap, Touchpoint, read_journey

__all__ = ["JourneyMap", "Touchpoint", "read_journey"]
