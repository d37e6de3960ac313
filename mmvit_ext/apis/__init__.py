from .inference import ImageClassificationInferencer, image_color_type

__all__ = ['ImageClassificationInferencer', 'image_color_type']
