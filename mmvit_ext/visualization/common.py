"""What the visual tools share: a model and its inputs as the config sees
them, heat maps laid over an image, and figures written atomically."""
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmvit_ext.analysis import drop_teacher
from mmvit_ext.utils import atomic_write


def tool_parser(doc, image=False, data=None, batch_size=32):
    """The argument parser the look-inside tools share: ``config``,
    ``checkpoint``, then ``image`` (``image=True``) or ``--data N`` and
    ``--batch-size`` (``data``: the default N), and ``--device`` and
    ``--cfg-options``."""
    import argparse

    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    if image:
        parser.add_argument('image')
    if data is not None:
        parser.add_argument('--data', type=int, default=data,
                            help=f'how many validation images (default '
                            f'{data})')
        parser.add_argument('--batch-size', type=int, default=batch_size)
    parser.add_argument('--device', default=None, help='e.g. cpu, cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, as key=value')
    return parser


def run_tool(main, errors=(FileNotFoundError, ValueError)):
    """Run a tool's ``main``; a user error (``errors``) ends it with
    ``<tool>.py: <message>`` and exit status 1 instead of a traceback."""
    import os
    import sys
    try:
        main()
    except errors as e:
        sys.exit(f'{os.path.basename(sys.argv[0])}: '
                 f'{e.args[0] if e.args else e}')


def load_config(config, cfg_options=None):
    cfg = config if isinstance(config, Config) else Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return drop_teacher(cfg)


def load_model(config, checkpoint, device=None, cfg_options=None):
    """``(inferencer, cfg)``: mmvit_ext's image inferencer (the model in
    eval mode, any checkpoint layout, the config's test pipeline)."""
    from mmvit_ext.apis import ImageClassificationInferencer
    cfg = load_config(config, cfg_options)
    inferencer = ImageClassificationInferencer(cfg, pretrained=checkpoint,
                                               device=device)
    return inferencer, cfg


def load_image_and_model(args):
    """``(inferencer, inputs, shown)`` for a tool's ``config``,
    ``checkpoint`` and ``image`` arguments (see :func:`image_inputs`)."""
    import os
    if not os.path.isfile(args.image):
        raise FileNotFoundError(f'image {args.image} does not exist')
    inferencer, _ = load_model(args.config, args.checkpoint, args.device,
                               args.cfg_options)
    return (inferencer, *image_inputs(inferencer, args.image))


def image_inputs(inferencer, image):
    """One image file -> ``(inputs, shown)``: the normalised ``(1, C, H,
    W)`` tensor the model takes, and the same image as the model sees it
    (after resize and crop), ``(H, W, 3)`` floats in [0, 1] for drawing."""
    batch = next(inferencer.preprocess([image], batch_size=1))
    shown = batch['inputs'][0].float() / 255
    data = inferencer.model.data_preprocessor(batch, False)
    shown = shown.expand(3, -1, -1) if shown.shape[0] == 1 else shown[:3]
    if getattr(inferencer.model.data_preprocessor, 'to_rgb', False):
        shown = shown.flip(0)  # files are read BGR
    return data['inputs'], shown.permute(1, 2, 0).numpy()


def upsample(heat, hw):
    """A ``(h, w)`` map -> ``(H, W)`` by bilinear interpolation, scaled to
    [0, 1] (a constant map becomes zeros)."""
    heat = torch.as_tensor(heat, dtype=torch.float32)[None, None]
    heat = F.interpolate(heat, size=tuple(hw), mode='bilinear',
                         align_corners=False)[0, 0]
    heat = heat - heat.min()
    peak = heat.max()
    return (heat / peak if peak > 0 else heat).numpy()


def overlay(ax, shown, heat=None, title=None, alpha=0.5):
    """Draw ``shown`` with ``heat`` (any ``(h, w)`` grid) upsampled onto it."""
    ax.imshow(shown, interpolation='nearest')
    if heat is not None:
        ax.imshow(upsample(heat, shown.shape[:2]), cmap='jet', alpha=alpha,
                  vmin=0, vmax=1, interpolation='nearest')
    if title:
        ax.set_title(title, fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])


def figure(rows, cols, cell=1.2):
    """A ``rows x cols`` grid of axes, ``cell`` inches each (100 px per
    inch when saved by :func:`save_figure`)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt.subplots(rows, cols, figsize=(cols * cell, rows * cell),
                        squeeze=False)


def save_figure(fig, out, dpi=100):
    """Write ``fig`` as a PNG of exactly its figure size times ``dpi``
    (no tight bounding box, so tests can expect the size), atomically."""
    import matplotlib.pyplot as plt
    with atomic_write(out) as f:
        fig.savefig(f, format='png', dpi=dpi)
    plt.close(fig)


def load_model_and_batches(args):
    """``(model, batches)`` for a tool's ``config``, ``checkpoint``,
    ``--data`` and ``--batch-size`` arguments (see :func:`val_batches`)."""
    inferencer, cfg = load_model(args.config, args.checkpoint, args.device,
                                 args.cfg_options)
    model = inferencer.model
    return model, val_batches(cfg, model, args.data, args.batch_size)


def val_batches(cfg, model, num_images, batch_size=32):
    """Yield normalised input batches of the first ``num_images`` images of
    ``cfg``'s validation set (in order, no shuffling), as the model's data
    preprocessor hands them to the backbone."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    if num_images < 1:
        raise ValueError(f'--data {num_images}: give at least one image')
    init_default_scope(cfg.get('default_scope', 'mmvit_ext'))
    loader_cfg = cfg.val_dataloader.copy()
    loader_cfg.update(batch_size=min(batch_size, num_images), num_workers=0,
                      persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=False))
    loader = Runner.build_dataloader(loader_cfg)
    if len(loader.dataset) < num_images:
        raise ValueError(f'--data {num_images}: the validation set has only '
                         f'{len(loader.dataset)} images')
    seen = 0
    for batch in loader:
        inputs = model.data_preprocessor(batch, False)['inputs']
        inputs = inputs[:num_images - seen]
        seen += len(inputs)
        yield inputs
        if seen >= num_images:
            return
