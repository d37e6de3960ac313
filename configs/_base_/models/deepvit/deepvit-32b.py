# DeepViT-32B: 32 blocks, re-attention in all of them. Its recipe
# (DeepViT_32B_pure_transformer.yaml) differs from the others': Mixup 0.1 and
# no CutMix, and a regulariser on the cosine similarity of the attention maps
# of consecutive blocks, over the first 12 pairs, weight 0.1
# (cos_reg_component: 12, loss/cross_entropy.py).
_base_ = ['./deepvit-16b.py']

model = dict(
    type='mmvit_ext.AttentionRegClassifier',
    attn_loss=dict(type='mmvit_ext.AttentionCosineLoss', num_pairs=12,
                   loss_weight=0.1),
    backbone=dict(arch='32b', drop_path_rate=0.2),
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.1)]))
