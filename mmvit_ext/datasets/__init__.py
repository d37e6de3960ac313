from .loading import ImageLoadError, LoadImageFromFile

__all__ = ['ImageLoadError', 'LoadImageFromFile']
