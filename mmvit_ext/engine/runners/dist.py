import os
import re
import shutil
import subprocess
from datetime import timedelta

import torch
import torch.distributed as torch_dist


def slurm_master_addr(node_list):
    """The first host of a Slurm node list: ``scontrol show hostnames``
    when Slurm's tools are there, else the list itself if it names one
    host."""
    if shutil.which('scontrol'):
        out = subprocess.run(['scontrol', 'show', 'hostnames', node_list],
                             capture_output=True, text=True, check=True)
        return out.stdout.split()[0]
    if re.fullmatch(r'[\w.-]+', node_list):
        return node_list
    raise RuntimeError(
        f'SLURM_NODELIST {node_list!r} names several hosts and scontrol is '
        'not on PATH to expand it: set MASTER_ADDR to the first host')


def _slurm_env():
    """Set torch's ``env://`` variables from Slurm's, as mmengine's slurm
    launcher does, but without touching CUDA."""
    for name in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'):
        if name not in os.environ:
            raise RuntimeError(f'--launcher slurm needs {name}: run under '
                               'srun (tools/slurm_train.sh)')
    os.environ.setdefault('MASTER_ADDR',
                          slurm_master_addr(os.environ['SLURM_NODELIST']))
    os.environ.setdefault('MASTER_PORT', '29500')
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')


def _torchrun_store():
    """torchrun's store, under a prefix of this restart attempt, or None
    outside torchrun.

    With torchrun's static rendezvous (``--master_port``, as
    ``tools/dist_train.sh`` starts it) the workers of every restart attempt
    share the agent's store, whose keys torch does not separate by attempt
    (torch 2.14): after a restart a rank can read the address a lost
    worker of the previous attempt published and fail to connect (gloo), or
    take a stale NCCL id. A prefix per attempt keeps the attempts apart.
    """
    if os.environ.get('TORCHELASTIC_USE_AGENT_STORE') != 'True':
        return None
    store = torch_dist.TCPStore(
        os.environ['MASTER_ADDR'], int(os.environ['MASTER_PORT']),
        int(os.environ['WORLD_SIZE']), is_master=False,
        timeout=timedelta(minutes=30))
    attempt = os.environ.get('TORCHELASTIC_RESTART_COUNT', '0')
    return torch_dist.PrefixStore(f'/mmvit_ext/attempt_{attempt}', store)


def init_distributed(cfg, launcher):
    """Start the process group of a ``--launcher pytorch`` or ``--launcher
    slurm`` run, on GPUs (nccl) and on a machine without any (gloo).

    mmengine 0.10.7 calls ``torch.cuda.set_device`` when it starts a torch or
    slurm launcher run, and wraps the model in DDP with ``device_ids``; both
    fail without a GPU. So the group is started here, before the runner
    (which then skips its own start):

    * from torchrun's variables, or from Slurm's (``SLURM_PROCID``,
      ``SLURM_NTASKS``, ``SLURM_NODELIST``, ``SLURM_LOCALID``, and
      ``MASTER_PORT``, default 29500);
    * under torchrun, through its store with a prefix per restart attempt
      (see ``_torchrun_store()``), so that a group restarted after a lost
      worker connects;
    * with a GPU, on the process's ``LOCAL_RANK`` device with nccl; without,
      with gloo, and the model is wrapped without ``device_ids``.

    It does nothing for another launcher or when a group exists.

    Args:
        cfg (Config): The run's config; on a CPU its ``model_wrapper_cfg``
            is set.
        launcher (str): The ``--launcher`` argument.
    """
    if launcher not in ('pytorch', 'slurm') or torch_dist.is_initialized():
        return
    if launcher == 'slurm':
        _slurm_env()
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(int(os.environ.get('LOCAL_RANK', '0')))
    store = _torchrun_store()
    if store is None:
        torch_dist.init_process_group(backend='nccl' if cuda else 'gloo')
    else:
        torch_dist.init_process_group(
            backend='nccl' if cuda else 'gloo', store=store,
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    if cuda:
        return
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False)
    if wrapper.get('type') == 'MMDistributedDataParallel':
        wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper
