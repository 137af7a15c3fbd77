import test from 'ava';
import { OrtWorkerBackend } from '../../sdk/runtime/backends/ort-worker.js';
import { backendContract } from './backend.contract.js';

backendContract(test, { name: 'OrtWorkerBackend (worker threads)', create: () => new OrtWorkerBackend() });
