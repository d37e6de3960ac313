"""Let mmengine load ``mmvit_ext::`` configs in any program.

mmengine resolves ``_base_ = 'mmvit_ext::mmdet/<config>.py'`` only for the
packages in its fixed list (``MODULE2PACKAGE``). Importing mmvit_ext adds it,
but mmdet's and mmseg's own ``tools/train.py`` read the config before any
``custom_imports``, and failed with "mmengine does not support to load
mmvit_ext config".

``mmvit_ext-scope.pth``, installed into site-packages with the package, imports
this module when Python starts. It imports neither mmengine nor torch: it
waits for ``mmengine.config.config`` to be imported, then registers the
scope there (:func:`register`). Importing mmvit_ext calls :func:`register`
too.
"""
import importlib.util
import os.path as osp
import sys

SCOPE = 'mmvit_ext'
_CONFIG_MODULE = 'mmengine.config.config'


def package_dir():
    """The mmvit_ext package folder (the source tree for an editable
    install), found without importing it."""
    spec = importlib.util.find_spec(SCOPE)
    return osp.dirname(spec.origin)


#: Folders of our configs that are written for another package's registry.
PACKAGE_FOLDERS = ('mmdet', 'mmseg')


def register(config_module):
    """Add the ``mmvit_ext`` scope to mmengine's config loader (given as
    ``mmengine.config.config``). Idempotent.

    mmengine builds everything of a base loaded as ``pkg::...`` in ``pkg``'s
    registries (it gives each of its dicts ``_scope_='pkg'``). Our detection
    and segmentation configs, ``mmvit_ext::mmdet/...`` and
    ``mmvit_ext::mmseg/...``, are written for mmdet's and mmseg's registries
    (our own modules are named ``mmvit_ext.X`` in them), so they are loaded
    in those scopes.
    """
    from mmengine.config.utils import MODULE2PACKAGE

    MODULE2PACKAGE.setdefault(SCOPE, SCOPE)
    config_cls = config_module.Config
    get_cfg_path = config_cls._get_cfg_path
    if not getattr(get_cfg_path, '_mmvit_ext', False):

        def _get_cfg_path(cfg_path, filename):
            path, scope = get_cfg_path(cfg_path, filename)
            if scope == SCOPE:
                folder = cfg_path.partition('::')[2].split('/', 1)[0]
                if folder in PACKAGE_FOLDERS:
                    scope = folder
            return path, scope

        _get_cfg_path._mmvit_ext = True
        config_cls._get_cfg_path = staticmethod(_get_cfg_path)
    installed_path = config_module.get_installed_path
    if getattr(installed_path, '_mmvit_ext', False):
        return

    def get_installed_path(package):
        # mmengine looks under site-packages, where an editable install
        # has no package folder.
        if package == SCOPE:
            return package_dir()
        return installed_path(package)

    get_installed_path._mmvit_ext = True
    config_module.get_installed_path = get_installed_path


class _RegisterOnImport:
    """A meta path finder (no base class: importing ``importlib.abc`` at
    every start-up would cost more than this module) that runs
    :func:`register` once mmengine's config module is executed."""

    def find_spec(self, name, path=None, target=None):
        if name != _CONFIG_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_register(module):
            exec_module(module)
            register(module)

        spec.loader.exec_module = exec_and_register
        return spec


def install():
    """Register now if mmengine's config module is loaded, else on its
    import."""
    if _CONFIG_MODULE in sys.modules:
        register(sys.modules[_CONFIG_MODULE])
    elif not any(isinstance(f, _RegisterOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterOnImport())
