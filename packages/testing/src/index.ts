/**
 * @dynconv/testing: test an op the way dynconv tests its own. fast-check arbitraries for
 * shapes, broadcast pairs, layouts and value domains; `expectClose`; gradient checks of ops
 * and of parameters; backend parity; and the DYNCONV_NUM_RUNS / DYNCONV_SEED run settings.
 * Everything throws plain Errors, so it works under any test runner.
 *
 * @packageDocumentation
 */
export { DEFAULT_NUM_RUNS, numRuns, runs, seed } from './runs.js';
export {
  broadcastIndex,
  broadcastPairArb,
  DOMAINS,
  drawValue,
  inputArb,
  layoutArb,
  shapeArb,
  tensorArb,
  unravel,
  values,
  type Domain,
  type FloatDType,
  type Input,
  type Layout,
  type LayoutKind,
  type ShapeOptions,
  type TensorArbOptions,
} from './arbitraries.js';
export { expectClose, type CloseOptions, type NestedNumbers, type Numeric } from './close.js';
export { checkGradients, checkParamGradient, FULL_JACOBIAN_LIMIT, type CheckOptions, type ParamGradientOptions } from './gradients.js';
export { expectParity, type ParityInput, type ParityOptions } from './parity.js';
export {
  absCase,
  argReduceCaseArb,
  assignCaseArb,
  BINARY_NAMES,
  binaryCaseArb,
  buildInput,
  compareOutputs,
  convCaseArb,
  convGeometryArb,
  copyCaseArb,
  CPU_CASES,
  CPU_TOLERANCES,
  drawValues,
  expectMatchesReference,
  failingCases,
  fillCaseArb,
  gatherCaseArb,
  inputSpecArb,
  matmulCaseArb,
  poolArgMaxCaseArb,
  reduceCaseArb,
  runCase,
  scatterAddCaseArb,
  SPECIAL_VALUES,
  specialValueCases,
  UNARY_DOMAIN,
  UNARY_NAMES,
  unaryCaseArb,
  whereCaseArb,
  type CaseOptions,
  type Check,
  type ConvGeometry,
  type InputSpec,
  type KernelCase,
  type Tolerance,
  type Tolerances,
  type ValueStyle,
} from './kernels.js';
