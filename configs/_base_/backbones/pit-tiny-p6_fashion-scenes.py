# The Fashion-MNIST PiT (stages of 32/64/128 channels, a 6x6 stride-3 stem)
# as the backbone of the scene detectors and segmentors: RGB 128x128 input,
# feature maps at strides 3/6/12. It starts from the classifier that
#   python tools/train.py configs/pit/pit-tiny-p6_1xb128_fashion-mnist.py
# writes; on load its grey stem is adapted to RGB and its position
# embedding resized.
backbone = dict(
    type='mmvit_ext.PiT',
    arch=dict(embed_dims=(32, 64, 128), depths=(1, 2, 2), num_heads=(2, 4, 8),
              patch_size=6, stride=3),
    img_size=128,
    in_channels=3,
    out_type='featmap',
    out_indices=(0, 1, 2),
    drop_path_rate=0.05,
    init_cfg=dict(
        type='Pretrained', prefix='backbone.',
        checkpoint='work_dirs/pit-tiny-p6_1xb128_fashion-mnist/epoch_6.pth'))
