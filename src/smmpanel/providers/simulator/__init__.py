"""The built-in upstream provider SIMULATOR: a development and test tool.

It implements API v2 the way real providers do and pretends, with a clock, that orders
progress; it talks to no social platform and delivers nothing. No Django in here, so
tests, benchmarks and the CLI can run it on its own::

    from smmpanel.providers.simulator import serve
    sim = serve(port=0, key="sim-key", start_delay=0, speed=1000)
    ...  # sim.url is the API v2 URL, sim.control_url the control API
    sim.shutdown()
"""

from smmpanel.providers.simulator.server import SimulatorHandle, serve
from smmpanel.providers.simulator.state import SimConfig, SimulatorState

__all__ = ["SimConfig", "SimulatorHandle", "SimulatorState", "serve"]
