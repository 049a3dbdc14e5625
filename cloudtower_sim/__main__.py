"""`python -m cloudtower_sim`: the `cloudtower-sim` command."""

import sys

from cloudtower_sim.mock_server.cli import main

sys.exit(main(sys.argv[1:]))
