/** Registers the default CPU backend under 'cpu', created on first use. */
import { defineBackendFactory } from '../backend/registry.js';
import { createCpuBackend } from './index.js';

defineBackendFactory('cpu', () => createCpuBackend('cpu'));
