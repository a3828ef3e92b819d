/**
 * Facts about the bundled datasets that browser code needs too: normalisation constants
 * (the values torchvision examples use) and class names.
 */

/** Mean pixel of the MNIST training set on the [0, 1] scale (33.32 / 255). */
export const MNIST_MEAN = 0.1307;
/** Standard deviation of MNIST training pixels on the [0, 1] scale. */
export const MNIST_STD = 0.3081;
/** Mean pixel of Fashion-MNIST on the [0, 1] scale. */
export const FASHION_MNIST_MEAN = 0.286;
/** Standard deviation of Fashion-MNIST pixels on the [0, 1] scale. */
export const FASHION_MNIST_STD = 0.353;

/** MNIST's classes: the digits. */
export const MNIST_CLASSES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
/** Fashion-MNIST's classes, index = label. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
]);
