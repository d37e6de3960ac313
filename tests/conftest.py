import os
import sys

import pytest

# Make ``backbone_cases`` importable and the repo root the working folder of
# subprocess tests.
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import mmvit_ext  # noqa: E402,F401  (registers modules)


@pytest.fixture(scope='session')
def repo_root():
    return ROOT
