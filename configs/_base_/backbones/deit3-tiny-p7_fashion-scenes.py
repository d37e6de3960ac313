# The Fashion-MNIST DeiT III (4 blocks, 64 wide, 7-px patches: the `make
# demo` model) as the backbone of the scene detectors and segmentors: RGB
# 128x128 input, stride-7 feature maps. It starts from the classifier that
#   python tools/train.py configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py
# writes; on load its grey stem is adapted to RGB and its 4x4 position
# embedding resized to the 19x19 grid (128 px, zero-padded to 133).
backbone = dict(
    type='mmvit_ext.DeiT3',
    arch=dict(embed_dims=64, num_layers=4, num_heads=4,
              feedforward_channels=256),
    img_size=128,
    patch_size=7,
    in_channels=3,
    layer_scale_init_value=0.1,
    out_type='featmap',
    out_indices=-1,
    drop_path_rate=0.05,
    init_cfg=dict(
        type='Pretrained', prefix='backbone.',
        checkpoint='work_dirs/deit3-tiny-p7_1xb128_fashion-mnist/epoch_8.pth'))
