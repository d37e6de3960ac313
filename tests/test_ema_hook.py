"""mmvit_ext.EMAHook: the checkpoint's state_dict holds the weights that
were validated (raw for DeiT's recipes, the EMA for DeepViT's), and a
fine-tune starts its EMA from the loaded weights."""
import types

import pytest
import torch

from mmvit_ext.registry import HOOKS


def runner_with(model, resume=False):
    return types.SimpleNamespace(model=model, _resume=resume, iter=0,
                                 epoch=0)


def trained(evaluate_on_ema):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    hook = HOOKS.build(dict(type='mmvit_ext.EMAHook', momentum=0.5,
                            evaluate_on_ema=evaluate_on_ema,
                            evaluate_on_origin=not evaluate_on_ema))
    runner = runner_with(model)
    hook.before_run(runner)
    for step in range(3):
        with torch.no_grad():
            model.weight.add_(1.0)
        runner.iter = step
        hook.after_train_iter(runner, step)
    return model, hook, runner


def test_raw_weights_stay_in_state_dict_when_the_raw_model_is_validated():
    model, hook, runner = trained(evaluate_on_ema=False)
    raw = model.weight.detach().clone()
    checkpoint = {'state_dict': model.state_dict(), 'meta': {}}
    hook.before_save_checkpoint(runner, checkpoint)
    torch.testing.assert_close(checkpoint['state_dict']['weight'], raw)
    ema = checkpoint['ema_state_dict']['module.weight']
    assert (ema < raw).all()  # behind the raw weights, which only grew
    assert checkpoint['meta']['ema'] == 'ema_state_dict'
    # Resume: both come back.
    fresh = torch.nn.Linear(3, 2)
    other = HOOKS.build(dict(type='mmvit_ext.EMAHook', momentum=0.5,
                             evaluate_on_ema=False))
    resumed = runner_with(fresh, resume=True)
    other.before_run(resumed)
    other.after_load_checkpoint(resumed, checkpoint)
    torch.testing.assert_close(other.ema_model.module.weight, ema)
    torch.testing.assert_close(checkpoint['state_dict']['weight'], raw)
    # load_from (a fine-tune): the EMA starts from the loaded raw weights.
    tuned = HOOKS.build(dict(type='mmvit_ext.EMAHook', momentum=0.5,
                             evaluate_on_ema=False))
    loading = runner_with(torch.nn.Linear(3, 2), resume=False)
    tuned.before_run(loading)
    tuned.after_load_checkpoint(loading, checkpoint)
    torch.testing.assert_close(tuned.ema_model.module.weight, raw)


def test_ema_goes_to_state_dict_when_the_ema_is_validated():
    model, hook, runner = trained(evaluate_on_ema=True)
    raw = model.weight.detach().clone()
    checkpoint = {'state_dict': model.state_dict(), 'meta': {}}
    hook.before_save_checkpoint(runner, checkpoint)
    ema = hook.ema_model.module.weight
    torch.testing.assert_close(checkpoint['state_dict']['weight'], ema)
    torch.testing.assert_close(
        checkpoint['ema_state_dict']['module.weight'], raw)
    assert checkpoint['meta']['ema'] == 'state_dict'


@pytest.mark.parametrize('path,on_ema', [
    ('configs/deit3/deit3-s-p16_8xb256_in1k.py', False),
    ('configs/deit/deit-s-distilled_8xb128_in1k.py', False),
    ('configs/deepvit/deepvit-s_16xb32_in1k.py', True)])
def test_configs_keep_the_official_ema(repo_root, path, on_ema):
    from mmengine.config import Config
    [hook] = Config.fromfile(f'{repo_root}/{path}').custom_hooks
    assert hook['type'] == 'mmvit_ext.EMAHook'
    assert hook['momentum'] == pytest.approx(1 - 0.99996)
    assert hook['update_buffers'] and hook['evaluate_on_ema'] == on_ema


@pytest.mark.parametrize('evaluate_on_ema', [False, True])
@pytest.mark.parametrize('no_ema', [False, True])
def test_publish_model_picks_the_ema_wherever_the_hook_put_it(
        repo_root, evaluate_on_ema, no_ema):
    from mmvit_ext.utils import import_by_path
    tool = import_by_path(f'{repo_root}/tools/misc/publish_model.py',
                          'publish_model')
    model, hook, runner = trained(evaluate_on_ema)
    raw = model.weight.detach().clone()
    ema = hook.ema_model.module.weight.detach().clone()
    checkpoint = {'state_dict': model.state_dict(),
                  'meta': {'dataset_meta': {'classes': ['a', 'b']}}}
    hook.before_save_checkpoint(runner, checkpoint)
    published = tool.publish(checkpoint, no_ema=no_ema)
    assert set(published) == {'state_dict', 'meta'}
    assert 'ema' not in published['meta']
    torch.testing.assert_close(published['state_dict']['weight'],
                               raw if no_ema else ema)
