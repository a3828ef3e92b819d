import { resnet18 } from '@dynconv/models';

globalThis.result = resnet18().parameters().length;
