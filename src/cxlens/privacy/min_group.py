"""The smallest group a publication may describe, decided once for every command and app.

Apart from `cxlens.privacy.suppress` (which needs pandas) so that a command answering without pandas
(`cxlens.metrics.quick`, architecture D61) applies the same rule.
"""

from __future__ import annotations

from cxlens.errors import UsageError


def min_group_for(configured: int, asked: int | None = None) -> int:
    """The smallest group a publication may describe: the workspace's `[privacy] min_group`, or a larger `asked`.

    Only upward: whoever runs a command may publish more cautiously than the workspace's owner decided, never
    less, so a smaller `asked` is a UsageError naming the configured minimum (change cxlens.toml to lower it).
    """
    if asked is None:
        return configured
    if asked < configured:
        raise UsageError("min_group", asked, message=(
            f"min_group={asked} is below this workspace's minimum of {configured} customers; "
            "only a larger value may be asked (lower [privacy] min_group in cxlens.toml to publish smaller groups)"))
    return asked


__all__ = ["min_group_for"]
