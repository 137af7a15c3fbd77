/**
 * The ONNX protobuf schema (ONNX 1.20, via onnx-buf on @bufbuild/protobuf, which keeps unknown
 * fields on a round trip) and the element-type table every other file of the toolkit uses.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import type { DType } from '../../sdk/internal.js';

export {
  create,
  fromBinary,
  toBinary,
  AttributeProtoSchema,
  AttributeProto_AttributeType as AttrType,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  TensorProto_DataLocation as DataLocation,
  TensorProto_DataType as DataType,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
};
export type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto };

/** Bytes per element of each fixed-size ONNX element type (0 = not fixed-size). */
export function bytesPerElement(type: number): number {
  switch (type) {
    case TensorProto_DataType.FLOAT:
    case TensorProto_DataType.INT32:
    case TensorProto_DataType.UINT32:
      return 4;
    case TensorProto_DataType.DOUBLE:
    case TensorProto_DataType.INT64:
    case TensorProto_DataType.UINT64:
    case TensorProto_DataType.COMPLEX64:
      return 8;
    case TensorProto_DataType.COMPLEX128:
      return 16;
    case TensorProto_DataType.FLOAT16:
    case TensorProto_DataType.BFLOAT16:
    case TensorProto_DataType.INT16:
    case TensorProto_DataType.UINT16:
      return 2;
    case TensorProto_DataType.UINT8:
    case TensorProto_DataType.INT8:
    case TensorProto_DataType.BOOL:
    case TensorProto_DataType.FLOAT8E4M3FN:
    case TensorProto_DataType.FLOAT8E4M3FNUZ:
    case TensorProto_DataType.FLOAT8E5M2:
    case TensorProto_DataType.FLOAT8E5M2FNUZ:
      return 1;
    default:
      return 0;
  }
}

const DTYPE_TO_ONNX: Record<DType, number> = {
  float32: TensorProto_DataType.FLOAT,
  float16: TensorProto_DataType.FLOAT16,
  int64: TensorProto_DataType.INT64,
  int32: TensorProto_DataType.INT32,
  int8: TensorProto_DataType.INT8,
  uint8: TensorProto_DataType.UINT8,
  bool: TensorProto_DataType.BOOL,
};

/** Our dtype name → ONNX element type. */
export function onnxType(dtype: DType): number {
  return DTYPE_TO_ONNX[dtype];
}

/** ONNX element type → our dtype name, or undefined for types the package format does not use. */
export function dtypeOf(type: number): DType | undefined {
  return (Object.keys(DTYPE_TO_ONNX) as DType[]).find((k) => DTYPE_TO_ONNX[k] === type);
}

/** Printable name of an ONNX element type. */
export function typeName(type: number): string {
  return TensorProto_DataType[type] ?? `type#${type}`;
}

/** Number of elements of a tensor with these dims (1 for a scalar). */
export function elementCount(dims: readonly (number | bigint)[]): number {
  let n = 1;
  for (const d of dims) n *= Number(d);
  return n;
}
