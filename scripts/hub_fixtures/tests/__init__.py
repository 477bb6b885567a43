# A package so that `python3 -m unittest discover -s scripts/hub_fixtures/tests -t .` can import the
# tests; the modules under test import each other by plain name, as when run as scripts.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
