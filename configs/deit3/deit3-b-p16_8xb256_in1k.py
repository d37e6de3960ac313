# DeiT III-B at 224 px: the model of the released 224 px weights
# (tools/test.py, get_model). The paper trains it in two stages, which is
# the recipe to run: deit3-b-p16-192px_8xb256_in1k.py (192 px, 800 epochs), then
# deit3-b-p16-ft_8xb64_in1k.py (224 px, 20 epochs). Training this config instead pre-trains
# at 224 px in one stage.
_base_ = [
    '../_base_/models/deit3/deit3-b-p16.py',
    '../_base_/datasets/imagenet_bs64_deit3_224.py',
    '../_base_/schedules/imagenet_bs2048_lamb_deit3.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=256)

# 8 GPUs x 256 images; the lr above is for this total batch of 2048.
auto_scale_lr = dict(base_batch_size=2048)
