"""Personas: a few customer types found in the customer view by a latent class model, described in plain words.

`fit_personas(frame)` fits 3..8 classes (StepMix, the number by BIC), `stability(fit)` refits with other seeds
and on resamples (adjusted Rand index), `summarise`/`assignments`/`save` keep them in the store (table `personas`,
meta `personas`), `profiles` builds the cards (size, NPS, value, needs, channels, least satisfied touchpoints),
hiding personas smaller than `[privacy] min_group`. The frame comes from `cxlens.people.customer_view_frame`
(the workspace passes it: analyses do not import each other). docs/people.md "Personas".
"""

from cxlens.personas.describe import Trait, describe, short_name, traits
from cxlens.personas.features import DEFAULT_CATEGORICAL, DEFAULT_NUMERIC, Design, Features, design
from cxlens.personas.fit import K_RANGE, LatentClasses, PersonaFit, fit_classes, fit_personas
from cxlens.personas.profiles import Profile, profiles, touchpoint_csat
from cxlens.personas.stability import Stability, adjusted_rand, stability
from cxlens.personas.stored import assignments, fit_summary, load_summary, persona_id, save, shown, summarise

__all__ = [
    "DEFAULT_CATEGORICAL", "DEFAULT_NUMERIC", "Design", "Features", "K_RANGE", "LatentClasses", "PersonaFit",
    "Profile", "Stability", "Trait", "adjusted_rand", "assignments", "describe", "design", "fit_summary", "fit_classes",
    "fit_personas", "load_summary", "persona_id", "profiles", "save", "short_name", "shown", "stability", "summarise",
    "touchpoint_csat", "traits",
]
