# The scene detectors' schedule, for segmentation: AdamW with layer-wise lr
# decay for the backbone, a linear warm-up and a cosine decay, by
# iterations; one validation at the end.
#
# With a 6x higher lr. At the detectors' 1e-3, every segmentor (the ResNet
# baseline too) learned background against foreground and almost no class
# in 600 iterations. The ResNet-18 (w16) UperNet, one run each:
#   lr 3e-4: 6.94 mIoU; 1e-3: 9.20; 3e-3: 19.00; 6e-3: 22.82.
_base_ = '../../../mmdet/_base_/schedules/fashion-scenes_adamw-ld0.75.py'

optim_wrapper = dict(optimizer=dict(lr=6e-3))
