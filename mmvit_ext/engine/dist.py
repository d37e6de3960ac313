import torch
import torch.distributed as torch_dist


def init_cpu_distributed(cfg, launcher):
    """Make ``--launcher pytorch`` work on a machine without a GPU.

    mmengine 0.10.7 calls ``torch.cuda.set_device`` when it starts a torch
    launcher run, and wraps the model in DDP with ``device_ids``; both fail
    without a GPU. This starts a gloo process group first (mmengine then
    skips its own start) and wraps the model without ``device_ids``. It does
    nothing with a GPU, with another launcher, or when a group exists.

    Args:
        cfg (Config): The run's config; its ``model_wrapper_cfg`` is set.
        launcher (str): The ``--launcher`` argument.
    """
    if (launcher != 'pytorch' or torch.cuda.is_available()
            or torch_dist.is_initialized()):
        return
    torch_dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False)
    if wrapper.get('type') == 'MMDistributedDataParallel':
        wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper
