import os
import sys

import pytest

# Make ``backbone_cases`` importable and the repo root the working folder of
# subprocess tests.
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import mmvit_ext  # noqa: E402,F401  (registers modules)


def pytest_collection_modifyitems(items):
    """A test that needs the prepared Fashion-MNIST is marked ``data``."""
    for item in items:
        if 'fashion_mnist' in getattr(item, 'fixturenames', ()):
            item.add_marker(pytest.mark.data)


@pytest.fixture(scope='session')
def repo_root():
    return ROOT


@pytest.fixture(scope='module')
def fashion_mnist():
    """Skip a module's tests unless ``make data`` has prepared the data
    (``pytestmark = pytest.mark.usefixtures('fashion_mnist')``)."""
    if not os.path.exists(f'{ROOT}/data/fashion-mnist/t10k-labels-idx1-ubyte'):
        pytest.skip('Fashion-MNIST is not prepared: run `make data` (Debian '
                    'package dataset-fashion-mnist)')


@pytest.fixture(scope='session')
def checkpoints(tmp_path_factory):
    """A random-weight checkpoint per family of ``FAMILY_CONFIGS``, as
    tools/train.py saves them (the classifier's ``state_dict``)."""
    import torch
    from user_utils import FAMILY_CONFIGS, build_random
    folder = tmp_path_factory.mktemp('family_checkpoints')
    paths = {}
    for name in FAMILY_CONFIGS:
        paths[name] = str(folder / f'{name}.pth')
        torch.save({'state_dict': build_random(ROOT, name).state_dict()},
                   paths[name])
    return paths
