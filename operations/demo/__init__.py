"""The demo and the end-to-end scenario: a realistic organisation and its applicants, pushed through
the real services by their commands only.

- `plan.build_plan(n, reference)`: the deterministic plan (organisation in `organisation`, people in
  `people` and `applicants`, dates in `schedule`, the tree over time in `tree`).
- `driver.Driver(plan, actors).run()`: drives it, acting as the person who normally sends each
  command; safe to run again (every key comes from the plan).
- `client`: the `Client` protocol and `Actors` factory, with the NATS implementation `bus_actors`.
- `expected.Expected(plan, on)`: the figures each report must show, and `*_figures` to read the
  same figures from the reporting service's answers.
- `load.run_demo`: `ketnap demo`.
"""
