/**
 * Reading element types and shapes out of value_info records.
 */
import { dtypeOf, typeName, type ValueInfoProto } from './proto.js';
import type { DType } from '../../sdk/internal.js';

export interface TensorTypeInfo {
  /** Our dtype, or undefined when the element type is outside the package format's set. */
  dtype: DType | undefined;
  elemTypeName: string;
  /** Dims: numbers, symbolic names, or '?' when unknown. */
  shape: (number | string)[];
}

/** Element type and shape of a tensor value_info (non-tensor types give an empty shape). */
export function tensorTypeOf(v: ValueInfoProto): TensorTypeInfo {
  const tt = v.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
  if (!tt) return { dtype: undefined, elemTypeName: 'non-tensor', shape: [] };
  const shape = (tt.shape?.dim ?? []).map((d) =>
    d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : '?',
  );
  return { dtype: dtypeOf(tt.elemType), elemTypeName: typeName(tt.elemType), shape };
}
