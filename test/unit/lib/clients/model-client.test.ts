/**
 * ModelClient over a real comlink channel (a MessageChannel standing in for the Worker), with a
 * fake service on the far side: calls run one at a time, callbacks cross the boundary, named
 * errors keep their names, and an abort terminates the worker so the next call starts a new one.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { ModelClient } from '../../../../src/lib/clients/model-client.js';
import { ModelServiceError } from '../../../../src/core/index.js';
import type { LoadedModelInfo, ModelService, ScoreGroup } from '../../../../src/protocol/model-service.js';

const info: LoadedModelInfo = {
  ref: { source: 'bundled', id: 'fake' },
  fingerprint: { modelId: 'bundled:fake', filesHash: 'h', dtype: 'fp32', deviceClass: 'cpu' },
  device: 'wasm',
  hasChatTemplate: true,
  maxTokens: 512,
  vocabSize: 10,
  loadMs: 1,
  tokenStats: 'javascript',
  scoring: 'shared-context',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a fake service behind a MessageChannel and returns the port the client talks to. */
function fakeWorkerFactory(log: string[]) {
  const started: { terminated: boolean }[] = [];
  const create = () => {
    const { port1, port2 } = new MessageChannel();
    const service: ModelService = {
      async load(_ref, _options, onProgress) {
        onProgress?.({ status: 'initiate', name: 'fake', file: 'config.json' });
        return info;
      },
      async score(groups: readonly ScoreGroup[]) {
        log.push(`score:start:${groups.length}`);
        await sleep(groups.length * 20);
        log.push(`score:end:${groups.length}`);
        return { groups: [], timings: { forwardMs: 0, sequences: 0, batches: 0, forwardTokens: 0, fusedSequences: 0 } };
      },
      async generate(_prompt, _options, onToken) {
        for (const piece of ['a', 'b', 'c']) await onToken?.(piece);
        throw new ModelServiceError('ContextTooLongError', 'too long');
      },
      async embed() {
        throw new ModelServiceError('InvalidRequestError', 'this fake has no encoder');
      },
      async dispose() {},
    };
    Comlink.expose(service, port2);
    port1.start();
    const handle = { terminated: false };
    started.push(handle);
    return Object.assign(port1, {
      terminate: () => {
        handle.terminated = true;
        port1.close();
        port2.close();
      },
    }) as unknown as Worker;
  };
  return { create, started };
}

describe('ModelClient', () => {
  it('passes progress callbacks through and remembers the loaded model', async () => {
    const { create } = fakeWorkerFactory([]);
    const client = new ModelClient(create);
    const progress: string[] = [];
    const loaded = await client.load({ source: 'bundled', id: 'fake' }, {}, (p) => progress.push(p.status));
    expect(loaded).toEqual(info);
    expect(client.loaded).toEqual(info);
    await sleep(10);
    expect(progress).toEqual(['initiate']);
    client.terminate();
  });

  it('runs calls one at a time, in order', async () => {
    const log: string[] = [];
    const { create } = fakeWorkerFactory(log);
    const client = new ModelClient(create);
    const group = { context: [], responses: [] };
    await Promise.all([client.score([group, group, group]), client.score([group])]);
    expect(log).toEqual(['score:start:3', 'score:end:3', 'score:start:1', 'score:end:1']);
    client.terminate();
  });

  it('streams tokens and keeps the error name across the boundary', async () => {
    const { create } = fakeWorkerFactory([]);
    const client = new ModelClient(create);
    const pieces: string[] = [];
    await expect(client.generate('hi', {}, (p) => pieces.push(p))).rejects.toMatchObject({
      name: 'ContextTooLongError',
      message: 'too long',
    });
    expect(pieces).toEqual(['a', 'b', 'c']);
    client.terminate();
  });

  it('terminates the worker on abort and starts a fresh one for the next call', async () => {
    const log: string[] = [];
    const { create, started } = fakeWorkerFactory(log);
    const client = new ModelClient(create);
    await client.load({ source: 'bundled', id: 'fake' });
    const controller = new AbortController();
    const slow = client.score(new Array(50).fill({ context: [], responses: [] }), controller.signal);
    await sleep(20);
    controller.abort();
    await expect(slow).rejects.toMatchObject({ name: 'AbortError' });
    expect(started[0]!.terminated).toBe(true);
    expect(client.loaded).toBeNull();
    await expect(client.score([], AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    await client.score([{ context: [], responses: [] }]);
    expect(started).toHaveLength(2);
    client.terminate();
  });

  it('fails the call in flight with ModelWorkerError when the worker crashes, and forgets the model', async () => {
    const { create, started } = fakeWorkerFactory([]);
    const workers: Worker[] = [];
    const client = new ModelClient(() => {
      const worker = create();
      workers.push(worker);
      return worker;
    });
    await client.load({ source: 'bundled', id: 'fake' });
    const slow = client.score(new Array(50).fill({ context: [], responses: [] }));
    await sleep(20);
    workers[0]!.dispatchEvent(Object.assign(new Event('error'), { message: 'out of memory' }));
    await expect(slow).rejects.toMatchObject({
      name: 'ModelWorkerError',
      message: 'the model worker stopped: out of memory',
    });
    expect(started[0]!.terminated).toBe(true);
    expect(client.loaded).toBeNull();
    await client.score([{ context: [], responses: [] }]);
    expect(started).toHaveLength(2);
    client.terminate();
  });

  it('fails the call in flight on terminate() and runs the queued ones on a fresh worker', async () => {
    const log: string[] = [];
    const { create, started } = fakeWorkerFactory(log);
    const client = new ModelClient(create);
    const group = { context: [], responses: [] };
    const slow = client.score(new Array(50).fill(group));
    const queued = client.score([group]);
    await sleep(20);
    client.terminate();
    await expect(slow).rejects.toMatchObject({ name: 'AbortError' });
    await queued;
    expect(started).toHaveLength(2);
    expect(log.at(-1)).toBe('score:end:1');
    client.terminate();
  });
});
