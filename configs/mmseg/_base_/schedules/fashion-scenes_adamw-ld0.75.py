# The scene detectors' schedule, for segmentation: AdamW with layer-wise lr
# decay for the backbone, a linear warm-up and a cosine decay, by
# iterations; one validation at the end.
_base_ = '../../../mmdet/_base_/schedules/fashion-scenes_adamw-ld0.75.py'
