/**
 * @dynconv/nn: modules and layers (DynamicConv2d among them), optimizers, learning-rate
 * schedules and safetensors. File I/O lives in the `@dynconv/nn/node` entry so this one stays
 * browser-safe.
 * @packageDocumentation
 */
