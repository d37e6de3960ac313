# The Fashion-MNIST DeiT III with the paper's loss and sampler: binary
# cross-entropy on 0/1 targets (DeiT III's, ThresholdedBCELoss) and repeated
# augmentation x3 (DeiT's RASampler count), for the ablation in
# docs/results.md. The base config trains with softmax cross-entropy
# (smoothing 0.1) and mmengine's DefaultSampler. Without Mixup/CutMix the
# targets are 0/1 already, so the threshold changes nothing here.
_base_ = ['./deit3-tiny-p7_1xb128_fashion-mnist.py']

model = dict(
    head=dict(loss=dict(_delete_=True, type='mmvit_ext.ThresholdedBCELoss')))
train_dataloader = dict(
    sampler=dict(_delete_=True, type='mmvit_ext.RepeatAugSampler',
                 num_repeats=3, selected_round=256, shuffle=True))
