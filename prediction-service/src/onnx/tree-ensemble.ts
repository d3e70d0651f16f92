/**
 * A gradient-boosted binary classifier as ONNX: one `ai.onnx.ml` `TreeEnsembleClassifier` node
 * reading `input` (float32 [N, F]) and writing `label` (int64 [N]) and `probabilities`
 * (float32 [N, 2]: P(0), P(1)).
 *
 * The ensemble is the sklearn-onnx binary convention: every leaf votes for class id 0 with its
 * log-odds weight, `base_values` holds the prior log-odds, `post_transform` LOGISTIC. onnxruntime
 * then reports label 1 iff the summed margin is > 0 and probabilities [σ(-m), σ(m)] — exactly
 * `σ(m) > 0.5`, the rule of the TypeScript classifier. Splits are `BRANCH_LEQ` (x ≤ t goes to the
 * true/left child) on float32 inputs; thresholds are written as the largest float32 ≤ t, so for
 * every float32 x the ONNX test `x ≤ t32` agrees with the float64 test `x ≤ t`.
 *
 * One onnxruntime quirk is neutralised here: when no leaf weight is negative, its binary
 * classifier decides the label by `margin > 0.5` instead of `margin > 0` (it assumes the weights
 * are probabilities). An ensemble without a negative leaf therefore gets one extra single-leaf
 * tree of weight -2^-100, which no float32 sum of realistic size can notice.
 *
 *   const spec = { featureCount: 2, baseLogOdds: -1.2, trees: [[
 *     { feature: 0, threshold: 300.5, left: 1, right: 2, value: 0 },
 *     { feature: -1, threshold: 0, left: -1, right: -1, value: -0.3 },
 *     { feature: -1, threshold: 0, left: -1, right: -1, value: 0.7 } ]] };
 *   const bytes = encodeTreeEnsembleClassifier(spec, { name: 'm', version: '1', featureNames: ['a', 'b'] });
 */
import { ATTRIBUTE_TYPE, ELEM_TYPE, onnxTypes } from './onnx-schema.js';

/** A node of one tree: a split (`feature` ≥ 0; `left` taken when x ≤ threshold) or a leaf (`feature` = -1, `value` in log-odds). */
export interface TreeNodeSpec {
  feature: number;
  threshold: number;
  left: number;
  right: number;
  value: number;
}

/** A boosted ensemble in log-odds space: margin = baseLogOdds + Σ leaf values; nodes indexed from 0 (the root) per tree. */
export interface TreeEnsembleSpec {
  featureCount: number;
  baseLogOdds: number;
  trees: TreeNodeSpec[][];
}

/** What the model file records about where it came from (stored as ONNX metadata_props). */
export interface ExportedModelInfo {
  name: string;
  version: string;
  featureNames: readonly string[];
}

/** ONNX IR version 8 and opsets 17 / ai.onnx.ml 3: what onnx 1.12 (Debian's checker) and onnxruntime ≥ 1.13 both know. */
export const IR_VERSION = 8;
export const OPSET_DEFAULT = 17;
export const OPSET_ML = 3;
export const PRODUCER_NAME = 'smp-prediction-service';
export const PRODUCER_VERSION = '1';

export const INPUT_NAME = 'input';
export const LABEL_OUTPUT = 'label';
export const PROBABILITIES_OUTPUT = 'probabilities';

/** The flat parallel arrays the TreeEnsemble operators take, in tree then node order. */
export interface TreeEnsembleArrays {
  nodesTreeIds: number[];
  nodesNodeIds: number[];
  nodesFeatureIds: number[];
  nodesModes: string[];
  nodesValues: number[];
  nodesTrueNodeIds: number[];
  nodesFalseNodeIds: number[];
  classTreeIds: number[];
  classNodeIds: number[];
  classIds: number[];
  classWeights: number[];
}

/** Weight of the guard leaf added to ensembles without a negative leaf (see the header). */
export const GUARD_LEAF_WEIGHT = -(2 ** -100);

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The largest float32 not above `t` (t itself when it is a float32). */
export function float32Floor(t: number): number {
  f32[0] = t;
  if (f32[0] <= t) return f32[0];
  // Rounded up: step one ulp towards -Infinity (the bit pattern moves away from zero for negatives).
  if (f32[0] > 0) i32[0] -= 1;
  else if (f32[0] < 0) i32[0] += 1;
  else return -(2 ** -149);
  return f32[0];
}

/** The node and class entries of a leaf (its tree and node ids are pushed by the caller). */
function pushLeafAttributes(out: TreeEnsembleArrays, treeId: number, nodeId: number, weight: number): void {
  out.nodesFeatureIds.push(0);
  out.nodesModes.push('LEAF');
  out.nodesValues.push(0);
  out.nodesTrueNodeIds.push(0);
  out.nodesFalseNodeIds.push(0);
  out.classTreeIds.push(treeId);
  out.classNodeIds.push(nodeId);
  out.classIds.push(0);
  out.classWeights.push(weight);
}

