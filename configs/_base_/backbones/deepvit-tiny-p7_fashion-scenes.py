# The Fashion-MNIST DeepViT (6 re-attention blocks, 64 wide, 7-px patches)
# as the backbone of the scene detectors and segmentors: RGB 128x128 input,
# stride-7 feature maps. It starts from the classifier that
#   python tools/train.py configs/deepvit/deepvit-tiny-p7_1xb128_fashion-mnist.py
# writes; on load its grey stem is adapted to RGB and its position
# embedding resized.
backbone = dict(
    type='mmvit_ext.DeepViT',
    arch=dict(embed_dims=64, num_layers=6, num_heads=4, mlp_ratio=3,
              re_attention=True, patch_embed='conv'),
    img_size=128,
    patch_size=7,
    in_channels=3,
    out_type='featmap',
    out_indices=-1,
    drop_path_rate=0.05,
    init_cfg=dict(
        type='Pretrained', prefix='backbone.',
        checkpoint='work_dirs/deepvit-tiny-p7_1xb128_fashion-mnist/epoch_8.pth'
    ))
