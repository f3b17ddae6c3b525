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
    try:
        run_forever(**vars(parser.parse_args(argv)))
    except (ValueError, OSError) as exc:  # a setting out of range, a port in use
        parser.exit(2, f"simulator: {exc}\n")


if __name__ == "__main__":
    main()
