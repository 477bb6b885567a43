/**
 * withTokenStats appends a second `graph` field to a model's bytes (protobuf merges it into the
 * first): the model's own bytes come first and unchanged, the addition declares the targets
 * input and the three statistics outputs, and a model whose opset predates ReduceSum's axes input
 * is refused. (That onnxruntime runs the merged graph and gives the reference's numbers is tested
 * on the bundled models in test/integration/shared-context.test.ts.)
 */
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { FUSED_STATS, withTokenStats } from '../../../../workers/model/token-stats.js';

/** A ModelProto with only ir_version (1) and one opset_import (8: domain 1, version 2). */
function modelWithOpset(version: number, domain = ''): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).int64(7);
  w.uint32((8 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string(domain)
    .uint32((2 << 3) | 0)
    .int64(version)
    .ldelim();
  return w.finish();
}

/**
 * The names in a message's length-delimited fields, recursively: a field that parses as a
 * message is searched, one that reads as a plain name is collected.
 */
function strings(bytes: Uint8Array): string[] {
  const found: string[] = [];
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if ((tag & 7) !== 2) {
      reader.skipType(tag & 7);
      continue;
    }
    const body = reader.bytes();
    const text = new TextDecoder().decode(body);
    if (/^[A-Za-z_][\w/.-]*$/.test(text)) {
      found.push(text);
      continue;
    }
    try {
      found.push(...strings(body));
    } catch {
      // Packed numbers, not a message.
    }
  }
  return found;
}

describe('withTokenStats', () => {
  it('keeps the model’s bytes and appends a graph with the targets input and the statistics outputs', () => {
    const model = modelWithOpset(14);
    const fused = withTokenStats(model)!;
    expect(fused).not.toBeNull();
    expect(Array.from(fused.subarray(0, model.length))).toEqual(Array.from(model));
    const extra = fused.subarray(model.length);
    // One field, number 7 (graph), length-delimited, spanning the rest of the bytes.
    const reader = protobuf.Reader.create(extra);
    expect(reader.uint32()).toBe((7 << 3) | 2);
    expect(reader.uint32() + reader.pos).toBe(extra.length);
    const names = strings(extra);
    for (const name of [FUSED_STATS.targets, FUSED_STATS.logProb, FUSED_STATS.entropy, FUSED_STATS.larger, 'logits'])
      expect(names).toContain(name);
    // Every name the addition introduces is in its own namespace: none can clash with the model's.
    const ops = [
      'Clip',
      'ReduceMax',
      'Sub',
      'Exp',
      'ReduceSum',
      'Log',
      'Mul',
      'Div',
      'GatherElements',
      'Greater',
      'Cast',
    ];
    const attributes = ['axis', 'axes', 'keepdims', 'to'];
    const own = names.filter((n) => !ops.includes(n) && !attributes.includes(n) && n !== 'logits');
    expect(own.length).toBeGreaterThan(10);
    expect(own.every((n) => n.startsWith('rolescope_'))).toBe(true);
  });

  it('gives ReduceMax its axes as an attribute before opset 18 and as an input from it', () => {
    const attributeNames = (opset: number) =>
      strings(withTokenStats(modelWithOpset(opset))!.subarray(modelWithOpset(opset).length));
    expect(attributeNames(14)).toContain('axes');
    expect(attributeNames(17)).toContain('axes');
    expect(attributeNames(18)).not.toContain('axes');
    expect(attributeNames(18)).toContain('ReduceMax');
  });

  it('refuses a model whose default-domain opset is older than 13', () => {
    expect(withTokenStats(modelWithOpset(12))).toBeNull();
    expect(withTokenStats(modelWithOpset(13, 'ai.onnx'))).not.toBeNull();
    // Only the default domain counts: a custom domain's version says nothing about ReduceSum.
    expect(withTokenStats(modelWithOpset(20, 'com.microsoft'))).toBeNull();
  });
});
