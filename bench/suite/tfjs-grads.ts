/**
 * tfjs-core on its own registers no gradients: they ship with the @tensorflow/tfjs union package
 * (register_all_gradients), which is not installed here, and tfjs-core's ESM copy of that file
 * cannot be imported in Node (extensionless imports). So the one gradient `pnpm bench` needs for
 * tf.grads, DepthwiseConv2dNative's, is registered here exactly as tfjs's own
 * DepthwiseConv2dNative_grad does it: tfjs's two backprop kernels, through the public engine.
 */
import * as tf from '@tensorflow/tfjs-core';

type Attrs = { strides: [number, number] | number; pad: number | 'same' | 'valid'; dilations?: [number, number] | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };

/** Registers the gradient of DepthwiseConv2dNative unless one is registered already. */
export function registerDepthwiseGradient(): void {
  if (tf.getGradient('DepthwiseConv2dNative')) return;
  tf.registerGradient({
    kernelName: 'DepthwiseConv2dNative',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const { strides, pad, dimRoundingMode } = attrs as unknown as Attrs;
      const dilations = (attrs as unknown as Attrs).dilations ?? [1, 1];
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const common = { strides, pad, dimRoundingMode, dilations };
      return {
        x: () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dy as tf.Tensor, filter }, { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy: dy as tf.Tensor }, { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      };
    },
  });
}
