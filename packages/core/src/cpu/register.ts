/**
 * Registers the default CPU backend under 'cpu', created on first use. Imported for this side
 * effect by the package's index (package.json lists this module under "sideEffects", so
 * bundlers keep it).
 */
import { defineBackendFactory } from '../backend/registry.js';
import { createCpuBackend } from './index.js';

defineBackendFactory('cpu', () => createCpuBackend('cpu'));
