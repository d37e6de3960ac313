"""DeiT distillation: parity with timm, the losses, and the teacher kept out
of the student."""
import pytest
import timm
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from mmvit_ext.converters import convert_deit
from mmvit_ext.registry import MODELS
from parity_utils import build_ours, image, randomize_


@pytest.mark.parametrize('arch,timm_arch', [('ti', 'tiny'), ('s', 'small'),
                                            ('b', 'base')])
def test_deit_distilled_logits_match(arch, timm_arch, repo_root):
    torch.manual_seed(0)
    ref = randomize_(timm.create_model(
        f'deit_{timm_arch}_distilled_patch16_224', pretrained=False))
    config = f'{repo_root}/configs/deit/deit-{arch}-distilled_8xb128_in1k.py'
    ours = build_ours(config, convert_deit({'model': ref.state_dict()}),
                      teacher=None)
    x = image(224)
    with torch.no_grad():
        fused = ref(x)
        ref.set_distilled_training(True)
        ref.train()  # no dropout in the reference: only the head changes
        cls_logits, dist_logits = ref(x)
        got = {}
        for logits_type in ('classification', 'distillation', 'fusion'):
            ours.head.logits_type = logits_type
            got[logits_type] = ours(x, mode='tensor')
    tol = dict(rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(got['classification'], cls_logits, **tol)
    torch.testing.assert_close(got['distillation'], dist_logits, **tol)
    torch.testing.assert_close(got['fusion'], fused, **tol)


def dist_head(**kwargs):
    return MODELS.build(dict(type='DistillationClsHead', num_classes=5,
                             in_channels=8, **kwargs))


def batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    feats = ((torch.randn(4, 8, generator=g), torch.randn(4, 8,
                                                         generator=g)), )
    teacher = torch.randn(4, 5, generator=g) * 3
    labels = [1, 0, 4, 2]
    samples = [DataSample().set_gt_label(y) for y in labels]
    return feats, teacher, torch.tensor(labels), samples


def randomized(head):
    with torch.no_grad():
        for p in head.parameters():
            p.copy_(torch.randn_like(p))
    return head


def test_hard_loss_by_hand():
    head = randomized(dist_head(distill_cfg=dict(type='hard', alpha=0.3)))
    feats, teacher, labels, samples = batch()
    losses = head.loss(feats, samples, teacher_logits=teacher)
    cls = head.layers.head(feats[0][0])
    dist = head.layers.head_dist(feats[0][1])
    torch.testing.assert_close(losses['loss_cls'],
                               0.7 * F.cross_entropy(cls, labels))
    torch.testing.assert_close(
        losses['loss_dist'], 0.3 * F.cross_entropy(dist, teacher.argmax(1)))


def test_soft_loss_by_hand():
    tau = 2.0
    head = randomized(
        dist_head(distill_cfg=dict(type='soft', alpha=0.5, tau=tau)))
    feats, teacher, labels, samples = batch()
    losses = head.loss(feats, samples, teacher_logits=teacher)
    dist = head.layers.head_dist(feats[0][1])
    p_teacher = (teacher / tau).softmax(1)
    kl = (p_teacher * (p_teacher.log() - (dist / tau).log_softmax(1))).sum()
    torch.testing.assert_close(losses['loss_dist'],
                               0.5 * kl * tau**2 / dist.numel())


def test_none_loss_and_bad_configs():
    head = randomized(dist_head(distill_cfg=dict(type='none', alpha=0.5)))
    feats, _, labels, samples = batch()
    losses = head.loss(feats, samples)
    dist = head.layers.head_dist(feats[0][1])
    torch.testing.assert_close(losses['loss_dist'],
                               0.5 * F.cross_entropy(dist, labels))
    with pytest.raises(ValueError, match='needs teacher logits'):
        dist_head().loss(feats, samples)
    with pytest.raises(ValueError, match="'kd' is not one of"):
        dist_head(distill_cfg=dict(type='kd'))
    with pytest.raises(ValueError, match="logits_type 'avg'"):
        dist_head(logits_type='avg')


def test_logits_types():
    head = randomized(dist_head())
    feats = batch()[0]
    cls = head.layers.head(feats[0][0])
    dist = head.layers.head_dist(feats[0][1])
    for logits_type, expected in [('classification', cls),
                                  ('distillation', dist),
                                  ('fusion', (cls + dist) / 2)]:
        head.logits_type = logits_type
        torch.testing.assert_close(head(feats), expected)


# --------------------------------------------------------------- teacher
TEACHER_CFG = '''
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, in_channels=1,
                  stem_channels=8, base_channels=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes={classes}, in_channels=64))
'''


@pytest.fixture
def teacher_files(tmp_path):
    """A small trained-looking teacher: config file and checkpoint."""
    from mmpretrain.apis import get_model
    config = tmp_path / 'teacher.py'
    config.write_text(TEACHER_CFG.format(classes=10))
    teacher = get_model(str(config))
    randomize_(teacher)
    checkpoint = tmp_path / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict()}, checkpoint)
    return str(config), str(checkpoint), teacher


