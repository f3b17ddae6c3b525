"""``python -m smmpanel.providers.simulator``: the simulator without Django."""

import argparse

from smmpanel.providers.simulator.server import add_arguments, run_forever


def main(argv: list[str] | None = None) -> None:
    """Parse the options and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m smmpanel.providers.simulator",
        description="Upstream provider SIMULATOR for development and tests; delivers nothing.",
    )
    add_arguments(parser)
    run_forever(**vars(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
