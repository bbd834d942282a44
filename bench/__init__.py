"""Load benchmark of gamehub against a bare Flask-SocketIO relay: `python -m bench --help`.

bench.load plays whole games with simulated phones, projectors and facilitators; bench.relay
is the baseline server; bench.report turns the observations into percentiles and ratios.
See bench/README.md and docs/performance.md.
"""
