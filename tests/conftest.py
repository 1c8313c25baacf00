"""Settings shared by the whole suite."""

from hypothesis import settings

# No timed assertions (the machines are noisy, and scripts/test.sh runs the suite on every core
# at once): Hypothesis's per-example deadline is one, so it is off everywhere.
settings.register_profile("diplosim", deadline=None)
settings.load_profile("diplosim")