/** Validate the spec (bad child indices, features out of range, non-finite numbers) and flatten it. */
export function flattenTrees(spec: TreeEnsembleSpec): TreeEnsembleArrays {
  if (!Number.isInteger(spec.featureCount) || spec.featureCount < 1) throw new Error(`featureCount must be a positive integer, got ${spec.featureCount}`);
  if (!Number.isFinite(spec.baseLogOdds)) throw new Error(`baseLogOdds must be finite, got ${spec.baseLogOdds}`);
  if (spec.trees.length === 0) throw new Error('the ensemble has no trees');
  const out: TreeEnsembleArrays = {
    nodesTreeIds: [],
    nodesNodeIds: [],
    nodesFeatureIds: [],
    nodesModes: [],
    nodesValues: [],
    nodesTrueNodeIds: [],
    nodesFalseNodeIds: [],
    classTreeIds: [],
    classNodeIds: [],
    classIds: [],
    classWeights: [],
  };
  spec.trees.forEach((nodes, treeId) => {
    if (nodes.length === 0) throw new Error(`tree ${treeId} has no nodes`);
    nodes.forEach((node, nodeId) => {
      const where = `tree ${treeId} node ${nodeId}`;
      out.nodesTreeIds.push(treeId);
      out.nodesNodeIds.push(nodeId);
      if (node.feature < 0) {
        if (!Number.isFinite(node.value)) throw new Error(`${where}: leaf value must be finite, got ${node.value}`);
        pushLeafAttributes(out, treeId, nodeId, node.value);
        return;
      }
      if (!Number.isInteger(node.feature) || node.feature >= spec.featureCount) throw new Error(`${where}: feature ${node.feature} outside 0..${spec.featureCount - 1}`);
      if (!Number.isFinite(node.threshold)) throw new Error(`${where}: threshold must be finite, got ${node.threshold}`);
      for (const child of [node.left, node.right]) {
        if (!Number.isInteger(child) || child <= nodeId || child >= nodes.length) throw new Error(`${where}: child ${child} is not a later node of the tree`);
      }
      out.nodesFeatureIds.push(node.feature);
      out.nodesModes.push('BRANCH_LEQ');
      out.nodesValues.push(float32Floor(node.threshold));
      out.nodesTrueNodeIds.push(node.left);
      out.nodesFalseNodeIds.push(node.right);
    });
  });
  if (!out.classWeights.some((w) => w < 0)) {
    const treeId = spec.trees.length;
    out.nodesTreeIds.push(treeId);
    out.nodesNodeIds.push(0);
    pushLeafAttributes(out, treeId, 0, GUARD_LEAF_WEIGHT);
  }
  return out;
}

type Attribute = Record<string, unknown>;
const ints = (name: string, values: number[]): Attribute => ({ name, type: ATTRIBUTE_TYPE.INTS, ints: values });
const floats = (name: string, values: number[]): Attribute => ({ name, type: ATTRIBUTE_TYPE.FLOATS, floats: values });
const strings = (name: string, values: string[]): Attribute => ({ name, type: ATTRIBUTE_TYPE.STRINGS, strings: values.map((v) => Buffer.from(v, 'utf8')) });
const string = (name: string, value: string): Attribute => ({ name, type: ATTRIBUTE_TYPE.STRING, s: Buffer.from(value, 'utf8') });

function tensorType(elemType: number, dims: Array<number | string>): Record<string, unknown> {
  return {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  };
}

/** The ModelProto as a plain object (protobufjs `fromObject` input); attributes sorted by name. */
export function treeEnsembleClassifierModel(spec: TreeEnsembleSpec, info: ExportedModelInfo): Record<string, unknown> {
  if (info.featureNames.length !== spec.featureCount) {
    throw new Error(`${info.featureNames.length} feature names for ${spec.featureCount} features`);
  }
  const a = flattenTrees(spec);
  const attribute: Attribute[] = [
    floats('base_values', [spec.baseLogOdds]),
    ints('class_ids', a.classIds),
    ints('class_nodeids', a.classNodeIds),
    ints('class_treeids', a.classTreeIds),
    floats('class_weights', a.classWeights),
    ints('classlabels_int64s', [0, 1]),
    ints('nodes_falsenodeids', a.nodesFalseNodeIds),
    ints('nodes_featureids', a.nodesFeatureIds),
    strings('nodes_modes', a.nodesModes),
    ints('nodes_nodeids', a.nodesNodeIds),
    ints('nodes_treeids', a.nodesTreeIds),
    ints('nodes_truenodeids', a.nodesTrueNodeIds),
    floats('nodes_values', a.nodesValues),
    string('post_transform', 'LOGISTIC'),
  ];
  return {
    irVersion: IR_VERSION,
    opsetImport: [
      { domain: '', version: OPSET_DEFAULT },
      { domain: 'ai.onnx.ml', version: OPSET_ML },
    ],
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    domain: 'smp.models',
    modelVersion: Number(info.version) || 0,
    docString: `${info.name} v${info.version}: gradient-boosted trees, binary classifier`,
    graph: {
      name: `${info.name}_v${info.version}`,
      node: [
        {
          input: [INPUT_NAME],
          output: [LABEL_OUTPUT, PROBABILITIES_OUTPUT],
          name: 'TreeEnsembleClassifier',
          opType: 'TreeEnsembleClassifier',
          domain: 'ai.onnx.ml',
          attribute,
        },
      ],
      input: [{ name: INPUT_NAME, type: tensorType(ELEM_TYPE.FLOAT, ['N', spec.featureCount]) }],
      output: [
        { name: LABEL_OUTPUT, type: tensorType(ELEM_TYPE.INT64, ['N']) },
        { name: PROBABILITIES_OUTPUT, type: tensorType(ELEM_TYPE.FLOAT, ['N', 2]) },
      ],
    },
    metadataProps: [
      { key: 'model_name', value: info.name },
      { key: 'model_version', value: info.version },
      { key: 'feature_names', value: JSON.stringify(info.featureNames) },
    ],
  };
}

/** Serialise the classifier: the same spec and info always give the same bytes. */
export function encodeTreeEnsembleClassifier(spec: TreeEnsembleSpec, info: ExportedModelInfo): Uint8Array {
  const { ModelProto } = onnxTypes();
  const object = treeEnsembleClassifierModel(spec, info);
  const problem = ModelProto.verify(object);
  if (problem) throw new Error(`invalid ModelProto: ${problem}`);
  return ModelProto.encode(ModelProto.fromObject(object)).finish();
}
