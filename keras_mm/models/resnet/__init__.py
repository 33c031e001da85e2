"""A ResNet image tower on keras-hub's ResNetBackbone."""
