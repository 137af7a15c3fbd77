import test from 'ava';
import { OrtBackend } from '../../sdk/runtime/backends/ort.js';
import { backendContract } from './backend.contract.js';

backendContract(test, { name: 'OrtBackend (calling thread)', create: () => new OrtBackend() });