def student(teacher=None, **head):
    return MODELS.build(
        dict(
            type='DistillationClassifier',
            teacher=teacher,
            backbone=dict(
                type='mmvit_ext.DeiT', img_size=28, patch_size=7,
                in_channels=1, with_dist_token=True,
                arch=dict(embed_dims=16, num_layers=2, num_heads=2,
                          feedforward_channels=32)),
            head=dict(type='mmvit_ext.DistillationClsHead', num_classes=10,
                      in_channels=16, **head),
            train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8)]),
            data_preprocessor=dict(num_classes=10, mean=[0.], std=[1.])))


def fmnist_batch(n=4):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 28, 28, generator=g)
    return x, [DataSample().set_gt_label(i) for i in range(n)]


def test_teacher_is_kept_out_of_the_student(teacher_files):
    config, checkpoint, reference = teacher_files
    model = student(dict(config=config, checkpoint=checkpoint))
    teacher = model.teacher
    # Loaded: the teacher's weights are the checkpoint's.
    for name, value in reference.state_dict().items():
        torch.testing.assert_close(teacher.state_dict()[name], value)
    teacher_params = {id(p) for p in teacher.parameters()}
    assert not teacher_params & {id(p) for p in model.parameters()}
    assert not any(k.startswith('teacher') or '_teacher' in k
                   for k in model.state_dict())
    optim = build_optim_wrapper(model, dict(
        optimizer=dict(type='AdamW', lr=1e-3)))
    in_optimizer = {id(p) for group in optim.optimizer.param_groups
                    for p in group['params']}
    assert not teacher_params & in_optimizer

    model.train()
    assert not teacher.training
    x, samples = fmnist_batch()
    losses = model(x, samples, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(p.grad is None for p in teacher.parameters())
    assert model.head.layers.head_dist.weight.grad is not None


def test_teacher_logits_drive_the_dist_branch(teacher_files):
    config, checkpoint, _ = teacher_files
    model = student(dict(config=config, checkpoint=checkpoint),
                    distill_cfg=dict(type='hard', alpha=1.0))
    x, samples = fmnist_batch()
    data = model.data_preprocessor(
        dict(inputs=list(x), data_samples=samples), training=True)
    # Mixup gave soft targets; the dist branch still gets the teacher's
    # argmax on the same mixed images.
    assert 'gt_score' in data['data_samples'][0]
    inputs = data['inputs']
    losses = model(inputs, data['data_samples'], mode='loss')
    teacher_logits = model.teacher(inputs, mode='tensor')
    feats = model.extract_feat(inputs)
    dist = model.head.layers.head_dist(feats[-1][1])
    torch.testing.assert_close(
        losses['loss_dist'], F.cross_entropy(dist, teacher_logits.argmax(1)))
    assert losses['loss_cls'] == 0  # alpha 1: distillation only


def test_teacher_errors_when_training_starts(tmp_path, teacher_files):
    """The student builds and predicts without a usable teacher; the first
    training step names what is wrong with it."""
    config, checkpoint, _ = teacher_files
    x, samples = fmnist_batch()
    model = student(dict(config=config, checkpoint=str(tmp_path / 'no.pth')))
    assert model(x, mode='tensor').shape == (4, 10)
    with pytest.raises(FileNotFoundError, match='teacher checkpoint'):
        model(x, samples, mode='loss')
    wrong = tmp_path / 'teacher100.py'
    wrong.write_text(TEACHER_CFG.format(classes=100))
    with pytest.raises(ValueError, match='predicts 100 classes'):
        student(dict(config=str(wrong), checkpoint=checkpoint))(
            x, samples, mode='loss')


def test_student_checkpoint_evaluates_without_the_teacher(teacher_files,
                                                          tmp_path):
    config, checkpoint, _ = teacher_files
    trained = student(dict(config=config, checkpoint=checkpoint)).eval()
    randomize_(trained)
    path = tmp_path / 'student.pth'
    torch.save({'state_dict': trained.state_dict()}, path)

    alone = student().eval()
    assert alone.teacher is None
    from mmengine.runner import load_checkpoint
    load_checkpoint(alone, str(path), strict=True)
    x, samples = fmnist_batch()
    with torch.no_grad():
        torch.testing.assert_close(alone(x, mode='tensor'),
                                   trained(x, mode='tensor'))
        preds = alone(x, samples, mode='predict')
    assert len(preds) == 4 and preds[0].pred_score.shape == (10, )
