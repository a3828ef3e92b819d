/**
 * Registers the reference backend under 'reference', created on first use. Imported for this
 * side effect by the package's index (listed under "sideEffects" in package.json).
 */
import { defineBackendFactory } from '../backend/registry.js';
import { createReferenceBackend } from './index.js';

defineBackendFactory('reference', () => createReferenceBackend('reference'));
