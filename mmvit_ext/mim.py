"""Ship the configs with the package, the OpenMMLab way.

``mmvit_ext/.mim`` holds ``configs/`` and ``model-index.yml`` (links into the
repository; copies in a built wheel), as mmpretrain's ``.mim`` does. Importing
mmvit_ext then makes three things work:

* ``_base_ = 'mmvit_ext::deit3/deit3-s-p16_8xb256_in1k.py'`` in any config
  (mmengine only knows a fixed list of OpenMMLab packages);
* ``mmpretrain.get_model('deit3-s-p16_8xb256_in1k', pretrained=True)`` and
  ``ImageClassificationInferencer('pit-s_8xb128_in1k')``: the model index
  gives each ImageNet config and its official weights URL;
* the same for an editable install, whose package folder is the source tree
  rather than ``site-packages/mmvit_ext``.

The first also works before mmvit_ext is imported (mmdet's and mmseg's own
tools): see ``mmvit_ext_scope``.
"""
import os.path as osp

MIM_DIR = osp.join(osp.dirname(osp.abspath(__file__)), '.mim')


def register_package():
    """Tell mmengine and mmpretrain about our configs. Idempotent."""
    import mmengine.config.config as mmengine_config
    from mmpretrain.apis import ModelHub

    from mmvit_ext_scope import register

    register(mmengine_config)
    if not ModelHub.has('deit3-s-p16_8xb256_in1k'):
        ModelHub.register_model_index(
            osp.join(MIM_DIR, 'model-index.yml'), config_prefix=MIM_DIR)
