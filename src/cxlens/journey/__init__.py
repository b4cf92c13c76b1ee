"""Journey analytics (paths, drop-offs, moments of truth) land here.

The journey map itself (`journey.yaml`: stages and touchpoints) is config, in :mod:`cxlens.model.journey`.
"""
