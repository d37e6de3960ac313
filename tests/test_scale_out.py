"""Beyond one process, on CPU with gloo, through the tools a user runs:
2-process DDP and FSDP end with the 1-process weights, an FSDP checkpoint
loads on one process, a run that loses a worker restarts and ends where the
uninterrupted one does, and the Slurm launcher runs 2 local processes."""
import json
import os
import re
import stat
import subprocess
import sys
import textwrap

import pytest
import torch

from mmvit_ext.engine import load_checkpoint_file

# The demo model with weight-decay rules, layer-wise lr decay and clipping;
# 3 epochs of 4 steps with a total batch of 64 (see the config).
CONFIG = 'tests/configs/scale_out.py'
FSDP_CONFIG = 'tests/configs/scale_out_fsdp.py'
HALF_BATCH = ['--cfg-options', 'train_dataloader.batch_size=32']


pytestmark = [pytest.mark.slow,
              pytest.mark.usefixtures('fashion_mnist')]


def run(repo_root, *cmd, env=None, ok=True):
    full_env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    full_env.update(env or {})
    proc = subprocess.run(cmd, cwd=repo_root, env=full_env,
                          capture_output=True, text=True, timeout=900)
    if ok:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc


def weights(work_dir, epoch=3):
    return load_checkpoint_file(str(work_dir / f'epoch_{epoch}.pth'))


def assert_same_weights(actual, expected, atol):
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        torch.testing.assert_close(actual[key], value, rtol=0, atol=atol,
                                   msg=key)


