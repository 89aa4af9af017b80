"""Model building, solving and analyses. The public API is the `pbo` package:

>>> import pbo
>>> result = pbo.solve(pbo.load_scenario("scenarios/tutorial.yaml"))
"""
