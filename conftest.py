"""The repository's own pytest runs (tests/ and contracts/): Hypothesis profiles, registered here so that
`--hypothesis-profile` finds them whichever folder is run.

- `ci` (the default): what `scripts/test` runs, the whole depth.
- `dev` (`scripts/test --fast`): a tenth of the examples, for a run while working.

A property test asks for a share of the profile's examples (`tests/support.py` `examples`), never for a count."""

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=100, print_blob=True)
settings.register_profile("dev", max_examples=10)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