@pytest.fixture(scope='module')
def single(repo_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('single')
    run(repo_root, sys.executable, 'tools/train.py', CONFIG,
        '--work-dir', str(work_dir))
    return work_dir


@pytest.fixture(scope='module')
def fsdp(repo_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('fsdp')
    proc = run(repo_root, 'bash', 'tools/dist_train.sh', FSDP_CONFIG, '2',
               '--work-dir', str(work_dir), *HALF_BATCH,
               env=dict(PORT='29531'))
    return work_dir, proc


def test_ddp_on_two_processes_ends_with_the_one_process_weights(
        single, repo_root, tmp_path):
    run(repo_root, 'bash', 'tools/dist_train.sh', CONFIG, '2',
        '--work-dir', str(tmp_path), *HALF_BATCH, env=dict(PORT='29532'))
    assert_same_weights(weights(tmp_path)['state_dict'],
                        weights(single)['state_dict'], atol=2e-6)


def test_fsdp_on_two_processes_ends_with_the_one_process_weights(
        single, fsdp):
    work_dir, proc = fsdp
    log = ''.join(p.read_text() for p in work_dir.glob('*/*.log'))
    assert 'FSDP: 5 units over 2 processes' in log  # 4 blocks and the root
    ckpt, reference = weights(work_dir), weights(single)
    # One file, written by rank 0, with the parameter names of the model.
    assert sorted(p.name for p in work_dir.glob('epoch_*')) == \
        ['epoch_1.pth', 'epoch_2.pth', 'epoch_3.pth']
    assert_same_weights(ckpt['state_dict'], reference['state_dict'],
                        atol=2e-6)
    # The optimizer state is the full one, keyed by parameter names.
    state = ckpt['optimizer']['state']
    assert 'backbone.layers.0.attn.qkv.weight' in state
    assert state['backbone.layers.0.attn.qkv.weight']['exp_avg'].shape == \
        reference['state_dict']['backbone.layers.0.attn.qkv.weight'].shape


def test_fsdp_keeps_the_shipped_parameter_groups(repo_root, tmp_path):
    """What makes the weights equal, checked on a real 2-rank sharded
    model: its 1-D shards keep the groups of the unwrapped model. Built the
    way mmengine's FSDPStrategy builds them (after wrapping), every
    parameter is a 1-D shard and no group has weight decay."""
    script = tmp_path / 'groups.py'
    script.write_text(textwrap.dedent(f'''
        import json, sys
        import torch.distributed as dist
        from mmengine.config import Config
        from mmengine.optim import build_optim_wrapper
        from mmengine.registry import init_default_scope
        import mmvit_ext
        from mmvit_ext.engine import FSDPStrategy
        dist.init_process_group('gloo')
        init_default_scope('mmvit_ext')
        cfg = Config.fromfile({FSDP_CONFIG!r})
        model, optim = FSDPStrategy(work_dir={str(tmp_path)!r}).prepare(
            cfg.model, optim_wrapper=cfg.optim_wrapper)
        after_wrapping = build_optim_wrapper(model, cfg.optim_wrapper)

        def groups(optim):
            return [dict(ndim=sorted({{p.ndim for p in g['params']}}),
                         numel=sum(p.numel() for p in g['params']),
                         weight_decay=g['weight_decay'], lr=g['lr'])
                    for g in optim.optimizer.param_groups]

        if dist.get_rank() == 0:
            print(json.dumps([groups(optim), groups(after_wrapping)]))
        dist.destroy_process_group()
    '''))
    proc = run(repo_root, sys.executable, '-m', 'torch.distributed.run',
               '--nproc_per_node=2', '--master_port=29533', str(script))
    ours, mmengines = json.loads(proc.stdout.strip().splitlines()[-1])
    assert all(g['ndim'] == [1] for g in ours if g['numel'])
    assert {g['weight_decay'] for g in ours} == {0.0, 0.3}
    assert len({g['lr'] for g in ours}) > 3  # layer-wise
    assert sum(g['numel'] for g in ours) == sum(g['numel'] for g in mmengines)
    assert {g['weight_decay'] for g in mmengines} == {0.0}


def test_an_fsdp_checkpoint_loads_on_one_process(fsdp, repo_root, tmp_path):
    """tools/test.py on one process gives the top-1 of the FSDP run's own
    (2-process) validation; get_model loads the checkpoint exactly."""
    work_dir, proc = fsdp
    logged = re.findall(r'Epoch\(val\) \[3\]\[1/1\]\s+accuracy/top1: ([\d.]+)',
                        proc.stdout + proc.stderr)
    assert logged, (proc.stdout + proc.stderr)[-3000:]
    out = tmp_path / 'metrics.json'
    run(repo_root, sys.executable, 'tools/test.py', CONFIG,
        str(work_dir / 'epoch_3.pth'), '--work-dir', str(tmp_path / 'test'),
        '--out', str(out), '--out-item', 'metrics')
    assert json.loads(out.read_text())['accuracy/top1'] == pytest.approx(
        float(logged[-1]), abs=1e-4)

    from mmpretrain.apis import get_model
    model = get_model(f'{repo_root}/{CONFIG}',
                      pretrained=str(work_dir / 'epoch_3.pth'))
    assert_same_weights(model.state_dict(),
                        weights(work_dir)['state_dict'], atol=0)


def test_a_lost_worker_restarts_and_ends_with_the_uninterrupted_weights(
        fsdp, repo_root, tmp_path):
    """Rank 1 is SIGKILLed before its 6th update (epoch 2 of 3); torchrun
    restarts both workers, which resume from epoch_1.pth."""
    uninterrupted, _ = fsdp
    site = tmp_path / 'site'
    site.mkdir()
    (site / 'sitecustomize.py').write_text('import kill_worker\n')
    work_dir = tmp_path / 'work'
    proc = run(repo_root, 'bash', 'tools/dist_train.sh', FSDP_CONFIG, '2',
               '--work-dir', str(work_dir), *HALF_BATCH,
               env=dict(PORT='29534', MAX_RESTARTS='1', KILL_RANK='1',
                        KILL_AT_UPDATE='6',
                        PYTHONPATH=f'{site}:{repo_root}/tests'))
    out = proc.stdout + proc.stderr
    assert 'Signals.SIGKILL' in out or 'exitcode: -9' in out, out[-3000:]
    assert 'Restart 1 by torchrun' in out
    assert 'resumed epoch: 1' in out
    assert_same_weights(weights(work_dir)['state_dict'],
                        weights(uninterrupted)['state_dict'], atol=1e-6)


FAKE_SRUN = '''#!{python}
"""srun for the test: start --ntasks copies of the command on this machine
with the SLURM_* variables of a one-node job, and record the arguments."""
import json, os, subprocess, sys
args = sys.argv[1:]
with open(os.environ['SRUN_LOG'], 'w') as f:
    json.dump(args, f)
ntasks = next(int(a.split('=')[1]) for a in args if a.startswith('--ntasks='))
start = next(i for i, a in enumerate(args)
             if not a.startswith('-') and args[i - 1] != '-p')
procs = [subprocess.Popen(args[start:], env=dict(
    os.environ, SLURM_PROCID=str(rank), SLURM_LOCALID=str(rank),
    SLURM_NTASKS=str(ntasks), SLURM_NODELIST='localhost',
    SLURM_JOB_NAME='test')) for rank in range(ntasks)]
sys.exit(max(abs(p.wait()) for p in procs))
'''


def test_slurm_train_and_test_run_two_processes_without_gpus(
        single, repo_root, tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text(FAKE_SRUN.format(python=sys.executable))
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    env = dict(PATH=f'{bin_dir}:{os.environ["PATH"]}', GPUS='2',
               GPUS_PER_NODE='0', CPUS_PER_TASK='1', MASTER_PORT='29535',
               SRUN_LOG=str(tmp_path / 'srun.json'))
    work_dir = tmp_path / 'work'
    run(repo_root, 'bash', 'tools/slurm_train.sh', 'cpu', 'scale-out',
        CONFIG, str(work_dir), *HALF_BATCH, env=env)
    srun_args = json.loads((tmp_path / 'srun.json').read_text())
    assert srun_args[:2] == ['-p', 'cpu'] and '--ntasks=2' in srun_args
    assert not any(a.startswith('--gres') for a in srun_args)
    log = ''.join(p.read_text() for p in work_dir.glob('*/*.log'))
    assert 'Distributed launcher: slurm' in log
    assert_same_weights(weights(work_dir)['state_dict'],
                        weights(single)['state_dict'], atol=2e-6)

    out = tmp_path / 'metrics.json'
    run(repo_root, 'bash', 'tools/slurm_test.sh', 'cpu', 'scale-out-test',
        CONFIG, str(work_dir / 'epoch_3.pth'), '--out', str(out),
        '--out-item', 'metrics', '--work-dir', str(tmp_path / 'test'),
        env=dict(env, MASTER_PORT='29536'))
    assert 'accuracy/top1' in json.loads(out.read_text())


def test_fp16_fsdp_resumes_with_its_loss_scale(repo_root, tmp_path):
    """The dynamic loss scale grows every 3 steps; a run resumed from
    epoch 1 ends with the uninterrupted run's scale and weights."""
    options = [*HALF_BATCH, 'optim_wrapper.loss_scale.init_scale=1024.0',
               'optim_wrapper.loss_scale.growth_interval=3']
    full, resumed = tmp_path / 'full', tmp_path / 'resumed'
    for work_dir, args, port in ((full, [], '29537'),
                                 (resumed, ['--resume'], '29538')):
        if args:
            resumed.mkdir()
            (resumed / 'epoch_1.pth').write_bytes(
                (full / 'epoch_1.pth').read_bytes())
            (resumed / 'last_checkpoint').write_text(
                str(resumed / 'epoch_1.pth'))
        run(repo_root, 'bash', 'tools/dist_train.sh', CONFIG, '2', '--fsdp',
            '--amp-dtype', 'float16', '--work-dir', str(work_dir), *args,
            *options, env=dict(PORT=port, MAX_RESTARTS='0'))
    scaler = weights(full)['optimizer']['loss_scaler']
    assert scaler['scale'] == 1024.0 * 2**4  # 12 steps, none overflowed
    assert weights(resumed)['optimizer']['loss_scaler'] == scaler
    assert_same_weights(weights(resumed)['state_dict'],
                        weights(full)['state_dict'], atol=1e-6)


def test_fsdp_with_activation_checkpointing_and_bf16(single, repo_root,
                                                     tmp_path):
    run(repo_root, 'bash', 'tools/dist_train.sh', CONFIG, '2', '--fsdp',
        '--work-dir', str(tmp_path), *HALF_BATCH,
        'strategy.activation_checkpointing=True',
        'strategy.mixed_precision=bf16',
        env=dict(PORT='29539', MAX_RESTARTS='0'))
    log = ''.join(p.read_text() for p in tmp_path.glob('*/*.log'))
    assert 'FSDP: 5 units over 2 processes, 4 blocks recomputed' in log
    state_dict = weights(tmp_path)['state_dict']
    reference = weights(single)['state_dict']
    assert {v.dtype for v in state_dict.values()} == {torch.float32}
    # The model's own names (no FSDP or checkpoint wrapper in them), and
    # weights near the fp32 run's: bf16 rounds, nothing else differs.
    assert_same_weights(state_dict, reference, atol=1e-2)
    assert max((state_dict[k] - v).abs().max()
               for k, v in reference.items()) > 1e-5
