"""Import code from a checkout by path (official repositories)."""
import importlib.util
import os
import sys


def import_by_path(path, name):
    """Import the package folder or module file ``path`` as ``name`` without
    putting its parent on ``sys.path`` (official repos vendor old copies of
    timm). The module is registered in ``sys.modules``, where timm's
    ``register_model`` looks it up."""
    if os.path.isdir(path):
        spec = importlib.util.spec_from_file_location(
            name, os.path.join(path, '__init__.py'),
            submodule_search_locations=[path])
    else:
        spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise FileNotFoundError(f'cannot import {name} from {path}')
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
