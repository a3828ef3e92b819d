/** Registers the reference backend under 'reference', created on first use. */
import { defineBackendFactory } from '../backend/registry.js';
import { createReferenceBackend } from './index.js';

defineBackendFactory('reference', () => createReferenceBackend('reference'));
