# The Fashion-MNIST CeiT (4 LeFF blocks, 64 wide; image-to-tokens stem at
# stride 2, 3-px patches) as the backbone of the scene detectors and
# segmentors: RGB 128x128 input, stride-6 feature maps. It starts from the
# LCA classifier that
#   python tools/train.py configs/ceit/ceit-tiny-lca_1xb128_fashion-mnist.py
# writes (no final norm, as there); on load its grey stem is adapted to RGB
# and its position embedding resized.
backbone = dict(
    type='mmvit_ext.CeiT',
    arch=dict(embed_dims=64, num_layers=4, num_heads=4, mlp_ratio=2),
    img_size=128,
    in_channels=3,
    stem_cfg=dict(stem_channels=32, stem_kernel_size=3, stem_stride=1,
                  patch_size=3),
    out_type='featmap',
    out_indices=-1,
    final_norm=False,
    drop_path_rate=0.05,
    init_cfg=dict(
        type='Pretrained', prefix='backbone.',
        checkpoint='work_dirs/ceit-tiny-lca_1xb128_fashion-mnist/epoch_6.pth'))
