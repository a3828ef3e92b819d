import models = require('@dynconv/models');

export const net: models.ResNet = models.resnet18();
