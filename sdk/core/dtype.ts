/**
 * Element types of the tensors the SDK moves between packages, backends and the native addon.
 */

/** Element types a package's graph inputs and outputs use. */
export type DType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';
