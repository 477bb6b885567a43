/**
 * The benchmark service in Node, and BenchmarkClient over a real comlink channel (a MessageChannel
 * standing in for the Worker) with the real service on the far side: results cross the boundary
 * intact, oversize and non-UTF-8 files are refused before validation, an abort terminates the
 * worker and the next call starts a fresh one.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { MAX_BENCHMARK_CHARS } from '../../../../src/core/benchmark/validate.js';
import { BenchmarkClient } from '../../../../src/lib/clients/benchmark-client.js';
import type { BenchmarkService } from '../../../../src/protocol/benchmark-service.js';
import { createBenchmarkService, MAX_BENCHMARK_FILE_BYTES } from '../../../../workers/benchmark/service.js';
import { expectedValidation } from '../../../helpers/validation.js';

const sample = (id: string, dialogue: object[]) => ({
  sample_ID: id,
  user_persona: '',
  agent_character: 'A retired sailor who loves knots.',
  dialogue_context: dialogue,
  agent_golden_response: 'A loop knot that does not slip.',
  subset_tag: 'IDTest',
});
const goodText = JSON.stringify([sample('a', [{ user_query: 'What is a bowline?' }])]);
const badText = JSON.stringify([
  sample('a', [{ user_query: 'Hi!' }, { agent_response: 'Hello.' }]),
  sample('a', [{ user_query: 'Hi!' }]),
]);

function fakeWorkerFactory(service: BenchmarkService) {
  const started: { terminated: boolean }[] = [];
  const create = () => {
    const { port1, port2 } = new MessageChannel();
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

describe('benchmark service', () => {
  const service = createBenchmarkService();

  it('validates a file exactly as the core validates its text', async () => {
    for (const text of [goodText, badText]) {
      expect(await service.validateFile(new Blob([text]))).toEqual(expectedValidation(text));
    }
    const refused = await service.validateFile(new Blob([badText]));
    expect(refused.ok).toBe(false);
  });

  it('refuses a file over the limit from its size, with the size in the message', async () => {
    const small = createBenchmarkService(1024);
    const result = await small.validateFile(new Blob(['x'.repeat(2048)]));
    expect(result).toEqual({
      ok: false,
      errors: [
        { path: '(file)', message: 'the file is 2.0 KiB (2,048 bytes); at most 1.0 KiB (1,024 bytes) are accepted' },
      ],
      errorCount: 1,
      warnings: [],
    });
  });

  it('refuses text that is not UTF-8 instead of reading replacement characters', async () => {
    const latin1 = new Uint8Array([0x5b, 0x22, 0xe9, 0x22, 0x5d]); // ["é"] in ISO-8859-1
    const result = await service.validateFile(new Blob([latin1]));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]!.message).toMatch(/not UTF-8/);
  });

  it('keeps its size limit consistent with the core', () => {
    expect(MAX_BENCHMARK_FILE_BYTES).toBe(MAX_BENCHMARK_CHARS);
  });
});

describe('BenchmarkClient', () => {
  it('starts the worker on the first call and returns the service result across the channel', async () => {
    const { create, started } = fakeWorkerFactory(createBenchmarkService());
    const client = new BenchmarkClient(create);
    expect(started).toHaveLength(0);
    expect(await client.validateFile(new Blob([goodText]))).toEqual(expectedValidation(goodText));
    expect(await client.validateFile(new Blob([badText]))).toEqual(expectedValidation(badText));
    expect(started).toHaveLength(1);
    client.terminate();
    expect(started[0]!.terminated).toBe(true);
  });

  it('terminates the worker on abort, fails the call with AbortError, and starts afresh', async () => {
    let release: () => void = () => {};
    const slow: BenchmarkService = {
      ...createBenchmarkService(),
      validateFile: (file) =>
        new Promise((resolve) => {
          release = () => void file.text().then((text) => resolve(expectedValidation(text)));
        }),
    };
    const { create, started } = fakeWorkerFactory(slow);
    const client = new BenchmarkClient(create);
    const controller = new AbortController();
    const pending = client.validateFile(new Blob([goodText]), controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(started[0]!.terminated).toBe(true);

    const next = client.validateFile(new Blob([goodText]));
    await new Promise((r) => setTimeout(r, 20));
    release();
    expect((await next).ok).toBe(true);
    expect(started).toHaveLength(2);
    await expect(client.validateFile(new Blob([goodText]), AbortSignal.abort())).rejects.toMatchObject({
      name: 'AbortError',
    });
    client.terminate();
  });
});
